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
    with time_machine.travel(THU_1800, tick=False), django_assert_max_num_queries(9):
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
            # What the page shows of each relation came with the meeting row.
            for name, shown in (
                ("series", ("id", "name")),
                ("host", ("id", "full_name", "username")),
                ("recorder", ("id", "full_name", "username")),
                ("policy_version", ("id", "policy_id", "number")),
            ):
                related, wanted = getattr(got, name), getattr(expected, name)
                assert (related is None) == (wanted is None), name
                if related is not None:
                    assert {f: getattr(related, f) for f in shown} == {f: getattr(wanted, f) for f in shown}
                    assert str(related) == str(wanted)
            assert got.policy_version.policy.name == expected.policy_version.policy.name
            agenda, wanted_agenda = selectors.preloaded_agenda(got), selectors.preloaded_agenda(expected)
            assert (agenda and (agenda.pk, agenda.status, agenda.get_status_display())) == (
                wanted_agenda and (wanted_agenda.pk, wanted_agenda.status, wanted_agenda.get_status_display())
            )
            assert got.policy_version.rules.minutes(
                "meeting_duration_cap"
            ) == expected.policy_version.rules.minutes("meeting_duration_cap")  # the rules, from the JSON
        # The rest of each relation (and the version's JSON) loads on access, as with .only().
        for name in ("series", "host", "recorder", "policy_version"):
            if getattr(got, name) is not None:
                assert fields(getattr(got, name)) == fields(getattr(expected, name)), name
        assert fields(got.policy_version.policy) == fields(expected.policy_version.policy)
        assert fields(selectors.preloaded_agenda(got)) == fields(selectors.preloaded_agenda(expected))
    assert got.is_emergency is True and got.status == Meeting.Status.CANCELLED and got.series is None
    with pytest.raises(Meeting.DoesNotExist):
        selectors.meeting_for_detail(10**9)


def _all_fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_cursor_reads_give_every_field_as_the_orm_reads_it(torg):
    """The page's reads go through a cursor and build instances with the ORM's converters:
    every column (datetimes, booleans, JSON, nullable keys) equals what the ORM reads."""
    from xietong.meetings import services
    from xietong.obligations.selectors import obligations_for

    meeting = published_meeting(torg, topics=2)
    answered = meeting.rsvps.filter(invitee=torg.tech_head).get()
    services.rsvp_answer(
        rsvp=answered,
        response=Rsvp.Response.DELEGATE,
        delegate=torg.tech_deputy,
        reason="出差",
        actor=torg.tech_head,
        now=THU_1800,
    )
    got = selectors.meeting_for_detail(meeting.pk)
    rsvps = list(got.rsvps.all())
    expected = {r.pk: r for r in Rsvp.objects.filter(meeting=meeting)}
    assert [_all_fields(r) for r in rsvps] == [_all_fields(expected[r.pk]) for r in rsvps]
    assert any(r.answered_at is not None for r in rsvps)
    assert all(isinstance(r.answered_late, bool) for r in rsvps)
    items = list(got.agenda.items.all())
    assert [_all_fields(i) for i in items] == [
        _all_fields(i) for i in AgendaItem.objects.filter(agenda__meeting=meeting).order_by("position", "id")
    ]
    duties = selectors.meeting_obligations(meeting)
    orm_duties = list(obligations_for(meeting).order_by("kind", "due_at", "id"))
    assert duties and [_all_fields(d) for d in duties] == [_all_fields(d) for d in orm_duties]
    notice = selectors.latest_notice(meeting)
    assert _all_fields(notice) == _all_fields(meeting.notices.order_by("-sequence", "-id").first())
    assert not notice._state.adding and notice._state.db == "default"


def test_the_regulations_rules_are_those_of_the_version(torg):
    """The rules shown (duration cap and its clause) are the version's own, also when two
    versions with different numbers are read one after the other."""
    from xietong.meetings.tests.factories import policy_version_with

    meeting = published_meeting(torg, topics=1)
    got = selectors.meeting_for_detail(meeting.pk)
    version = got.policy_version
    assert got.policy_version.rules == type(version).objects.get(pk=version.pk).rules
    other = policy_version_with(torg.policy, "seed01-weekly", meeting_duration_cap={"minutes": 75})
    Meeting.objects.filter(pk=meeting.pk).update(policy_version=other)
    again = selectors.meeting_for_detail(meeting.pk)
    assert again.policy_version.pk == other.pk
    assert again.policy_version.rules.minutes("meeting_duration_cap") == 75
    assert got.policy_version.rules.minutes("meeting_duration_cap") != 75


def test_a_version_whose_rules_do_not_load_fails_only_where_they_are_used(torg):
    import pytest

    from xietong.policy.models import PolicyVersion
    from xietong.policy.rules import PolicyFileError

    meeting = published_meeting(torg, topics=1)
    broken = PolicyVersion.objects.create(
        policy=torg.policy, number=99, data={"policy": {}}, created_at=THU_1800, reason="test"
    )
    Meeting.objects.filter(pk=meeting.pk).update(policy_version=broken)
    got = selectors.meeting_for_detail(meeting.pk)  # as before: read without the rules
    with pytest.raises(PolicyFileError):
        got.policy_version.rules  # noqa: B018


def test_may_open_meeting_answers_as_meetings_visible_to(torg, django_assert_max_num_queries):
    """The written-out visibility check gives the ORM's answer for every person and meeting:
    role holders, people without a role who are invited, named delegates, hosts and recorders,
    and outsiders; planned (notice not out), published and cancelled meetings."""
    from xietong.desk.testing import make_person
    from xietong.meetings import services
    from xietong.meetings.tests.factories import next_meeting

    published = published_meeting(torg, topics=1)
    planned = Meeting.objects.create(
        policy_version=published.policy_version,
        title="未发布",
        starts_at=published.starts_at,
        ends_at=published.ends_at,
    )
    cancelled = Meeting.objects.create(
        policy_version=published.policy_version,
        title="取消",
        starts_at=published.starts_at,
        ends_at=published.ends_at,
    )
    services.meeting_cancel(meeting=cancelled, reason="取消", actor=torg.coordinator, now=THU_1800)
    invitee = make_person("guest_invitee", "客人甲", torg.departments["tech"])
    delegate = make_person("guest_delegate", "客人乙", torg.departments["tech"])
    host = make_person("guest_host", "客人丙", None)
    recorder = make_person("guest_recorder", "客人丁", None)
    nobody = make_person("guest_nobody", "客人戊", None)
    first, second = list(published.rsvps.order_by("id")[:2])
    Rsvp.objects.filter(pk=first.pk).update(invitee=invitee)
    Rsvp.objects.filter(pk=second.pk).update(delegate=delegate)
    Meeting.objects.filter(pk=cancelled.pk).update(host=host)
    Meeting.objects.filter(pk__in=[cancelled.pk, planned.pk]).update(recorder=recorder)
    meetings = [published, planned, cancelled, next_meeting(torg)]
    people = [*torg.people.values(), invitee, delegate, host, recorder, nobody]
    seen = set()
    for person in people:
        for meeting in meetings:
            expected = selectors.meetings_visible_to(person).filter(pk=meeting.pk).exists()
            with django_assert_max_num_queries(2):  # the person's roles, then the check
                got = selectors.may_open_meeting(person, meeting.pk)
            assert got == expected, (person.username, meeting.title)
            seen.add((person.pk in (invitee.pk, delegate.pk, host.pk, recorder.pk, nobody.pk), got))
        # no such meeting: role holders pass (the page then finds no meeting: 404), others do not
        assert selectors.may_open_meeting(person, 10**9) == selectors.sees_all_meetings(person)
    assert {(True, True), (True, False), (False, True)} <= seen


def test_agenda_rows_are_what_the_page_shows_of_the_orm_items(torg, django_assert_num_queries):
    meeting = published_meeting(torg, topics=2)
    expected = _orm(meeting.pk)
    with django_assert_num_queries(2):  # the meeting, then its agenda's rows
        got = selectors.meeting_with_relations(meeting.pk)
        rows = selectors.agenda_rows(selectors.preloaded_agenda(got))
    assert rows == [
        (kind, title, department, minutes)
        for _, kind, title, _, minutes, _, department in _item_rows(expected)
    ]
    assert any(r[2] for r in rows) and any(r[2] is None for r in rows)
    assert selectors.agenda_rows(None) == []


def test_meeting_page_replies_match_the_orm_and_count_by_answer(torg, django_assert_num_queries):
    meeting = published_meeting(torg, topics=1)
    first = meeting.rsvps.order_by("id").first()
    Rsvp.objects.filter(pk=first.pk).update(response=Rsvp.Response.ABSENT, reason="出差")
    got = selectors.meeting_with_relations(meeting.pk)
    with django_assert_num_queries(1):
        rsvps = selectors.meeting_rsvps(got)
        shown = [
            (r.pk, str(r.invitee), r.department.name if r.department_id else None, r.response) for r in rsvps
        ]
    expected = _orm(meeting.pk)
    assert shown == [(r[0], r[2], r[4], r[5]) for r in _rsvp_rows(expected)]
    counts = selectors.rsvp_counts(rsvps)
    assert (
        counts["absent"] == 1 and counts["pending"] == len(rsvps) - 1 and sum(counts.values()) == len(rsvps)
    )


def test_the_meeting_row_brings_the_newest_notice_and_the_calendar(torg, django_assert_num_queries):
    from datetime import date

    from xietong.meetings import services
    from xietong.org.services import org_calendar_override_set
    from xietong.policy.selectors import business_calendar

    meeting = published_meeting(torg, topics=1)
    services.meeting_reschedule(
        meeting=meeting,
        starts_at=meeting.starts_at,
        location="二楼会议室",
        actor=torg.coordinator,
        now=THU_1800,
    )
    org_calendar_override_set(day=date(2026, 3, 4), kind="closed", actor=torg.coordinator, now=THU_1800)
    with django_assert_num_queries(1):
        got = selectors.meeting_with_relations(meeting.pk)
        notice = selectors.latest_notice(got)
        calendar = got.org_calendar
    expected = meeting.notices.order_by("-sequence", "-id").first()
    assert (notice.pk, notice.sequence, notice.body, notice.published_at, notice.is_emergency) == (
        expected.pk,
        expected.sequence,
        expected.body,
        expected.published_at,
        expected.is_emergency,
    )
    assert calendar is business_calendar()  # the same calendar, kept per content
    assert not calendar.is_working_day(date(2026, 3, 4))
    bare = Meeting.objects.create(
        policy_version=meeting.policy_version,
        title="无通知",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )
    with django_assert_num_queries(1):
        assert selectors.latest_notice(selectors.meeting_with_relations(bare.pk)) is None
