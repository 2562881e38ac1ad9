"""The meeting-record page: attendance, per-item notes and outcomes, decisions and the
leadership group's answer to decisions that allocate resources."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.auth import login_required
from xietong.core.errors import DomainError
from xietong.core.forms import add_form_error, submit_action, submit_form
from xietong.core.optlock import StaleEdit
from xietong.meetings import services as meeting_services
from xietong.meetings.models import Meeting
from xietong.org.models import Role
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai

from . import selectors, services
from .forms import ApproveForm, AttendanceRowForm, DecisionForm, ItemRecordForm, RejectForm
from .models import Decision, ItemRecord


def _meeting(request, pk: int, now, *, edit_refusal=None) -> Meeting:
    """The meeting as its record page shows it: 404 for those who may not read the record,
    and with ``edit_refusal`` 403 for a reader who does not keep it."""
    return selectors.get_record_meeting_for_user(request.user, pk, now=now, edit_refusal=edit_refusal)


def _require_open_record(meeting: Meeting) -> None:
    """A closed record (meeting HELD) is read-only here: 403, corrections go through the minutes."""
    require(meeting.status != Meeting.Status.HELD, services.ERR_RECORD_CLOSED)


def _page(
    request,
    meeting: Meeting,
    now,
    *,
    status: int = 200,
    attendance_forms: dict[int, AttendanceRowForm] | None = None,
    attendance_error: str | None = None,
    item_form=None,
    decision_form=None,
    answer_form=None,
):
    roles = roles_of(request.user, on=as_shanghai(now).date())
    leadership = roles.has(Role.LEADERSHIP)
    # The recorder and host see the page after closing, but no longer the forms.
    edits = selectors.keeps_record(meeting, request.user) and meeting.status != Meeting.Status.HELD
    items = selectors.record_items(meeting)
    records_by_item = selectors.item_records_by_item(items)
    rows = []
    for row in selectors.attendance_table(meeting):
        form = None
        if edits:
            pk = row.rsvp.invitee_id
            form = (attendance_forms or {}).get(pk) or AttendanceRowForm(
                initial=row.initial,
                delegates=row.delegates,
                who=row.rsvp.invitee.get_full_name(),
                prefix=f"a{pk}",
            )
        rows.append({"row": row, "rsvp": row.rsvp, "attendance": row.attendance, "form": form})
    item_rows = []
    for item in items:
        record = records_by_item.get(item.pk)
        form = None
        if edits and not (record and record.outcome == ItemRecord.Outcome.DEFERRED):
            if item_form is not None and item_form[0] == item.pk:
                form = item_form[1]
            else:
                initial = (
                    {"notes": record.notes, "outcome": record.outcome, "reason": record.deferral_reason}
                    if record
                    else {}
                )
                form = ItemRecordForm(
                    initial=initial, prefix=f"i{item.pk}", version=record.edit_version if record else 0
                )
        item_rows.append({"item": item, "record": record, "form": form})
    decisions = list(meeting.decisions.all())
    awaiting = [d.pk for d in decisions if d.status == Decision.Status.AWAITING_LEADERSHIP]
    approval_duties = selectors.pending_approval_duties(awaiting)
    item_choices = [(i.pk, i.title) for i in items]
    context = {
        "now": now,
        "meeting": meeting,
        "edits": edits,
        "leadership": leadership,
        "rows": rows,
        "attendance_error": attendance_error,
        "item_rows": item_rows,
        "decisions": decisions,
        "approval_duties": approval_duties,
        "decision_form": decision_form
        or (DecisionForm(items=item_choices, unvoted=_marks_unvoted(meeting)) if edits else None),
        "answer_form": answer_form,
        # The steps offered are the tables' (meetings.services.TRANSITIONS for closing the record,
        # records.services.DECISION_TRANSITIONS for the leadership group's answers).
        "steps": meeting_services.allowed_actions(meeting, request.user, roles=roles),
        "answers": {d.pk: services.decision_actions(d, roles=roles) for d in decisions},
        "approve_form": ApproveForm(),
        "reject_form": RejectForm(),
        # Acknowledgement duties exist only once the record is closed (records.record_close).
        "ack_duties": selectors.ack_duties_for_meeting(meeting)
        if meeting.status == Meeting.Status.HELD
        else [],
    }
    return render(request, "records/meeting.html", context, status=status)


@login_required
@require_GET
def record_meeting(request, pk: int):
    now = timezone.now()
    return _page(request, _meeting(request, pk, now), now)


@login_required
@require_POST
def attendance(request, pk: int):
    """The attendance table: every invitee's row at once, all saved or none (each wrong row
    shows its refusal beside its field)."""
    now = timezone.now()
    meeting = _meeting(
        request, pk, now, edit_refusal=_("Only the meeting's recorder or host may record attendance.")
    )
    _require_open_record(meeting)
    table = selectors.attendance_table(meeting)
    forms = {
        row.rsvp.invitee_id: AttendanceRowForm(
            request.POST,
            delegates=row.delegates,
            who=row.rsvp.invitee.get_full_name(),
            prefix=f"a{row.rsvp.invitee_id}",
        )
        for row in table
    }

    def again(error: str | None = None):
        return _page(
            request,
            _meeting(request, pk, now),
            now,
            status=400,
            attendance_forms=forms,
            attendance_error=error or _("Some rows need correcting; nothing was saved."),
        )

    if not all(form.is_valid() for form in forms.values()):
        return again()
    invitees = {row.rsvp.invitee_id: row.rsvp.invitee for row in table}
    delegates = selectors.people_by_id(
        form.cleaned_data["delegate"] for form in forms.values() if form.cleaned_data["delegate"]
    )
    rows = [
        services.AttendanceRow(
            seat=invitees[pk],
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            delegate=delegates.get(form.cleaned_data["delegate"]) if form.cleaned_data["delegate"] else None,
        )
        for pk, form in forms.items()
        if form.cleaned_data["status"]
    ]
    try:
        services.attendance_record_table(meeting=meeting, rows=rows, actor=request.user, now=now)
    except services.AttendanceTableError as err:
        for seat, refusals in err.rows.items():
            for refusal in refusals:
                add_form_error(forms[seat], refusal)
        return again(str(err))
    except DomainError as err:
        return again(str(err))
    messages.success(request, _("Attendance recorded."))
    return redirect(reverse("records:meeting", args=[pk]) + "#attendance")


@login_required
@require_POST
def record_close(request, pk: int):
    now = timezone.now()
    meeting = _meeting(
        request, pk, now, edit_refusal=_("Only the meeting's recorder or host may close the record.")
    )
    return submit_action(
        request,
        lambda **who: services.record_close(meeting=meeting, **who),
        success=_("The record is complete; the departments were asked to acknowledge their tasks."),
        redirect_to=reverse("records:meeting", args=[pk]),
        now=now,
    )


@login_required
@require_POST
def item(request, pk: int):
    now = timezone.now()
    agenda_item = selectors.get_record_item_for_user(
        request.user, pk, now=now, refusal=_("Only the meeting's recorder may record the discussion.")
    )
    meeting = agenda_item.agenda.meeting
    _require_open_record(meeting)
    form = ItemRecordForm(request.POST, prefix=f"i{pk}")

    def stale(err: StaleEdit):
        record = selectors.item_record_of(agenda_item)
        saved = (
            {"notes": record.notes, "outcome": record.outcome, "reason": record.deferral_reason}
            if record
            else {}
        )
        form.mark_stale(err, saved=ItemRecordForm(initial=saved, prefix=f"i{pk}"))
        return _page(request, _meeting(request, meeting.pk, now), now, status=409, item_form=(pk, form))

    return submit_form(
        request,
        form,
        lambda data, **who: services.item_record(
            item=agenda_item,
            outcome=data["outcome"],
            notes=data["notes"],
            reason=data["reason"],
            expected_version=form.expected_version,
            **who,
        ),
        success=_("The item's record was saved."),
        redirect_to=reverse("records:meeting", args=[meeting.pk]),
        invalid=lambda status: _page(
            request, _meeting(request, meeting.pk, now), now, status=status, item_form=(pk, form)
        ),
        stale=stale,
        now=now,
    )


def _marks_unvoted(meeting) -> bool:
    """Whether the policy records a decision without a passed vote with the host's reason."""
    return meeting.policy_version.rules.choice(services.VOTE_RULE) == "mark_unvoted"


@login_required
@require_POST
def decision_add(request, pk: int):
    now = timezone.now()
    meeting = _meeting(
        request, pk, now, edit_refusal=_("Only the meeting's recorder or host may record decisions.")
    )
    _require_open_record(meeting)
    items = selectors.record_items_by_id(meeting)
    form = DecisionForm(
        request.POST, items=[(i.pk, i.title) for i in items.values()], unvoted=_marks_unvoted(meeting)
    )
    return submit_form(
        request,
        form,
        lambda data, **who: services.decision_create(
            meeting=meeting,
            agenda_item=items.get(data["agenda_item"]),
            text=data["text"],
            department=data["department"],
            responsible=data["responsible"],
            due_on=data["due_on"],
            allocates_resources=data["allocates_resources"],
            resource_kind=data["resource_kind"],
            amount=data["amount"],
            unvoted_reason=data.get("unvoted_reason", ""),
            **who,
        ),
        success=_("Decision recorded."),
        redirect_to=reverse("records:meeting", args=[pk]),
        invalid=lambda status: _page(
            request, _meeting(request, pk, now), now, status=status, decision_form=form
        ),
        now=now,
    )


def _answer(request, pk: int, *, form_class, call, done: str):
    now = timezone.now()
    decision = selectors.get_decision_for_user(
        request.user, pk, now=now, refusal=_("Only the leadership group may answer this decision.")
    )
    form = form_class(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: call(decision=decision, data=data, **who),
        success=done,
        redirect_to=reverse("records:meeting", args=[decision.meeting_id]),
        invalid=lambda status: _page(
            request, _meeting(request, decision.meeting_id, now), now, status=status, answer_form=(pk, form)
        ),
        now=now,
    )


@login_required
@require_POST
def decision_approve(request, pk: int):
    return _answer(
        request,
        pk,
        form_class=ApproveForm,
        call=lambda decision, data, actor, now: services.decision_approve(
            decision=decision, comment=data["comment"], actor=actor, now=now
        ),
        done=_("The decision was approved and takes effect."),
    )


@login_required
@require_POST
def decision_reject(request, pk: int):
    return _answer(
        request,
        pk,
        form_class=RejectForm,
        call=lambda decision, data, actor, now: services.decision_reject(
            decision=decision, reason=data["reason"], actor=actor, now=now
        ),
        done=_("The decision was rejected."),
    )
