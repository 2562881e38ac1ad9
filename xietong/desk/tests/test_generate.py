import io

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from xietong.actions.models import ActionItem
from xietong.agenda.models import Agenda, AgendaItem
from xietong.meetings.models import Meeting
from xietong.minutes.models import Minutes
from xietong.org.models import Department, Person, Role, RoleAssignment
from xietong.records.models import Decision
from xietong.topics.models import Topic


def _generate(**kw):
    call_command(
        "generate",
        departments=3,
        people=10,
        years=1,
        items_per_meeting=2,
        stdout=io.StringIO(),
        **kw,
    )


def test_generate_counts_and_list_page(db):
    _generate()
    assert Department.objects.count() == 3
    assert Person.objects.count() == 10
    assert RoleAssignment.objects.filter(role=Role.COORDINATOR).count() == 1
    meetings = Meeting.objects.count()
    assert meetings == 53  # 52 weeks of history + the next Monday
    held = Meeting.objects.filter(status=Meeting.Status.HELD).count()
    assert held == 52
    assert Agenda.objects.count() == meetings
    assert AgendaItem.objects.count() == meetings * 6
    assert Topic.objects.count() == meetings * 5
    assert Decision.objects.count() == held * 5
    assert ActionItem.objects.count() == held * 2
    assert Minutes.objects.filter(status=Minutes.Status.APPROVED).count() == held
    assert Meeting.objects.exclude(policy_version=None).count() == meetings
    coordinator = Person.objects.get(roles__role=Role.COORDINATOR)
    client = Client()
    client.force_login(coordinator)
    response = client.get("/actions/")
    assert response.status_code == 200
    some = ActionItem.objects.order_by("due_on", "id").first()
    assert some.title in response.content.decode()


def test_generate_scale_multiplies_history(db):
    _generate(scale=2)
    assert Meeting.objects.count() == 105
    assert ActionItem.objects.count() == 104 * 2


def test_generate_refuses_a_populated_database(db):
    _generate()
    try:
        _generate()
    except CommandError:
        pass
    else:
        raise AssertionError("expected CommandError")


def test_generate_keeps_each_items_due_date_duty_in_the_ledger(db):
    from django.utils import timezone

    from xietong.obligations.colours import action_deadline
    from xietong.obligations.models import Obligation, ObligationKind
    from xietong.policy.selectors import business_calendar

    _generate()
    calendar = business_calendar()
    now = timezone.now()
    duties = {
        o.subject_id: o
        for o in Obligation.objects.filter(kind=ObligationKind.ACTION_DUE).order_by("subject_id")
    }
    items = list(ActionItem.objects.order_by("id"))
    assert sorted(duties) == [i.pk for i in items]
    state = Obligation.State
    expected = {state.PENDING, state.BREACHED, state.MET, state.WAIVED}
    seen = set()
    for item in items:
        duty = duties[item.pk]
        assert duty.responsible_id == item.owner_id and duty.department_id == item.department_id
        assert duty.due_at == action_deadline(item.due_on, calendar)
        if item.status in ("open", "in_progress"):
            assert duty.closed_at is None
            assert duty.state == (state.PENDING if duty.due_at > now else state.BREACHED)
        else:
            assert duty.closed_at is not None
            assert duty.state == (state.MET if item.status == "done" else state.WAIVED)
        seen.add(duty.state)
    assert seen <= expected and state.PENDING in seen and state.MET in seen
    # The owners' 我的待办 shows their open duties.
    item = next(i for i in items if duties[i.pk].state == state.PENDING)
    client = Client()
    client.force_login(item.owner)
    page = client.get("/").content.decode()
    duties_section = page[page.index('id="duties"') : page.index("</section>", page.index('id="duties"'))]
    assert str(item) in duties_section


def test_generate_writes_each_meetings_notice_replies_and_duties(db):
    from xietong.meetings.models import Notice, Rsvp
    from xietong.meetings.selectors import meeting_invitee_plan
    from xietong.obligations.models import Obligation, ObligationKind

    _generate()
    assert Notice.objects.count() == Meeting.objects.count()
    held = Meeting.objects.filter(status=Meeting.Status.HELD).order_by("-starts_at").first()
    ahead = Meeting.objects.get(status=Meeting.Status.PUBLISHED)
    for meeting in (held, ahead):
        # The same invitees, in the same capacity, as publishing the notice would invite.
        plan = {(i.person.pk, i.invited_as, i.department.pk) for i in meeting_invitee_plan(meeting)}
        rsvps = {(r.invitee_id, r.invited_as, r.department_id) for r in Rsvp.objects.filter(meeting=meeting)}
        assert rsvps == plan
    assert not Rsvp.objects.filter(meeting=held, response=Rsvp.Response.PENDING).exists()
    assert not Rsvp.objects.filter(meeting=ahead).exclude(response=Rsvp.Response.PENDING).exists()
    replies = Rsvp.objects.filter(meeting__status=Meeting.Status.HELD)
    assert replies.filter(response=Rsvp.Response.ATTEND).count() > replies.count() * 0.8
    assert all(r.reason for r in replies.filter(response=Rsvp.Response.ABSENT))
    assert all(r.delegate_id for r in replies.filter(response=Rsvp.Response.DELEGATE))
    duties = Obligation.objects.filter(subject_type__model="meeting")
    kinds = set(duties.filter(subject_id=held.pk).values_list("kind", flat=True))
    assert kinds == {
        ObligationKind.AGENDA,
        ObligationKind.NOTICE,
        ObligationKind.RSVP,
        ObligationKind.MINUTES,
        ObligationKind.DECISION_ACK,
    }
    assert duties.filter(subject_id=held.pk, kind=ObligationKind.RSVP).count() == len(plan_of(held))
    assert not duties.filter(subject_id=held.pk, state=Obligation.State.PENDING).exists()
    assert all(d.clause for d in duties.filter(subject_id=held.pk))
    pending = duties.filter(subject_id=ahead.pk, kind=ObligationKind.RSVP, state=Obligation.State.PENDING)
    assert pending.count() == len(plan_of(ahead))
    # The meeting page shows them.
    client = Client()
    client.force_login(held.host)
    page = client.get(f"/meetings/{held.pk}/").content.decode()
    assert page.count("data-rsvp=") == len(plan_of(held))


def plan_of(meeting):
    from xietong.meetings.selectors import meeting_invitee_plan

    return meeting_invitee_plan(meeting)


def test_generate_writes_the_liaisons_progress_reports(db):
    from django.utils import timezone

    from xietong.actions.models import ProgressReport

    _generate()
    reports = ProgressReport.objects.select_related("action_item", "reporter")
    assert reports.exists()
    liaisons = {(ra.department_id, ra.person_id) for ra in RoleAssignment.objects.filter(role=Role.LIAISON)}
    now = timezone.now()
    for r in reports:
        assert (r.action_item.department_id, r.reporter_id) in liaisons
        assert r.action_item.created_at < r.reported_at <= now
        assert (r.status == "delayed") == bool(r.reason)
        if r.status == "done":
            assert r.action_item.status == "done"
    open_items = ActionItem.objects.filter(status__in=["open", "in_progress"])
    assert ProgressReport.objects.filter(action_item__in=open_items).exists()
    assert not ProgressReport.objects.filter(action_item__status="cancelled").exists()
