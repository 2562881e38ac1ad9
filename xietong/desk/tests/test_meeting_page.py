"""The meeting page and its notice as the people of a meeting see them: the invitees and their
replies, the meeting's duties with deadline, clause and late mark, who may open the meeting."""

from __future__ import annotations

import re

import pytest
import time_machine

from xietong.agenda.services import agenda_build, agenda_confirm
from xietong.desk.testing import make_person
from xietong.meetings import services
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.selectors import sees_all_meetings
from xietong.meetings.tests.factories import MON, THU_1800, next_meeting, published_meeting, sh
from xietong.obligations.models import Obligation, ObligationKind
from xietong.policy.services import policy_install_preset

pytestmark = pytest.mark.django_db

FRI_1000 = sh(2026, 3, 6, 10, 0)  # after the replies were due (Fri 09:00, 第五条(三)3)

# What the page says, in each language.
TEXTS = {
    "zh-hans": {
        "pending": "未回复",
        "attend": "参加",
        "head": "科室负责人",
        "reply_duty": "会议通知回执",
        "overdue": "已逾期",
        "late": "逾期",
        "may_move": "可能调整",
        "reply": "回执",
        "your_reply": "我的回执",
        "recorded": "您的回复已记录。",
    },
    "en": {
        "pending": "No reply yet",
        "attend": "Will attend",
        "head": "Department head",
        "reply_duty": "Reply to a meeting notice",
        "overdue": "Overdue",
        "late": "Late",
        "may_move": "may move",
        "reply": "Reply",
        "your_reply": "Your reply",
        "recorded": "Your answer was recorded.",
    },
}


def _client(login, person, language):
    client = login(person)
    client.cookies["django_language"] = language
    return client


def _section(page: str, name: str) -> str:
    found = re.search(rf'<section class="card" id="{name}">(.*?)</section>', page, re.S)
    assert found, name
    return found.group(1)


def _reply_row(page: str, rsvp: Rsvp) -> str:
    found = re.search(rf'<tr data-rsvp="{rsvp.pk}">(.*?)</tr>', page, re.S)
    assert found, rsvp
    return found.group(1)


def _rows(table: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_invitee_sees_their_reply_row_and_answers_it(torg, login, language):
    words = TEXTS[language]
    meeting = published_meeting(torg, topics=2)
    mine = meeting.rsvps.get(invitee=torg.tech_head)
    client = _client(login, torg.tech_head, language)
    with time_machine.travel(THU_1800, tick=False):
        page = client.get(f"/meetings/{meeting.pk}/").content.decode()
        row = _reply_row(page, mine)
        assert torg.tech_head.full_name in row and torg.departments["tech"].name in row
        assert words["head"] in row and words["pending"] in row
        assert words["overdue"] not in row  # the reply is not due yet
        # One row per invitee; they may answer: the notice button says so.
        assert page.count("data-rsvp=") == meeting.rsvps.count()
        assert f'href="/meetings/{meeting.pk}/notice/">' in page and f" · {words['reply']}</a>" in page

        notice = client.get(f"/meetings/{meeting.pk}/notice/").content.decode()
        assert words["your_reply"] in notice and f'action="/meetings/rsvp/{mine.pk}/"' in notice
        answered = client.post(
            f"/meetings/rsvp/{mine.pk}/", {f"r{mine.pk}-response": Rsvp.Response.ATTEND}, follow=True
        )
        assert words["recorded"] in answered.content.decode()
        page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    row = _reply_row(page, mine)
    assert words["attend"] in row and words["pending"] not in row
    assert "2026-03-05 18:00" in row  # when they answered


def test_someone_not_invited_has_no_reply_link(torg, login):
    meeting = published_meeting(torg)
    invited = set(meeting.rsvps.values_list("invitee_id", flat=True))
    other = next(p for p in torg.people.values() if p.pk not in invited and sees_all_meetings(p))
    with time_machine.travel(THU_1800, tick=False):
        page = _client(login, other, "en").get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'href="/meetings/{meeting.pk}/notice/">Notice</a>' in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_duties_show_who_deadline_clause_and_the_late_mark(torg, login, language):
    words = TEXTS[language]
    meeting = published_meeting(torg)
    mine = meeting.rsvps.get(invitee=torg.tech_head)
    client = _client(login, torg.coordinator, language)
    with time_machine.travel(THU_1800, tick=False):
        duties = _section(client.get(f"/meetings/{meeting.pk}/").content.decode(), "duties")
    rows = _rows(duties)
    reply_duties = [r for r in rows if words["reply_duty"] in r]
    assert len(reply_duties) == meeting.rsvps.count()
    head_row = next(r for r in reply_duties if torg.tech_head.full_name in r)
    assert "2026-03-06 09:00" in head_row and "第五条(三)3" in head_row
    assert "badge late" not in duties  # nothing due yet

    # After the deadline the unanswered replies are late: red in both tables.
    with time_machine.travel(FRI_1000, tick=False):
        page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    head_row = next(r for r in _rows(_section(page, "duties")) if torg.tech_head.full_name in r)
    assert f'<span class="badge late">{words["late"]}</span>' in head_row
    assert f'<span class="badge late">{words["overdue"]} (第五条(三)3)</span>' in _reply_row(page, mine)


def test_a_late_answer_and_a_provisional_deadline_are_marked(torg, login):
    meeting = published_meeting(torg)
    mine = meeting.rsvps.get(invitee=torg.tech_head)
    services.rsvp_answer(
        rsvp=mine, response=Rsvp.Response.ABSENT, reason="出差", actor=torg.tech_head, now=FRI_1000
    )
    duty = Obligation.objects.get(
        kind=ObligationKind.RSVP, responsible=torg.tech_liaison, subject_id=meeting.pk
    )
    Obligation.objects.filter(pk=duty.pk).update(calendar_flagged=True)
    with time_machine.travel(FRI_1000, tick=False):
        page = _client(login, torg.coordinator, "en").get(f"/meetings/{meeting.pk}/").content.decode()
    row = _reply_row(page, mine)
    assert '<span class="badge late">Late (第五条(三)3)</span>' in row and "出差" in row
    flagged = next(r for r in _rows(_section(page, "duties")) if torg.tech_liaison.full_name in r)
    assert 'title="The holiday schedule for this year is not published yet.">may move</span>' in flagged


def test_texts_people_typed_are_shown_as_text(torg, login):
    meeting = published_meeting(torg)
    mine = meeting.rsvps.get(invitee=torg.tech_head)
    services.rsvp_answer(
        rsvp=mine,
        response=Rsvp.Response.DELEGATE,
        delegate=torg.tech_deputy,
        reason="<script>alert(1)</script>",
        actor=torg.tech_head,
        now=THU_1800,
    )
    with time_machine.travel(THU_1800, tick=False):
        page = _client(login, torg.coordinator, "en").get(f"/meetings/{meeting.pk}/").content.decode()
    row = _reply_row(page, mine)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row and "<script>alert" not in page
    assert f"Delegate: {torg.tech_deputy.full_name}" in row


def test_a_meeting_without_notice_has_no_replies_and_no_duties_yet(torg, login):
    meeting = Meeting.objects.create(
        policy_version=next_meeting(torg).policy_version,
        title="临时会议",
        starts_at=sh(2026, 3, 9, 14, 0),
        ends_at=sh(2026, 3, 9, 15, 0),
    )
    with time_machine.travel(THU_1800, tick=False):
        page = _client(login, torg.coordinator, "en").get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Invitations go out when the notice is published." in page
    assert '<td colspan="5" class="muted">No duties.</td>' in _section(page, "duties")
    assert "No agenda yet." in _section(page, "agenda")


def test_a_seed02_meeting_shows_its_own_clause_and_deadline(torg, login):
    """Seed 02 has no absence lead: a reply is due when the meeting starts (二、(一)4)."""
    policy = policy_install_preset(name="seed02-coordination", now=MON)
    start = sh(2026, 3, 10, 14, 0)
    meeting = services.meeting_schedule(series=None, policy=policy, starts_at=start, now=MON, title="协调会")
    agenda_confirm(
        agenda=agenda_build(meeting=meeting, actor=torg.coordinator, now=MON), actor=torg.coordinator, now=MON
    )
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=MON)
    with time_machine.travel(MON, tick=False):
        page = _client(login, torg.coordinator, "zh-hans").get(f"/meetings/{meeting.pk}/").content.decode()
    head_row = next(r for r in _rows(_section(page, "duties")) if torg.tech_head.full_name in r)
    assert "会议通知回执" in head_row and "2026-03-10 14:00" in head_row and "二、(一)4" in head_row


def test_who_may_open_a_meeting(torg, login):
    """Role holders open every meeting; people without a role open those they take part in
    (invited, named delegate, host, recorder) once the notice is out; others get 404."""
    published = published_meeting(torg)
    planned = Meeting.objects.create(
        policy_version=published.policy_version,
        title="未发布",
        starts_at=published.starts_at,
        ends_at=published.ends_at,
    )
    invitee = make_person("guest_invitee", "客人甲", torg.departments["tech"])
    delegate = make_person("guest_delegate", "客人乙", torg.departments["tech"])
    recorder = make_person("guest_recorder", "客人丁", None)
    first, second = list(published.rsvps.order_by("id")[:2])
    Rsvp.objects.filter(pk=first.pk).update(invitee=invitee)
    Rsvp.objects.filter(pk=second.pk).update(delegate=delegate)
    Meeting.objects.filter(pk__in=[published.pk, planned.pk]).update(recorder=recorder)
    expected = {
        torg.coordinator: (200, 200),
        torg.tech_liaison: (200, 200),
        invitee: (200, 404),
        delegate: (200, 404),
        recorder: (200, 404),
        torg.outsider: (404, 404),
    }
    with time_machine.travel(THU_1800, tick=False):
        for person, (on_published, on_planned) in expected.items():
            client = login(person)
            got = (
                client.get(f"/meetings/{published.pk}/").status_code,
                client.get(f"/meetings/{planned.pk}/").status_code,
            )
            assert got == (on_published, on_planned), person.username
            notice = client.get(f"/meetings/{published.pk}/notice/").status_code
            assert notice == on_published, person.username
        assert login(torg.coordinator).get("/meetings/999999/").status_code == 404
        huge = 2**63  # beyond any key the database holds
        for url in (f"/meetings/{huge}/", f"/meetings/{huge}/notice/"):
            assert login(invitee).get(url).status_code == 404
