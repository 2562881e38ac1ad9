"""Who follows the ledger on which page: the one rule for the follow-through (督办) entry."""

from __future__ import annotations

from xietong.org.models import Role
from xietong.org.permissions import Roles


def follow_through_page(roles: Roles) -> str | None:
    """The ledger page ``roles`` land on from the navigation (a URL name), or None for someone
    who follows no part of the ledger: the coordinator's board, the leadership group's
    escalations, a department head's or deputy's own department."""
    if roles.is_coordinator:
        return "obligations:board"
    if roles.has(Role.LEADERSHIP):
        return "obligations:leadership"
    if roles.departments(Role.HEAD) | roles.departments(Role.DEPUTY):
        return "obligations:department"
    return None
