"""Commands from live screens, checked and mapped to the live services.

A message is ``{"cmd": name, "args": {...}, "version": n, "ref": any}``. ``parse`` checks
its shape without touching the database (unknown command, wrong argument types → refused);
``run`` calls the service (which re-reads the ids within this meeting) with
``expected_version`` when the screen sent one, so a command from a stale screen fails and
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.meetings.models import Meeting
from xietong.meetings.selectors import meetings_visible_to

from . import services


class Malformed(Exception):
    """The message is not a well-formed command: refused before any service runs."""


CHOICES = ("agree", "against", "abstain")


@dataclass(frozen=True)
class Arg:
    kind: str  # "item", "speech", "vote": a row id; "text", "bool", "int", "choice"
    required: bool = True
    max_length: int = 2000


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    version: int | None = None


# command → (argument name → spec). The service has the same name and takes the same
# keyword arguments, plus meeting, actor, now and expected_version.
SPECS: dict[str, dict[str, Arg]] = {
    "room_open": {},
    "signin_self": {"on_behalf_of": Arg("int", required=False)},
    "item_start": {"item": Arg("item")},
    "item_next": {"reason": Arg("text", required=False)},
    "meeting_end": {},
    "floor_request": {},
    "floor_withdraw": {"speech": Arg("speech", required=False)},
    "floor_grant": {"speech": Arg("speech")},
    "floor_reorder": {"speech": Arg("speech"), "position": Arg("int")},
    "speech_end": {},
    "vote_open": {
        "item": Arg("item", required=False),
        "proposal": Arg("text", max_length=500),
        "secret": Arg("bool", required=False),
    },
    "ballot_cast": {"vote": Arg("vote"), "choice": Arg("choice")},
    "vote_close": {"vote": Arg("vote")},
}

# What a room pass (a personal sign-in link, ``xietong.live.roompass``) may do: sign in, ask
# for the floor or withdraw its own request, cast a ballot. Never the host's commands.
PASS_COMMANDS = frozenset({"signin_self", "floor_request", "floor_withdraw", "ballot_cast"})

# Arguments that name a row of the meeting: checked to be ids here; the service re-reads
# them within the meeting (another meeting's id is refused there, "not_found").
ROW_KINDS = frozenset({"item", "speech", "vote"})


def parse(message: Any) -> Command:
    if not isinstance(message, dict):
        raise Malformed(_("The message is not a command."))
    name = message.get("cmd")
    if not isinstance(name, str) or name not in SPECS:
        raise Malformed(_("Unknown command."))
    raw_args = message.get("args", {})
    if raw_args is None:
        raw_args = {}
    if not isinstance(raw_args, dict):
        raise Malformed(_("The command's arguments are not valid."))
    version = message.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise Malformed(_("The command's version is not valid."))
    spec = SPECS[name]
    unknown = set(raw_args) - set(spec)
    if unknown:
        raise Malformed(_("The command's arguments are not valid."))
    args: dict[str, Any] = {}
    for key, arg in spec.items():
        if key not in raw_args or raw_args[key] is None:
            if arg.required:
                raise Malformed(_("The command's arguments are not valid."))
            continue
        args[key] = _check(arg, raw_args[key])
    return Command(name=name, args=args, version=version)


def _check(arg: Arg, value: Any) -> Any:
    bad = Malformed(_("The command's arguments are not valid."))
    if arg.kind in ROW_KINDS or arg.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not (0 <= value < 2**53):
            raise bad
        return value
    if arg.kind == "text":
        if not isinstance(value, str) or len(value) > arg.max_length:
            raise bad
        return value.strip()
    if arg.kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if arg.kind == "choice":
        if value not in CHOICES:
            raise bad
        return value
    raise bad  # pragma: no cover - a spec with an unknown kind


def may_follow(person, meeting_id: int) -> bool:
    """May ``person`` open this meeting's live room (the same rule as its page)?"""
    return meetings_visible_to(person).filter(pk=meeting_id).exists()


def run(command: Command, *, meeting_id: int, actor) -> dict:
    """Call the service; returns extra fields for the sender's acknowledgement."""
    meeting = Meeting.objects.select_related("policy_version").get(pk=meeting_id)
    service = getattr(services, command.name)
    service(
        meeting=meeting, actor=actor, now=timezone.now(), expected_version=command.version, **command.args
    )
    extra: dict[str, Any] = {}
    if command.name == "ballot_cast":
        # The voter's own confirmation; for a secret vote it exists only in this reply.
        extra["ballot"] = {"vote": command.args["vote"], "choice": command.args["choice"]}
    return extra
