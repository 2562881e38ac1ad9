"""meeting_for_detail reads the replies and agenda items with written-out SQL: the same rows,
order and shown values as the ORM prefetches it replaced, and no further query on the page."""

from __future__ import annotations

import time_machine
from django.db.models import Prefetch

from xietong.agenda.models import AgendaItem
from xietong.meetings import selectors
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.tests.factories import THU_1800, published_meeting


def _orm(meeting_id):
    return Meeting.objects.prefetch_related(
        Prefetch(
            "rsvps",
            queryset=Rsvp.objects.select_related("invitee", "delegate", "department").order_by(
                "department__sort_order", "invitee__full_name", "id"
            ),
        ),
        Prefetch("agenda__items", queryset=AgendaItem.objects.select_related("topic__department")),
    ).get(pk=meeting_id)


def _rsvp_rows(meeting):
    return [
        (
            r.pk,
            r.invitee_id,
            str(r.invitee),
            str(r.delegate) if r.delegate_id else None,
            r.department.name if r.department_id else None,
            r.response,
            r.meeting_id,
        )
        for r in meeting.rsvps.all()
    ]


def _item_rows(meeting):
    items = sorted(meeting.agenda.items.all(), key=lambda i: (i.position, i.pk))
    return [
        (
            i.pk,
            i.kind,
            i.title,
            i.position,
            i.budget_minutes,
            i.topic.title if i.topic else None,
            i.topic.department.name if i.topic and i.topic.department else None,
        )
        for i in items
    ]


def test_replies_and_items_match_the_orm_prefetches(torg, django_assert_num_queries):
    meeting = published_meeting(torg, topics=2)
    rsvps = list(meeting.rsvps.order_by("id"))
    assert len(rsvps) >= 4
    Rsvp.objects.filter(pk=rsvps[0].pk).update(delegate=torg.tech_deputy, response=Rsvp.Response.DELEGATE)
    with django_assert_num_queries(3):
        got = selectors.meeting_for_detail(meeting.pk)
        rows, items = _rsvp_rows(got), _item_rows(got)
    expected = _orm(meeting.pk)
    assert rows == _rsvp_rows(expected)
    assert items == _item_rows(expected)
    assert any(r[3] for r in rows) and any(r[5] for r in items) and any(r[5] is None for r in items)
    # fields not read load on access, as with .only()
    assert got.rsvps.all()[0].invitee.email == expected.rsvps.all()[0].invitee.email


def test_meeting_page_with_replies_keeps_its_query_count(torg, login, django_assert_max_num_queries):
    meeting = published_meeting(torg, topics=2)
    client = login(torg.coordinator)
    with time_machine.travel(THU_1800, tick=False), django_assert_max_num_queries(11):
        response = client.get(f"/meetings/{meeting.pk}/")  # + the delegation look-up for replies
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("data-rsvp=") == meeting.rsvps.count()
    assert str(torg.tech_head) in page


def test_duties_and_latest_notice_match_the_orm(torg, django_assert_num_queries):
    from xietong.meetings import services
    from xietong.obligations.selectors import obligations_for

    meeting = published_meeting(torg, topics=1)
    services.meeting_reschedule(  # a second notice: the newest one is shown
        meeting=meeting,
        starts_at=meeting.starts_at,
        location="二楼会议室",
        actor=torg.coordinator,
        now=THU_1800,
    )

    def rows(duties):
        return [
            (
                d.pk,
                d.kind,
                d.clause,
                d.due_at,
                d.state,
                str(d.responsible) if d.responsible_id else None,
                d.department.name if d.department_id else None,
            )
            for d in duties
        ]

    with django_assert_num_queries(1):
        got = rows(selectors.meeting_obligations(meeting))
    assert got == rows(obligations_for(meeting).order_by("kind", "due_at", "id"))
    assert len({r[1] for r in got}) >= 2 and any(r[5] for r in got)
    with django_assert_num_queries(1):
        notice = selectors.latest_notice(meeting)
    expected = meeting.notices.order_by("-sequence", "-id").first()
    assert (notice.pk, notice.sequence, notice.body, notice.published_at) == (
        expected.pk,
        expected.sequence,
        expected.body,
        expected.published_at,
    )
    assert meeting.notices.count() >= 2
    other = Meeting.objects.exclude(pk=meeting.pk).first() or Meeting.objects.create(
        policy_version=meeting.policy_version,
        title="无通知",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )
    assert selectors.latest_notice(other) is None and selectors.meeting_obligations(other) == []


def test_meeting_and_its_joined_rows_match_the_orm(torg, django_assert_num_queries):
    import pytest

    from xietong.meetings import services

    def fields(obj):
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields} if obj else None

    published = published_meeting(torg, topics=1)
    bare = Meeting.objects.create(  # no series, host, recorder or agenda
        policy_version=published.policy_version,
        title="临时会议",
        starts_at=published.starts_at,
        ends_at=published.ends_at,
        is_emergency=True,
    )
    services.meeting_cancel(meeting=bare, reason="取消", actor=torg.coordinator, now=THU_1800)
    for meeting in (published, bare):
        expected = Meeting.objects.select_related(
            "series", "host", "recorder", "policy_version__policy", "agenda"
        ).get(pk=meeting.pk)
        with django_assert_num_queries(3 if meeting is published else 2):
            got = selectors.meeting_for_detail(meeting.pk)
            assert fields(got) == fields(expected)
            for name in ("series", "host", "recorder", "policy_version"):
                assert fields(getattr(got, name)) == fields(getattr(expected, name)), name
            assert fields(got.policy_version.policy) == fields(expected.policy_version.policy)
            assert fields(selectors.preloaded_agenda(got)) == fields(selectors.preloaded_agenda(expected))
            assert got.policy_version.rules.minutes(
                "meeting_duration_cap"
            )  # the rules (JSON) as the ORM reads them
            assert str(got.policy_version) == str(expected.policy_version)
    assert got.is_emergency is True and got.status == Meeting.Status.CANCELLED and got.series is None
    with pytest.raises(Meeting.DoesNotExist):
        selectors.meeting_for_detail(10**9)
