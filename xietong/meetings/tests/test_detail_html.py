"""The meeting page's reply and duty rows, read as plain rows and written in Python, are
exactly what meetings/detail.html wrote from the ORM objects before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import engines
from django.utils import translation

from xietong.meetings import services
from xietong.meetings.html import duty_rows_html, reply_rows_html
from xietong.meetings.models import Rsvp
from xietong.meetings.selectors import duty_rows, meeting_obligations, meeting_rsvps, reply_rows
from xietong.meetings.tests.factories import THU_1800, published_meeting
from xietong.obligations.models import Obligation

# The loops meetings/detail.html had before these rows were written in Python.
FORMER_REPLIES = """{% with late_label = _("Late"), overdue_label = _("Overdue"), delegate_label = _("Delegate") %}
    {% for rsvp in rsvps %}
    {% set duty = rsvp_duties.get(rsvp.invitee_id) %}
    <tr data-rsvp="{{ rsvp.pk }}">
      <td>{{ rsvp.invitee }}{% if rsvp.department %}<br><small class="muted">{{ rsvp.department.name }}</small>{% endif %}</td>
      <td>{{ rsvp.get_invited_as_display() }}</td>
      <td>{{ rsvp.get_response_display() }}
        {% if rsvp.response == "delegate" and rsvp.delegate %}<br><small>{{ delegate_label }}: {{ rsvp.delegate }}</small>{% endif %}
        {% if rsvp.reason %}<br><small class="muted">{{ rsvp.reason }}</small>{% endif %}
      </td>
      <td>{% if rsvp.answered_at %}{{ rsvp.answered_at|localtime }}{% endif %}
        {% if rsvp.answered_late %}<span class="badge late">{{ late_label }} ({{ duty.clause if duty else "" }})</span>
        {% elif duty and duty.is_late(now) %}<span class="badge late">{{ overdue_label }} ({{ duty.clause }})</span>{% endif %}
      </td>
    </tr>
    {% endfor %}{% endwith %}"""

FORMER_DUTIES = """{% with late_label = _("Late"), may_move_label = _("may move") %}
    {% for duty in duties %}
    <tr>
      <td>{{ duty.get_kind_display() }}</td>
      <td>{{ duty.responsible or "—" }}</td>
      <td>{{ duty.due_at|localtime }}{% if duty.calendar_flagged %} <span class="badge warn" title="{{ _('The holiday schedule for this year is not published yet.') }}">{{ may_move_label }}</span>{% endif %}</td>
      <td>{{ duty.clause }}</td>
      <td>{{ duty.get_state_display() }}{% if duty.is_late(now) %} <span class="badge late">{{ late_label }}</span>{% endif %}</td>
    </tr>
    {% else %}
    <tr><td colspan="5" class="muted">{{ _("No duties.") }}</td></tr>
    {% endfor %}{% endwith %}"""


def _former(source, **context):
    """The loop's output (without the line break and indent after its ``with`` tag, which the
    page keeps around the new rows)."""
    out = engines["jinja2"].from_string(source).render(context)
    assert out.startswith("\n    ")
    return out[5:]


def _varied_meeting(torg):
    """Replies of every kind: attending, delegated with a reason, absent with markup in the
    reason, answered late, unanswered past the deadline; a duty flagged and one breached."""
    meeting = published_meeting(torg, topics=2)
    rsvps = {r.invitee_id: r for r in meeting.rsvps.all()}
    services.rsvp_answer(
        rsvp=rsvps[torg.tech_head.pk],
        response=Rsvp.Response.DELEGATE,
        delegate=torg.tech_deputy,
        reason="出差 & 培训",
        actor=torg.tech_head,
        now=THU_1800,
    )
    absent = next(r for r in rsvps.values() if r.invitee_id != torg.tech_head.pk)
    services.rsvp_answer(
        rsvp=absent,
        response=Rsvp.Response.ABSENT,
        reason="<script>alert(1)</script>",
        actor=absent.invitee,
        now=THU_1800,
    )
    Rsvp.objects.filter(pk=absent.pk).update(answered_late=True)
    duties = Obligation.objects.filter(subject_id=meeting.pk, subject_type__model="meeting")
    first = duties.order_by("id").first()
    Obligation.objects.filter(pk=first.pk).update(calendar_flagged=True, state=Obligation.State.BREACHED)
    # Someone's duty became another's name: a person without a full name shows the username.
    type(torg.tech_deputy).objects.filter(pk=torg.tech_deputy.pk).update(full_name="")
    return meeting


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_reply_and_duty_rows_are_the_former_template_rows(torg, language):
    meeting = _varied_meeting(torg)
    now = meeting.starts_at + timedelta(minutes=1)  # unanswered replies are now overdue
    with translation.override(language):
        rsvps = meeting_rsvps(meeting)
        obligations = meeting_obligations(meeting)
        rsvp_duties = {o.responsible_id: o for o in obligations if o.kind == "rsvp"}
        former_replies = _former(FORMER_REPLIES, rsvps=rsvps, rsvp_duties=rsvp_duties, now=now)
        former_duties = _former(FORMER_DUTIES, duties=obligations, now=now)
        duties = duty_rows(meeting)
        replies = str(
            reply_rows_html(
                reply_rows(meeting), {d.responsible_id: d for d in duties if d.kind == "rsvp"}, now
            )
        )
        duty_markup = str(duty_rows_html(duties, now))
    assert replies == former_replies
    assert duty_markup == former_duties
    assert "<script>" not in replies and "&lt;script&gt;" in replies and "&amp; 培训" in replies
    # Answered late, and unanswered past the deadline (overdue): both badges.
    assert replies.count('class="badge late"') >= 2 and "(" + rsvp_duties[torg.tech_head.pk].clause in replies
    for markup in ("badge late", "<br><small>", 'class="badge warn"'):
        assert markup in replies + duty_markup
    assert replies.count("<tr ") == len(rsvps) > 3
    assert duty_markup.count("<tr>") == len(obligations) > 3


def test_no_duties_row(torg):
    with translation.override("zh-hans"):
        former = _former(FORMER_DUTIES, duties=[], now=THU_1800)
        assert str(duty_rows_html([], THU_1800)) == former
    assert str(reply_rows_html([], {}, THU_1800)) == ""


def test_rows_are_the_orm_rows(torg):
    meeting = _varied_meeting(torg)
    expected = [
        (r.pk, r.invitee_id, str(r.invitee), r.department.name if r.department else None, r.invited_as,
         r.response, r.delegate_id, str(r.delegate) if r.delegate else None, r.reason, r.answered_at,
         r.answered_late)
        for r in meeting_rsvps(meeting)
    ]  # fmt: skip
    got = [
        (r.pk, r.invitee_id, r.invitee, r.department, r.invited_as, r.response, r.delegate_id, r.delegate,
         r.reason, r.answered_at, r.answered_late)
        for r in reply_rows(meeting)
    ]  # fmt: skip
    assert got == expected and any(r[7] for r in got) and any(r[9] for r in got)
    expected = [
        (o.kind, o.responsible_id, str(o.responsible) if o.responsible else None, o.due_at,
         o.calendar_flagged, o.clause, o.state)
        for o in meeting_obligations(meeting)
    ]  # fmt: skip
    got = [
        (d.kind, d.responsible_id, d.responsible, d.due_at, d.calendar_flagged, d.clause, d.state)
        for d in duty_rows(meeting)
    ]
    assert got == expected and any(d[4] for d in got)
    now = meeting.starts_at + timedelta(minutes=1)
    assert [d.is_late(now) for d in duty_rows(meeting)] == [
        o.is_late(now) for o in meeting_obligations(meeting)
    ]
