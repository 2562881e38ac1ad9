"""The demo tells the README's story: on a fresh demo every persona of the README's login table
finds something to do on 我的待办, and the walk-through's steps work as written."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from xietong.approvals.services import approval_for
from xietong.desk import demo_story
from xietong.desk.management.commands import demo
from xietong.meetings.models import Meeting
from xietong.minutes.models import Minutes
from xietong.org.models import Person
from xietong.policy.calendar import SHANGHAI, as_shanghai
from xietong.records.models import Decision
from xietong.topics.models import Topic

README = Path(__file__).resolve().parents[3] / "README.md"
# A Friday morning (the week's topic window has closed) and a Monday afternoon (the weekly
# meeting was this morning; the emergency meeting moves to tomorrow).
FRIDAY = datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)
MONDAY_AFTERNOON = datetime(2026, 12, 7, 15, 0, tzinfo=SHANGHAI)
# The administrator works in /admin/, not from 我的待办.
ADMIN = demo.ADMIN_LOGIN


def _readme_logins() -> list[str]:
    """The logins of the README's demo table (the Chinese section's)."""
    text = README.read_text(encoding="utf-8")
    table = text.split("### 演示账号", 1)[1].split("其余人员", 1)[0]
    return re.findall(r"^\|[^|]+\| `([a-z]+)` \|", table, flags=re.MULTILINE)


def _section(body: str, section: str) -> str:
    assert f'id="{section}"' in body, section
    return body.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]


def _get(client, login: str, url: str, now: datetime) -> str:
    client.cookies["django_language"] = "zh-hans"
    with time_machine.travel(now, tick=False):
        client.force_login(Person.objects.get(username=login))
        response = client.get(url)
    assert response.status_code == 200, (login, url)
    return response.content.decode()


def _duty_link(body: str, kind: str) -> str:
    found = re.search(rf'<a href="([^"]+)" data-duty="{kind}">', _section(body, "duties"))
    assert found, kind
    return found.group(1).split("#", 1)[0].replace("&amp;", "&")


# What each persona of the README finds on 我的待办: (section id, what it must hold).
EXPECTED = {
    "zhangjianguo": ("duties", 'data-duty="leadership_approval"'),  # the resource decision
    "lihuimin": ("new-minutes", "/minutes/"),  # last week's approved minutes
    "chenjing": ("duties", 'data-duty="agenda"'),  # the coming agenda
    "liuyang": ("minutes-to-review", "/minutes/"),  # the latest minutes
    "zhaoxue": ("duties", 'data-duty="minutes"'),  # the minutes she sent, until approved
    "weidong": ("duties", 'data-duty="head_review"'),  # his centre's topic
    "yangfan": ("actions", "/actions/"),
    "zhuwenbo": ("duties", 'data-duty="decision_ack"'),  # 签收 of 研发一部's task
    "jinxin": ("duties", 'data-duty="submission"'),
    "zouming": ("actions", "/actions/"),
    "panwei": ("actions", "/actions/"),
}


def test_the_readme_table_is_the_demo_s_showcase():
    logins = _readme_logins()
    assert logins == [login for _label, login in demo.SHOWCASE]
    assert set(EXPECTED) == set(logins) - {ADMIN}


@pytest.mark.django_db
def test_every_persona_of_the_readme_has_something_to_do_on_a_fresh_demo(client):
    with time_machine.travel(FRIDAY, tick=False):
        call_command("demo", stdout=io.StringIO())

    for login, (section, needle) in EXPECTED.items():
        body = _get(client, login, "/", FRIDAY)
        assert needle in _section(body, section), login

    # The leadership group answers the resource decision where the row leads.
    decision = Decision.objects.get(status=Decision.Status.AWAITING_LEADERSHIP)
    assert decision.amount == 80_000
    home = _get(client, "zhangjianguo", "/", FRIDAY)
    page = _get(client, "zhangjianguo", _duty_link(home, "leadership_approval"), FRIDAY)
    approval = approval_for(decision)
    assert f'action="/approvals/{approval.pk}/approve/"' in page

    # The host approves the latest minutes from the version the row opens.
    minutes = Minutes.objects.get(status=Minutes.Status.IN_REVIEW, meeting__host__username="liuyang")
    page = _get(client, "liuyang", f"/minutes/{minutes.pk}/", FRIDAY)
    assert f'action="/minutes/{minutes.pk}/approve/"' in page

    # The department head reviews his centre's topic.
    topic = Topic.objects.get(status=Topic.Status.IN_REVIEW, department__name="技术中心")
    home = _get(client, "weidong", "/", FRIDAY)
    assert _duty_link(home, "head_review") == f"/topics/{topic.pk}/"
    assert f'action="/topics/{topic.pk}/approve/"' in _get(client, "weidong", f"/topics/{topic.pk}/", FRIDAY)

    # Today's emergency meeting: agenda confirmed, notice out; the host opens its live room from
    # its page, and the recorder has its record to write up today.
    meeting = Meeting.objects.get(title=demo_story.EMERGENCY_TITLE)
    assert meeting.status == Meeting.Status.PUBLISHED and meeting.agenda.confirmed_at is not None
    assert as_shanghai(meeting.starts_at).date() == FRIDAY.date() and meeting.starts_at > FRIDAY
    home = _get(client, "liuyang", "/", FRIDAY)
    assert f'href="/meetings/{meeting.pk}/"' in _section(home, "meetings")
    page = _get(client, "liuyang", f"/meetings/{meeting.pk}/", FRIDAY)
    assert f'href="/live/{meeting.pk}/host/"' in page
    assert _get(client, "liuyang", f"/live/{meeting.pk}/host/", FRIDAY)
    home = _get(client, "zhaoxue", "/", FRIDAY)
    assert f'href="/records/meeting/{meeting.pk}/"' in _section(home, "records-to-write")


def test_the_emergency_meeting_is_today_in_the_morning_and_tomorrow_in_the_afternoon():
    assert demo_story.emergency_start(FRIDAY) == datetime(2026, 12, 11, 16, 0, tzinfo=SHANGHAI)
    assert demo_story.emergency_start(MONDAY_AFTERNOON) == datetime(2026, 12, 8, 10, 0, tzinfo=SHANGHAI)


def test_the_readme_walk_through_names_what_the_demo_loads():
    text = README.read_text(encoding="utf-8")
    for words in (demo_story.EMERGENCY_TITLE, "liuyang", "weidong", "zhangjianguo", "zhaoxue", "zhuwenbo"):
        assert text.count(words) >= 2, words  # in both languages' walk-through
