"""The main navigation by role: every entry a person is shown opens, the ones they may not open
are not shown, and the minutes archive is one click away."""

from __future__ import annotations

import re

import pytest
import time_machine

from xietong.desk.testing import build_test_org, make_person
from xietong.meetings.models import Rsvp
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes import services as minutes_services
from xietong.org.models import Person, Role

AFTER = sh(2026, 3, 9, 11, 0)  # the 03-09 meeting is over (it ends 10:30), its minutes approved

# The personas of the test organisation, by what they do.
PERSONAS = {
    "coordinator": "coordinator",
    "host": "host",
    "recorder": "recorder",
    "liaison": "tech_liaison",
    "department head": "tech_head",
    "deputy head": "tech_deputy",
    "leadership member": "chair",
    "plain employee": "outsider",
    "admin": None,  # the administrator account (no role in the collaboration)
}


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def org(request, db):
    """The test organisation under each preset, with a held meeting whose minutes are approved
    and an administrator account."""
    torg = build_test_org(preset=request.param)
    meeting = published_meeting(torg, topics=2)
    minutes = minutes_services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
    minutes = minutes_services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER)
    minutes_services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER)
    torg.people["admin"] = Person.objects.create_superuser("admin", "admin@example.cn", "Xt-admin-2026")
    torg.meeting = meeting
    return torg


def persona(torg, role: str) -> Person:
    return torg.people[PERSONAS[role] or "admin"]


def nav_links(html: str) -> dict[str, str]:
    """The navigation's entries as {href: label}."""
    nav = re.search(r'<nav class="main">(.*?)</nav>', html, re.S)
    assert nav, "the page has no navigation"
    return {
        href: re.sub(r"<[^>]+>", "", label).strip()
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav.group(1), re.S)
    }


@pytest.mark.parametrize("role", PERSONAS)
def test_every_navigation_entry_opens_for_every_role(org, login, role):
    client = login(persona(org, role))
    with time_machine.travel(AFTER, tick=False):
        home = client.get("/")
        assert home.status_code == 200
        links = nav_links(home.content.decode())
        assert links["/minutes/archive/"] == "会议纪要归档"
        for href in links:
            response = client.get(href, follow=True)
            assert response.status_code < 400, (role, href, response.status_code)


@pytest.mark.parametrize(
    ("role", "follows_the_ledger"),
    [
        ("coordinator", True),
        ("leadership member", True),
        ("department head", True),
        ("deputy head", True),
        ("host", False),
        ("recorder", False),
        ("liaison", False),
        ("plain employee", False),
        ("admin", False),
    ],
)
def test_follow_through_is_shown_to_exactly_those_its_page_lets_in(org, login, role, follows_the_ledger):
    client = login(persona(org, role))
    links = nav_links(client.get("/").content.decode())
    assert ("/obligations/" in links) is follows_the_ledger
    if follows_the_ledger:
        assert links["/obligations/"] == "督办"
    # the page itself agrees: it lets in whom the navigation shows it to
    assert (client.get("/obligations/").status_code != 403) is follows_the_ledger


def test_only_the_administrator_sees_the_administration_entry(org, login):
    for role in PERSONAS:
        links = nav_links(login(persona(org, role)).get("/").content.decode())
        assert ("/admin/" in links) is (role == "admin"), role


def test_the_navigation_speaks_the_chosen_language(org, login):
    client = login(org.coordinator)
    client.cookies["django_language"] = "en"
    links = nav_links(client.get("/").content.decode())
    assert links["/minutes/archive/"] == "Minutes archive"
    assert links["/obligations/"] == "Follow-through"


def test_the_archive_lists_the_minutes_for_those_who_read_them(org, login):
    with time_machine.travel(AFTER, tick=False):
        reader = login(org.tech_head).get("/minutes/archive/").content.decode()
        assert f"/minutes/{org.meeting.minutes.get().pk}/" in reader
        assert org.meeting.title in reader
        outsider = login(org.outsider).get("/minutes/archive/").content.decode()
        assert org.meeting.title not in outsider


# ---- the meeting page's link to its minutes --------------------------------------------------


def test_the_minutes_link_is_shown_only_to_their_readers(torg, login):
    """A delegate and a role holder who was not invited open the meeting page but not its
    minutes (minutes.selectors.may_read_minutes): the page shows them no link to a 404."""
    meeting = published_meeting(torg)
    delegate = make_person("guest_delegate", "客人乙", torg.departments["tech"])
    Rsvp.objects.filter(pk=meeting.rsvps.order_by("id").first().pk).update(delegate=delegate)
    committee = make_person("committee", "委员甲", None, Role.COMMITTEE)
    invitee = meeting.rsvps.exclude(invitee__in=[torg.host, torg.recorder]).first().invitee
    link = f'href="/minutes/meeting/{meeting.pk}/"'
    with time_machine.travel(AFTER, tick=False):
        for person, reads in [
            (torg.coordinator, True),
            (torg.chair, True),
            (torg.host, True),
            (torg.recorder, True),
            (invitee, True),
            (delegate, False),
            (committee, False),
        ]:
            client = login(person)
            page = client.get(f"/meetings/{meeting.pk}/")
            assert page.status_code == 200, person.username
            assert (link in page.content.decode()) is reads, person.username
            minutes_page = client.get(f"/minutes/meeting/{meeting.pk}/").status_code
            assert (minutes_page == 200) is reads, (person.username, minutes_page)
