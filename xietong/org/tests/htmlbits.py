"""Reading rendered pages in tests (Jinja2 responses carry no ``response.context``)."""

from __future__ import annotations

import html
import re


def field_errors(page: str, field: str) -> list[str]:
    pattern = rf'<p class="error" data-field="{re.escape(field)}">(.*?)</p>'
    return [html.unescape(m) for m in re.findall(pattern, page, flags=re.S)]


def section(page: str, element_id: str) -> str:
    """The text from the element with ``id`` to the end of its closing tag (first match, no nesting)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', page)
    if match is None:
        return ""
    tag = match.group(1)
    end = page.find(f"</{tag}>", match.end())
    return page[match.start() : end + len(tag) + 3]


def has_form_field(page: str, name: str) -> bool:
    return re.search(rf'name="{re.escape(name)}"', page) is not None
