"""The room pass: what a personal sign-in link leaves on the phone that used it.

A personal link (``services.signin_with_link``) logs nobody in. It signs its person in to its
meeting and leaves in the session the meeting, the person and an expiry
(``services.signin_link_expires``). Only the live room honours the pass: the meeting's phone
page (``screens.phone``) and its WebSocket (``consumers.LiveRoomConsumer``), for the commands
in ``commands.PASS_COMMANDS`` (sign in, the speakers' list, ballots). ``request.user`` stays
anonymous, so every other page, and the room of any other meeting, asks for the normal login.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from xietong.org.models import Person

SESSION_KEY = "xietong.live.pass"


@dataclass(frozen=True)
class RoomPass:
    meeting_id: int
    person: Person
    expires: datetime

    def valid(self, now: datetime) -> bool:
        return now < self.expires


def grant(session, *, meeting_id: int, person: Person, expires: datetime) -> None:
    """Leave a pass for ``meeting_id`` in ``session`` (a fresh session key: a session id
    planted before the link was used learns nothing). The session ends with the pass."""
    session.cycle_key()
    session[SESSION_KEY] = {"m": meeting_id, "p": person.pk, "e": int(expires.timestamp())}
    session.set_expiry(expires)


def holder(session, meeting_id: int, now: datetime) -> RoomPass | None:
    """The pass in ``session`` for ``meeting_id``, valid at ``now`` and of an active person;
    None otherwise (no pass, another meeting's, expired, malformed)."""
    if session is None:
        return None
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    m, p, e = data.get("m"), data.get("p"), data.get("e")
    if not (isinstance(m, int) and isinstance(p, int) and isinstance(e, int)) or m != meeting_id:
        return None
    expires = datetime.fromtimestamp(e, tz=UTC)
    if now >= expires:
        return None
    person = Person.objects.filter(pk=p, is_active=True).first()
    if person is None:
        return None
    return RoomPass(meeting_id=m, person=person, expires=expires)
