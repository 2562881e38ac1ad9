"""Views of the $a app."""
