from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The top of the layers: pages that gather from many apps (我的待办, the meeting page's
    cross-app parts) and the commands that fill a whole organisation (demo, generate)."""

    name = "xietong.desk"
    label = "desk"
    verbose_name = _("Desk")
