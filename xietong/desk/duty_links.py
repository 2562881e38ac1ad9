"""Where each duty of the ledger is done: the page holding the button or form that closes it.

The ledger knows a duty's subject, not the page where its owner acts on it (a meeting's notice
is answered on the notice page, its agenda confirmed in the agenda builder, its minutes
approved on the minutes page). 我的待办 links every row here, one click from done.
"""

from __future__ import annotations

from django.urls import reverse

from xietong.actions.models import ActionItem, ProgressReport
from xietong.obligations.models import Obligation, ObligationKind

K = ObligationKind

# The duties on a meeting and the page where each is done.
_MEETING_PAGES: dict[str, str] = {
    K.AGENDA: "agenda:builder",
    K.NOTICE: "agenda:builder",
    K.RSVP: "meetings:notice",
    K.MINUTES: "minutes:meeting",
}


def _progress_targets(duties: list[Obligation]) -> dict[tuple[int, int | None], int]:
    """(meeting id, department id) → the first open action item of that department, decided at an
    earlier meeting of the series, without a report for that meeting yet: where the liaison
    reports (two queries for all the progress duties shown)."""
    wanted = {(d.subject_id, d.department_id) for d in duties if d.kind == K.PROGRESS_REPORT and d.subject}
    if not wanted:
        return {}
    meetings = {d.subject_id: d.subject for d in duties if d.kind == K.PROGRESS_REPORT and d.subject}
    rows = (
        ActionItem.objects.filter(
            status__in=ActionItem.OPEN_STATES,
            department_id__in={dept for _m, dept in wanted},
            meeting__series_id__in={m.series_id for m in meetings.values()},
        )
        .values_list("pk", "department_id", "meeting__series_id", "meeting__starts_at")
        .order_by("due_on", "pk")
    )
    reported = set(
        ProgressReport.objects.filter(for_meeting_id__in=list(meetings)).values_list(
            "action_item_id", "for_meeting_id"
        )
    )
    found: dict[tuple[int, int | None], int] = {}
    for pk, department_id, series_id, starts_at in rows:
        for meeting_id, meeting in meetings.items():
            key = (meeting_id, department_id)
            if (
                key in wanted
                and key not in found
                and meeting.series_id == series_id
                and starts_at < meeting.starts_at
                and (pk, meeting_id) not in reported
            ):
                found[key] = pk
    return found


def _url(duty: Obligation, progress: dict[tuple[int, int | None], int]) -> str:
    subject = duty.subject
    if subject is None:
        return ""
    if duty.kind in _MEETING_PAGES:
        return reverse(_MEETING_PAGES[duty.kind], args=[duty.subject_id])
    if duty.kind == K.LEADERSHIP_APPROVAL:
        return reverse("records:meeting", args=[subject.meeting_id]) + f"#decision-{subject.pk}"
    if duty.kind == K.DECISION_ACK:
        return f"{reverse('actions:list')}?department={duty.department_id}#acks"
    if duty.kind == K.PROGRESS_REPORT:
        item = progress.get((duty.subject_id, duty.department_id))
        if item is not None:
            return reverse("actions:detail", args=[item]) + "#steps"
        return f"{reverse('actions:list')}?department={duty.department_id}"
    get_url = getattr(subject, "get_absolute_url", None)
    return get_url() if get_url is not None else ""


def attach_duty_links(duties: list[Obligation]) -> list[Obligation]:
    """Each duty with ``url``: the page where its owner does it ("" when its subject is gone)."""
    progress = _progress_targets(duties)
    for duty in duties:
        duty.url = _url(duty, progress)  # type: ignore[attr-defined]  # read by the template
    return duties
