"""Bench helper, run by bench/run.py inside one generated database's environment:

    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python -m bench.prepare [LIAISON_USERNAME]

Picks the personas who see the most on each hot page, logs them in (sessions in the database,
as a browser's log-in leaves them) and prints one line ``JSON{...}`` with the pages, the
personas' cookies and the size of the data. Not a test.
"""

from __future__ import annotations

import json
import sys

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from xietong.actions.models import ActionItem  # noqa: E402
from xietong.meetings.models import Meeting  # noqa: E402
from xietong.obligations.models import Obligation  # noqa: E402
from xietong.org.models import Person, Role  # noqa: E402
from xietong.topics.models import Topic  # noqa: E402


def personas(liaison_username: str | None) -> dict[str, Person]:
    """The coordinator sees every department's items, topics and duties; 我的待办 is shown to
    the liaison with the most open duties (liaisons also get the topic queues, their progress
    reports, notices and meetings: the fullest 我的待办 in the generated data). bench/run.py
    picks them in the smallest scale and names the same liaison at the larger ones (the
    generator makes the same people at every scale), so both sizes show one person's page."""
    coordinator = Person.objects.get(roles__role=Role.COORDINATOR)
    if liaison_username:
        return {"coord": coordinator, "liaison": Person.objects.get(username=liaison_username)}
    busiest = (
        Obligation.objects.filter(
            closed_at__isnull=True,
            responsible__roles__role=Role.LIAISON,
        )
        .values("responsible")
        .annotate(n=Count("id"))
        .order_by("-n", "responsible")
        .first()
    )
    liaison = Person.objects.get(pk=busiest["responsible"])
    return {"coord": coordinator, "liaison": liaison}


def pages() -> dict[str, tuple[str, str]]:
    """Page name → (persona, path). The meeting page is the newest held meeting (notice,
    replies, duties, agenda and follow-up all filled); the agenda is the builder of the next
    meeting, the one the coordinator prepares; the archive shows the current year (the
    generator fills `--years` back from today, so this year holds the same meetings at every
    scale, and a larger scale adds earlier years)."""
    now = timezone.now()
    held = Meeting.objects.filter(status=Meeting.Status.HELD).order_by("-starts_at").first()
    upcoming = (
        Meeting.objects.filter(starts_at__gt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
    ).first() or held
    year = timezone.localdate().year
    return {
        "actions": ("coord", reverse("actions:list")),
        "home": ("liaison", reverse("home")),
        "meeting": ("coord", reverse("meetings:detail", args=[held.pk])),
        "agenda": ("coord", reverse("agenda:builder", args=[upcoming.pk])),
        "archive": ("coord", f"{reverse('minutes:archive')}?year={year}"),
        "topics": ("coord", reverse("topics:list")),
        "board": ("coord", reverse("obligations:board")),
    }


def cookies(people: dict[str, Person]) -> dict[str, str]:
    """Each persona's cookies as a browser sends them: the session, and the CSRF cookie the
    first page set."""
    out = {}
    for who, person in people.items():
        client = Client()
        client.force_login(person)
        client.get(reverse("home"))
        jar = client.cookies
        out[who] = f"sessionid={jar['sessionid'].value}; csrftoken={jar['csrftoken'].value}"
    return out


def analyze() -> None:
    """Fresh planner statistics, as a production database has them: PostgreSQL's autovacuum
    may not have looked at tables just filled by the generator, and plans from empty-table
    estimates are not what users get."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    analyze()
    people = personas(sys.argv[1] if len(sys.argv) > 1 else None)
    print(
        "JSON"
        + json.dumps(
            {
                "pages": pages(),
                "cookies": cookies(people),
                "liaison": people["liaison"].username,
                "items": ActionItem.objects.count(),
                "topics": Topic.objects.count(),
                "duties": Obligation.objects.count(),
            }
        )
    )


if __name__ == "__main__":
    main()
