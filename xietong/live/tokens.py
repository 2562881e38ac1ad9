"""The projector's read-only link: a signed meeting id, no login needed on the room's screen."""

from __future__ import annotations

from django.core import signing

SALT = "xietong.live.projector"
MAX_AGE = 60 * 60 * 24 * 7


def projector_token(meeting_id: int) -> str:
    return signing.dumps({"m": meeting_id}, salt=SALT, compress=True)


def projector_meeting_id(token: str) -> int | None:
    """The meeting a projector token opens, or None for a forged or expired one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    value = data.get("m") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None
