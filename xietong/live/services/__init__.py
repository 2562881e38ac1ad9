"""Running a meeting live: sign-in, the host's progress through the agenda, the speakers'
list, votes — each change lands in the meeting record as it happens.

Seed 01 第五条(二)2 (the host runs the meeting, at most ``meeting_duration_cap`` minutes);
seed 02 三、(一) (``speaking_limit`` per speech, live 同意/反对/弃权 votes) and 四、(一)
(decision rule: ``majority_method``, ``min_agree_votes``, ``quorum_percent``; see
``xietong.live.rules``).

Every command is keyword-only ``(*, meeting, actor, now, ..., expected_version=None)``. It
locks the meeting's Room row, refuses a stale ``expected_version`` (two host tabs), checks
role and state, writes, bumps ``Room.version`` and, after commit, pushes the new state to
every screen (``xietong.live.realtime.room_changed``). Refusals raise DomainError/Forbidden,
change nothing and are logged on the "xietong.live" logger.
"""

from __future__ import annotations

from .host import (
    ITEM_TRANSITIONS,
    MAX_REASON,
    item_next,
    item_start,
    meeting_end,
    room_open,
)
from .rooms import (
    ERR_CANCELLED,
    ERR_ENDED,
    ERR_NOT_HOST,
    ERR_NOT_STARTED,
    ERR_STALE,
    HOST,
    PARTICIPANT,
    PRESENT,
    RECORDER,
    ROOM_TRANSITIONS,
    SPEAKER,
    VOTER,
    is_host,
    is_recorder,
    room_for,
)
from .seats import (
    invitee_ids,
    present_voter_seats,
    seats_for,
    taken_seats,
)
from .signin import (
    MAX_GUEST_NAME,
    MAX_GUEST_NOTE,
    SIGNIN_SALT,
    guest_admit,
    signin_by_recorder,
    signin_code_renew,
    signin_link,
    signin_link_expires,
    signin_link_read,
    signin_self,
    signin_with_link,
)
from .speakers import (
    SPEECH_TRANSITIONS,
    floor_grant,
    floor_reorder,
    floor_request,
    floor_withdraw,
    speech_end,
)
from .votes import (
    CHOICES,
    MAX_PROPOSAL,
    VOTE_TRANSITIONS,
    ballot_cast,
    vote_close,
    vote_open,
    vote_rule,
    vote_to_decision,
)

# The live room's transition tables by what they govern; the screens read them (live.screens).
TABLES = {
    "room": ROOM_TRANSITIONS,
    "item": ITEM_TRANSITIONS,
    "speech": SPEECH_TRANSITIONS,
    "vote": VOTE_TRANSITIONS,
}

__all__ = [
    "TABLES",
    "ROOM_TRANSITIONS",
    "ITEM_TRANSITIONS",
    "SPEECH_TRANSITIONS",
    "VOTE_TRANSITIONS",
    "HOST",
    "RECORDER",
    "PARTICIPANT",
    "SPEAKER",
    "VOTER",
    "ERR_CANCELLED",
    "ERR_ENDED",
    "ERR_NOT_HOST",
    "ERR_NOT_STARTED",
    "ERR_STALE",
    "PRESENT",
    "is_host",
    "is_recorder",
    "room_for",
    "invitee_ids",
    "present_voter_seats",
    "seats_for",
    "taken_seats",
    "MAX_GUEST_NAME",
    "MAX_GUEST_NOTE",
    "SIGNIN_SALT",
    "guest_admit",
    "signin_by_recorder",
    "signin_code_renew",
    "signin_link",
    "signin_link_expires",
    "signin_link_read",
    "signin_self",
    "signin_with_link",
    "MAX_REASON",
    "item_next",
    "item_start",
    "meeting_end",
    "room_open",
    "floor_grant",
    "floor_reorder",
    "floor_request",
    "floor_withdraw",
    "speech_end",
    "CHOICES",
    "MAX_PROPOSAL",
    "ballot_cast",
    "vote_close",
    "vote_open",
    "vote_rule",
    "vote_to_decision",
]
