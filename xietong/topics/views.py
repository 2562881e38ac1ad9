"""Topic pages: list, draft/edit, detail with its actions, the similar-topics fragment."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import events_for
from xietong.core.forms import submit_form
from xietong.core.jinja import localtime
from xietong.core.optlock import StaleEdit
from xietong.core.params import parse_id
from xietong.meetings.models import Meeting, MeetingSeries
from xietong.meetings.selectors import open_occurrence
from xietong.obligations.models import Obligation
from xietong.obligations.selectors import obligations_for
from xietong.org.models import Department, Role
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai
from xietong.policy.selectors import business_calendar

from . import attachments, selectors, services
from .forms import (
    SIX_FIELDS,
    W_FIELDS,
    AttachmentForm,
    CommentForm,
    FilterForm,
    ReasonForm,
    TopicForm,
    TriageForm,
    WithdrawForm,
)
from .models import Topic

EVENT_LABELS = {
    "topic.created": _("Drafted"),
    "topic.updated": _("Edited"),
    "topic.sent_for_review": _("Sent to the department head for review"),
    "topic.approved": _("Approved by the department head"),
    "topic.returned": _("Returned by the department head"),
    "topic.submitted": _("Submitted to the coordinator"),
    "topic.triaged": _("Triaged by the coordinator"),
    "topic.returned_by_coordinator": _("Returned by the coordinator"),
    "topic.rejected": _("Rejected by the coordinator"),
    "topic.withdrawn": _("Withdrawn"),
    "topic.scheduled": _("Placed on the agenda"),
    "topic.unscheduled": _("Taken off the agenda"),
    "topic.rolled_over": _("Deferred to a later meeting"),
    "topic.attachment_added": _("Material added"),
    "topic.attachment_removed": _("Material removed"),
    "topic.done": _("Dealt with at the meeting"),
    "topic.reopened": _("Outcome changed at the meeting"),
}

# Actions whose POST carries a form, with the form's prefix.
PREFIX = {
    "approve": "approve",
    "return": "return",
    "triage": "triage",
    "coordinator_return": "creturn",
    "reject": "reject",
    "withdraw": "withdraw",
}


def _meeting_url(meeting) -> str | None:
    if meeting is None:
        return None
    try:
        return reverse("meetings:detail", args=[meeting.pk])
    except NoReverseMatch:  # the meetings pages are optional for this page
        return None


def late_text(clause: str, due_at) -> str:
    """ "late — 第五条(二)4 (due 2026-03-05 15:00)", formatted here because the template
    gettext cannot take %-parameters."""
    if isinstance(due_at, str):
        due_at = datetime.fromisoformat(due_at)
    return str(_("late — %(clause)s (due %(due)s)") % {"clause": clause, "due": localtime(due_at)})


def _late_message(duty: Obligation | None):
    if duty is None or duty.state != Obligation.State.BREACHED:
        return None
    return _("Recorded as late — %(clause)s (due %(due)s).") % {
        "clause": duty.clause,
        "due": localtime(duty.due_at),
    }


# ---- list -------------------------------------------------------------------------------------


@login_required
def topic_list(request):
    """All topics the user may see, filtered by status/department/meeting, keyed pages of 50."""
    departments = list(Department.objects.filter(is_active=True).only("name"))
    meetings = list(Meeting.objects.only("title").order_by("-starts_at")[:30])
    form = FilterForm(request.GET or None, departments=departments, meetings=meetings)
    before = parse_id(request.GET.get("before"))
    rows, next_before = selectors.topic_list(
        request.user,
        status=form.value("status"),
        department_id=form.value("department"),
        meeting_id=form.value("meeting"),
        before_id=before,
    )
    next_url = None
    if next_before:
        params = request.GET.copy()
        params["before"] = str(next_before)
        next_url = f"?{params.urlencode()}"
    roles = roles_of(request.user)
    return render(
        request,
        "topics/list.html",
        {
            "form": form,
            "topics": rows,
            "next_url": next_url,
            "paged": before is not None,
            "can_create": bool(roles.departments(Role.LIAISON)),
        },
    )


# ---- drafting -----------------------------------------------------------------------------------


def _liaison_departments(person, now) -> list[Department]:
    ids = roles_of(person, on=as_shanghai(now).date()).departments(Role.LIAISON)
    return list(Department.objects.filter(pk__in=ids, is_active=True))


def _cutoffs(series, now) -> dict | None:
    """The target meeting of a new topic and its cut-offs, computed without writing anything."""
    if series is None:
        return None
    found = open_occurrence(series, now=now)
    if found is None:
        return None
    starts_at, rules = found.starts_at, found.rules
    calendar = business_calendar()
    steps = []
    for key in ("topic_window_opens", "head_review_cutoff", "submission_cutoff", "topic_window_closes"):
        rule = rules.get(key)
        due = rules.deadline(key, starts_at, calendar) if rule else None
        if due is not None:
            steps.append(
                {
                    "key": key,
                    "label": rule.label,
                    "clause": rule.clause,
                    "at": due.value,
                    "flagged": due.flagged,
                    "passed": now > due.value,
                }
            )
    return {"starts_at": starts_at, "steps": steps}


def _form_context(form, topic=None, *, series=None, now=None) -> dict:
    return {
        "form": form,
        "topic": topic,
        "six_fields": [form[name] for name in SIX_FIELDS],
        "w_fields": [form[name] for name in W_FIELDS],
        "head_fields": [form[name] for name in ("department", "series") if name in form.fields],
        "cutoffs": _cutoffs(series, now) if series is not None else None,
    }


@login_required
def topic_create(request):
    """Draft a new topic (liaisons only)."""
    now = timezone.now()
    departments = _liaison_departments(request.user, now)
    if not departments:
        raise Forbidden(_("Only a department's liaison may draft topics."), code="forbidden_create")
    series_qs = MeetingSeries.objects.filter(is_active=True).order_by("pk")
    form = TopicForm(request.POST or None, departments=departments, series=series_qs)

    def page(status: int = 200):
        series = form.cleaned_data.get("series") if form.is_bound and hasattr(form, "cleaned_data") else None
        series = series or series_qs.first()
        return render(request, "topics/form.html", _form_context(form, series=series, now=now), status=status)

    if request.method != "POST":
        return page()
    return submit_form(
        request,
        form,
        lambda data, **who: services.topic_create(
            department=data["department"],
            series=data["series"],
            departments_involved=data["departments_involved"],
            **form.text_values(),
            **who,
        ),
        success=_("Topic drafted. Send it to your department head when it is ready."),
        redirect_to=lambda topic: reverse("topics:detail", args=[topic.pk]),
        invalid=page,
        status=200,
        now=now,
    )


@login_required
def topic_edit(request, pk: int):
    """Edit a draft (new or returned) — the department's liaison only."""
    now = timezone.now()
    topic = selectors.get_topic_for_user(request.user, pk, now=now, action="edit")
    if topic.status != Topic.Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return HttpResponseRedirect(reverse("topics:detail", args=[topic.pk]))
    form = TopicForm(request.POST or None, instance=topic)

    def page(status: int = 200):
        return render(request, "topics/form.html", _form_context(form, topic), status=status)

    def stale(err: StaleEdit):
        # The form keeps what this editor typed; the saved values are listed with it.
        form.mark_stale(err, saved=TopicForm(instance=Topic.objects.get(pk=topic.pk)))
        return page(409)

    if request.method != "POST":
        return page()
    return submit_form(
        request,
        form,
        lambda data, **who: services.topic_update(
            topic=topic,
            departments_involved=data["departments_involved"],
            expected_version=form.expected_version,
            **form.text_values(),
            **who,
        ),
        success=_("Changes saved."),
        redirect_to=reverse("topics:detail", args=[topic.pk]),
        invalid=page,
        status=200,
        stale=stale,
        now=now,
    )


# ---- detail and actions -----------------------------------------------------------------------


def _action_forms(topic: Topic, actions: list[str], data=None, only: str | None = None) -> dict:
    """The forms of the actions offered; ``data`` binds the one named ``only``."""
    rules = None
    forms = {}
    for action in actions:
        bound = data if action == only else None
        if action == "approve":
            forms[action] = CommentForm(bound, prefix=PREFIX[action], required=False)
        elif action == "return":
            forms[action] = CommentForm(bound, prefix=PREFIX[action])
        elif action == "coordinator_return":
            forms[action] = ReasonForm(
                bound, prefix=PREFIX[action], label=_("Why it goes back to the department")
            )
        elif action == "reject":
            forms[action] = ReasonForm(bound, prefix=PREFIX[action], label=_("Why it is rejected"))
        elif action == "withdraw":
            forms[action] = WithdrawForm(bound, prefix=PREFIX[action])
        elif action == "triage":
            rules = rules or services._policy_rules(topic)
            budget = rules.get("default_item_budget")  # a required rule of every policy
            cap = rules.get("meeting_duration_cap")
            initial = None
            if topic.category:
                initial = {
                    "category": topic.category,
                    "priority": topic.priority,
                    "budget_minutes": topic.budget_minutes,
                }
            forms[action] = TriageForm(
                bound,
                prefix=PREFIX[action],
                initial=initial,
                default_budget=budget.minutes,
                cap=cap.minutes if cap else None,
                help_text=_("Default %(minutes)s min (%(clause)s); at most %(cap)s min (%(cap_clause)s).")
                % {
                    "minutes": budget.minutes,
                    "clause": budget.clause,
                    "cap": cap.minutes if cap else "",
                    "cap_clause": cap.clause if cap else "",
                },
            )
    return forms


def _render_detail(
    request,
    topic: Topic,
    *,
    now,
    bound: dict | None = None,
    only: str | None = None,
    status=200,
    attachment_form: AttachmentForm | None = None,
):
    actions = services.available_actions(topic=topic, person=request.user, now=now)
    forms = _action_forms(topic, actions, bound, only)
    may_attach = attachments.may_change(topic=topic, person=request.user, now=now)
    if may_attach and attachment_form is None:
        attachment_form = AttachmentForm(allowed=attachments.allowed_extensions())
    duties = list(obligations_for(topic))
    for o in duties:
        o.late_text = late_text(o.clause, o.due_at) if o.is_late(now) else ""
    late = [o for o in duties if o.late_text]
    events = list(events_for(topic))
    for e in events:
        e.late_text = late_text(e.data.get("clause", ""), e.data["due"]) if e.data.get("late") else ""
    similar = selectors.similar_topics(None, exclude_id=topic.pk, tokens=topic.tokens, viewer=request.user)
    return render(
        request,
        "topics/detail.html",
        {
            "topic": topic,
            "now": now,
            "involved": list(topic.departments_involved.all()),
            "duties": duties,
            "late": late,
            "events": events,
            "event_labels": EVENT_LABELS,
            "similar": similar,
            "actions": actions,
            "forms": forms,
            "meeting_url": _meeting_url(topic.meeting),
            "files": list(topic.attachments.select_related("uploaded_by")),
            "may_attach": may_attach,
            "attachment_form": attachment_form if may_attach else None,
        },
        status=status,
    )


@login_required
def topic_detail(request, pk: int):
    """The topic: 第六条 fields, 5W1H, status, target meeting, duties with clause and lateness,
    history, similar earlier topics and the actions the user may take."""
    topic = selectors.get_topic_for_user(request.user, pk)
    return _render_detail(request, topic, now=timezone.now())


# What each action says when it succeeded (one message per action, never a generic "done").
DONE = {
    "send_review": _("Sent to the department head for review."),
    "approve": _("Topic approved."),
    "return": _("Returned to the liaison."),
    "submit": _("Submitted to the coordinator."),
    "triage": _("Topic triaged."),
    "coordinator_return": _("Returned to the department."),
    "reject": _("Topic rejected."),
    "withdraw": _("Topic withdrawn."),
}


def _act(request, pk: int, action: str, call):
    """Shared POST handling: 404 for outsiders, role check (403, nothing changes), form check,
    service call."""
    now = timezone.now()
    topic = selectors.get_topic_for_user(request.user, pk, now=now, action=action)
    form = None
    if action in PREFIX:
        forms = _action_forms(topic, [action], request.POST, action)
        form = forms[action]
        if not form.is_valid():
            return _render_detail(request, topic, now=now, bound=request.POST, only=action, status=400)
    try:
        result = call(topic, now, form.cleaned_data if form is not None else {})
    except DomainError as err:
        if form is not None and err.field in form.fields:
            form.add_error(err.field, str(err))
            return _render_detail(request, topic, now=now, bound=request.POST, only=action, status=400)
        raise
    late = _late_message(getattr(result, "closed_duty", None))
    if late:
        messages.warning(request, late)
    else:
        messages.success(request, DONE[action])
    return HttpResponseRedirect(reverse("topics:detail", args=[topic.pk]))


@require_POST
@login_required
def topic_send_review(request, pk: int):
    return _act(
        request,
        pk,
        "send_review",
        lambda t, now, d: services.topic_send_for_review(topic=t, actor=request.user, now=now),
    )


@require_POST
@login_required
def topic_approve(request, pk: int):
    return _act(
        request,
        pk,
        "approve",
        lambda t, now, d: services.topic_approve(
            topic=t, actor=request.user, now=now, comment=d.get("comment", "")
        ),
    )


@require_POST
@login_required
def topic_return(request, pk: int):
    return _act(
        request,
        pk,
        "return",
        lambda t, now, d: services.topic_return(topic=t, actor=request.user, now=now, comment=d["comment"]),
    )


@require_POST
@login_required
def topic_submit(request, pk: int):
    return _act(
        request, pk, "submit", lambda t, now, d: services.topic_submit(topic=t, actor=request.user, now=now)
    )


@require_POST
@login_required
def topic_triage(request, pk: int):
    return _act(
        request,
        pk,
        "triage",
        lambda t, now, d: services.topic_triage(
            topic=t,
            actor=request.user,
            now=now,
            category=d["category"],
            priority=d["priority"],
            budget_minutes=d["budget_minutes"],
        ),
    )


@require_POST
@login_required
def topic_coordinator_return(request, pk: int):
    return _act(
        request,
        pk,
        "coordinator_return",
        lambda t, now, d: services.topic_coordinator_return(
            topic=t, actor=request.user, now=now, reason=d["reason"]
        ),
    )


@require_POST
@login_required
def topic_reject(request, pk: int):
    return _act(
        request,
        pk,
        "reject",
        lambda t, now, d: services.topic_reject(topic=t, actor=request.user, now=now, reason=d["reason"]),
    )


@require_POST
@login_required
def topic_withdraw(request, pk: int):
    return _act(
        request,
        pk,
        "withdraw",
        lambda t, now, d: services.topic_withdraw(
            topic=t, actor=request.user, now=now, reason=d.get("reason", "")
        ),
    )


# ---- similar topics (HTMX fragment) ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def topic_similar(request):
    """Earlier topics like the title + background being typed (a read; POST only carries long text)."""
    data = request.POST if request.method == "POST" else request.GET
    text = f"{data.get('title', '')[:200]}\n{data.get('background', '')[:4000]}"
    exclude = parse_id(data.get("exclude"))
    topics = selectors.similar_topics(text, exclude_id=exclude, viewer=request.user) if text.strip() else []
    return render(request, "topics/_similar.html", {"similar": topics, "searched": bool(text.strip())})


# ---- materials (议题资料) -------------------------------------------------------------------------


@require_POST
@login_required
def topic_attach(request, pk: int):
    """Upload one file to the topic's materials (403 for those who may not, field errors for bad files)."""
    now = timezone.now()
    topic = selectors.get_topic_for_user(request.user, pk)
    try:
        attachments.check_may_change(topic=topic, actor=request.user, now=now)
    except DomainError as err:
        messages.error(request, str(err))
        return HttpResponseRedirect(reverse("topics:detail", args=[topic.pk]) + "#materials")
    form = AttachmentForm(request.POST, request.FILES, allowed=attachments.allowed_extensions())
    return submit_form(
        request,
        form,
        lambda data, **who: attachments.topic_attach(topic=topic, upload=data["file"], **who),
        success=_("File attached."),
        redirect_to=reverse("topics:detail", args=[topic.pk]) + "#materials",
        invalid=lambda status: _render_detail(request, topic, now=now, status=status, attachment_form=form),
        now=now,
    )


@require_POST
@login_required
def topic_attachment_remove(request, pk: int):
    """Remove one file from the topic's materials."""
    now = timezone.now()
    attachment = selectors.get_attachment_for_user(request.user, pk)
    topic = attachment.topic
    try:
        attachments.topic_attachment_remove(attachment=attachment, actor=request.user, now=now)
    except DomainError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, _("File removed."))
    return HttpResponseRedirect(reverse("topics:detail", args=[topic.pk]) + "#materials")


@login_required
def topic_attachment(request, pk: int):
    """Download one file, for those who may see its topic (404 for everyone else)."""
    attachment = selectors.get_attachment_for_user(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("file") from exc
    # FileResponse writes Content-Disposition with filename*=utf-8'' (RFC 5987) for Chinese names.
    return FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
