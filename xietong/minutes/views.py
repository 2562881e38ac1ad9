"""Minutes pages: drafting, editing with optimistic locking, review, corrections, print,
.docx export and the archive by year → month → ISO week.

Approved minutes are seen by the meeting's invitees, the leadership group, the coordinator,
the host and the recorder; drafts only by the recorder, the host and the coordinator.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from markupsafe import Markup, escape

from xietong.core.auth import login_required
from xietong.core.forms import submit_action, submit_form
from xietong.core.links import one_id_url
from xietong.core.optlock import VERSION_FIELD, StaleEdit
from xietong.meetings.models import Meeting, Rsvp
from xietong.org.models import Role
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import SHANGHAI, as_shanghai

from . import services
from .docx import DocSection, minutes_docx
from .forms import ArchiveForm, CorrectForm, ReturnForm, SaveForm
from .models import Minutes
from .selectors import archive_minutes, minutes_obligation, minutes_versions

_HEADING = re.compile(r"^[零一二三四五六七八九十]+、\s*(?P<title>.+)$")


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("host", "recorder", "policy_version"), pk=pk)


def _minutes(pk: int) -> Minutes:
    return get_object_or_404(
        Minutes.objects.select_related(
            "meeting__host", "meeting__recorder", "meeting__policy_version", "drafted_by", "approved_by"
        ),
        pk=pk,
    )


def _visibility(meeting: Meeting, user, now: datetime) -> tuple[bool, bool]:
    """(sees approved minutes, sees drafts) for ``user`` on ``meeting``."""
    roles = roles_of(user, on=as_shanghai(now).date())
    drafts = user.pk in (meeting.recorder_id, meeting.host_id) or roles.is_coordinator
    approved = (
        drafts
        or roles.has(Role.LEADERSHIP)
        or Rsvp.objects.filter(meeting=meeting, invitee_id=user.pk).exists()
    )
    return approved, drafts


def _readable(minutes: Minutes, user, now: datetime) -> None:
    approved, drafts = _visibility(minutes.meeting, user, now)
    if not (drafts or (approved and minutes.status == Minutes.Status.APPROVED)):
        raise Http404


def _page(
    request,
    meeting: Meeting,
    now: datetime,
    *,
    status: int = 200,
    save_form=None,
    stale: bool = False,
    return_form=None,
    correct_form=None,
):
    sees_approved, sees_drafts = _visibility(meeting, request.user, now)
    if not sees_approved:
        raise Http404
    versions = list(minutes_versions(meeting))
    latest = versions[-1] if versions else None
    if not sees_drafts:
        versions = [v for v in versions if v.status == Minutes.Status.APPROVED]
    is_recorder = request.user.pk == meeting.recorder_id
    is_host = request.user.pk == meeting.host_id
    # The steps offered are the table's (minutes.services.TRANSITIONS) for this viewer.
    actions = services.allowed_actions(latest, request.user) if latest is not None and sees_drafts else []
    editable = "save" in actions
    if editable and save_form is None:
        save_form = SaveForm(initial={"body": latest.body}, version=latest.edit_version)
    rule = meeting.policy_version.rules.get(services.MINUTES_RULE)
    obligation = minutes_obligation(meeting)
    context = {
        "now": now,
        "meeting": meeting,
        "versions": versions,
        "latest": latest if sees_drafts or (latest and latest.status == Minutes.Status.APPROVED) else None,
        "sees_drafts": sees_drafts,
        "is_recorder": is_recorder,
        "is_host": is_host,
        "editable": editable,
        "save_form": save_form if editable else None,
        "actions": actions,
        "stale": stale,
        "return_form": return_form or ReturnForm(),
        "correct_form": correct_form or CorrectForm(),
        "deadline": services.minutes_deadline(meeting),
        "clause": rule.clause if rule else "",
        "obligation": obligation,
        "late": obligation is not None and obligation.is_late(now),
    }
    return render(request, "minutes/meeting.html", context, status=status)


@login_required
@require_GET
def meeting_minutes(request, pk: int):
    return _page(request, _meeting(pk), timezone.now())


@login_required
@require_POST
def draft(request, pk: int):
    meeting = _meeting(pk)
    return submit_action(
        request,
        lambda **who: services.minutes_draft(meeting=meeting, **who),
        success=_("The minutes were drafted from the meeting record."),
        redirect_to=reverse("minutes:meeting", args=[pk]),
    )


@login_required
@require_POST
def save(request, pk: int):
    now = timezone.now()
    minutes = _minutes(pk)
    meeting = minutes.meeting
    require(request.user.pk == meeting.recorder_id, _("Only the meeting's recorder may do this."))
    form = SaveForm(request.POST)

    def stale(err: StaleEdit):
        # Keep the user's text; the page shows the saved text next to it. The version
        # moves on so that saving again (after merging by hand) is accepted.
        data = request.POST.copy()
        data[VERSION_FIELD] = str(err.current)
        again = SaveForm(data)
        again.is_valid()
        again.add_error("body", str(err))
        return _page(request, meeting, now, status=409, save_form=again, stale=True)

    return submit_form(
        request,
        form,
        lambda data, **who: services.minutes_save(
            minutes=minutes, body=data["body"], expected_version=form.expected_version, **who
        ),
        success=_("The minutes were saved."),
        redirect_to=reverse("minutes:meeting", args=[meeting.pk]),
        invalid=lambda status: _page(request, meeting, now, status=status, save_form=form),
        stale=stale,
        now=now,
    )


@login_required
@require_POST
def submit(request, pk: int):
    minutes = _minutes(pk)
    return submit_action(
        request,
        lambda **who: services.minutes_submit(minutes=minutes, **who),
        success=_("The minutes were sent to the host for approval."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
    )


@login_required
@require_POST
def approve(request, pk: int):
    minutes = _minutes(pk)
    return submit_action(
        request,
        lambda **who: services.minutes_approve(minutes=minutes, **who),
        success=_("The minutes were approved and distributed."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
    )


@login_required
@require_POST
def return_(request, pk: int):
    now = timezone.now()
    minutes = _minutes(pk)
    require(
        request.user.pk == minutes.meeting.host_id,
        _("Only the meeting's host may approve or return the minutes."),
    )
    form = ReturnForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.minutes_return(minutes=minutes, comment=data["comment"], **who),
        success=_("The minutes were returned to the recorder."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
        invalid=lambda status: _page(request, minutes.meeting, now, status=status, return_form=form),
        now=now,
    )


@login_required
@require_POST
def correct(request, pk: int):
    now = timezone.now()
    minutes = _minutes(pk)
    require(request.user.pk == minutes.meeting.recorder_id, _("Only the meeting's recorder may do this."))
    form = CorrectForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.minutes_correct(minutes=minutes, reason=data["reason"], **who),
        success=_("A corrected version was started."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
        invalid=lambda status: _page(request, minutes.meeting, now, status=status, correct_form=form),
        now=now,
    )


@login_required
@require_GET
def version(request, pk: int):
    now = timezone.now()
    minutes = _minutes(pk)
    _readable(minutes, request.user, now)
    services.minutes_mark_read(minutes=minutes, actor=request.user, now=now)
    return render(request, "minutes/version.html", {"minutes": minutes, "meeting": minutes.meeting})


@login_required
@require_GET
def print_view(request, pk: int):
    minutes = _minutes(pk)
    _readable(minutes, request.user, timezone.now())
    return render(request, "minutes/print.html", {"minutes": minutes, "meeting": minutes.meeting})


def docx_parts(body: str) -> tuple[str, list[str], list[DocSection]]:
    """Split the minutes text into title, meta lines and numbered sections (一、…)."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    title = lines[0] if lines else ""
    meta: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in lines[1:]:
        match = _HEADING.match(line)
        if match:
            sections.append((match.group("title"), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            meta.append(line)
    return title, meta, [DocSection(heading, paragraphs) for heading, paragraphs in sections]


@login_required
@require_GET
def docx_view(request, pk: int):
    minutes = _minutes(pk)
    _readable(minutes, request.user, timezone.now())
    title, meta, sections = docx_parts(minutes.body)
    data = minutes_docx(title, meta, sections)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    filename = f"minutes-{minutes.meeting_id}-v{minutes.number}.docx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _archive_period(query, today) -> tuple[int, int | None]:
    """The (year, month) asked for in the archive's query string; this year, every month,
    unless both values are valid (ArchiveForm's fields, read without building the form)."""
    fields = ArchiveForm.base_fields
    try:
        year = fields["year"].clean(query.get("year"))
        month = fields["month"].clean(query.get("month"))
    except ValidationError:
        return today.year, None
    return year or today.year, month


class _ArchiveLabels(NamedTuple):
    """What every line and heading of the archive repeats, escaped."""

    archive_url: str
    meeting_prefix: str  # links are "<prefix><id>/"
    minutes_prefix: str
    material_prefix: str
    year_fmt: str  # "Year %(y)s", translated (the number put in needs no escaping)
    month_fmt: str
    week_fmt: str
    agenda: str
    minutes: str
    materials: str


_archive_labels_cache: dict[tuple, _ArchiveLabels] = {}


def _archive_labels() -> _ArchiveLabels:
    """The archive's links and labels: the same on every visit for one language, URL
    configuration and script prefix, so looked up once per process for each (and forgotten
    when settings change, as in tests)."""
    key = (translation.get_language(), get_urlconf(), get_script_prefix())
    found = _archive_labels_cache.get(key)
    if found is None:
        links = (
            reverse("minutes:archive"),
            *(
                one_id_url(name, 0)[:-2]  # ".../0/" → ".../" (0 is no id: not reversed)
                for name in ("meetings:detail", "minutes:version", "topics:attachment")
            ),
        )
        texts = (
            _("Year %(y)s"),
            _("Month %(m)s"),
            _("Week %(w)s"),
            _("Agenda"),
            _("Meeting minutes"),
            _("Materials"),
        )
        found = _archive_labels_cache[key] = _ArchiveLabels(*(str(escape(v)) for v in (*links, *texts)))
    return found


def _forget_archive_labels(**kwargs) -> None:
    _archive_labels_cache.clear()


setting_changed.connect(_forget_archive_labels)


def _archive_months(year: int, month: int | None) -> Markup:
    """The links to the twelve months of ``year`` (the one shown marked as the current page),
    written out like the lines below them (see _archive_listing)."""
    labels = _archive_labels()
    href, fmt = f"{labels.archive_url}?year={year}&amp;month=", labels.month_fmt
    current = ' aria-current="page"'
    return Markup(  # noqa: S704 - the URL and the label are escaped in _archive_labels
        "".join(
            f'<a href="{href}{m}"{current if m == month else ""}>{fmt % {"m": m}}</a> ' for m in range(1, 13)
        )
    )


def _archive_listing(entries) -> Markup:
    """The archive's sections as HTML: year → month → ISO week of the meeting's start in
    Shanghai, then one line per meeting (its start, the meeting and its agenda, the minutes
    and the materials), in the entries' order.

    Written here rather than in minutes/archive.html because the page lists a year of meetings
    on every visit, and one f-string per line costs a fraction of evaluating the line
    expression by expression in the template. Texts are escaped as the template escapes them
    (markupsafe); numbers and the formatted start need none. The entries come ordered by start,
    so each year, month and week is one run of consecutive entries: a heading opens whenever
    one of them changes.
    """
    labels = _archive_labels()
    meeting_prefix, minutes_prefix, material_prefix = (
        labels.meeting_prefix,
        labels.minutes_prefix,
        labels.material_prefix,
    )
    year_fmt, month_fmt, week_fmt = labels.year_fmt, labels.month_fmt, labels.week_fmt
    agenda, minutes, materials = labels.agenda, labels.minutes, labels.materials
    out: list[str] = []
    add = out.append
    year = month = week = None
    for m in entries:
        local = m.starts_at.astimezone(SHANGHAI)
        iso_year, iso_week, _weekday = local.isocalendar()
        if local.year != year:
            if year is not None:
                add("\n  </ul>\n  \n  \n</section>\n")
            year, month, week = local.year, None, None
            add(f'\n<section class="card" data-year="{year}">\n  <h2>{year_fmt % {"y": year}}</h2>\n  ')
        if local.month != month:
            if month is not None:
                add("\n  </ul>\n  \n  ")
            month, week = local.month, None
            add(f'\n  <h3 data-month="{month}">{month_fmt % {"m": month}}</h3>\n  ')
        if (iso_year, iso_week) != week:
            if week is not None:
                add("\n  </ul>\n  ")
            week = (iso_year, iso_week)
            add(f'\n  <h4 data-week="{iso_week}">{week_fmt % {"w": iso_week}}</h4>\n  <ul>\n    ')
        # "YYYY-mm-dd HH:MM" (four-digit years: ArchiveForm)
        when = local.isoformat(" ", "minutes")[:16]
        add(
            f'\n    <li data-minutes="{m.pk}">{when} ·'
            f'\n      <a href="{meeting_prefix}{m.meeting_id}/">{escape(m.title)}</a> ·'
            f'\n      <a href="{meeting_prefix}{m.meeting_id}/#agenda">{agenda}</a> ·'
            f'\n      <a href="{minutes_prefix}{m.pk}/">{minutes} v{m.number}</a>\n      '
        )
        if m.materials:
            add(f'<br><small class="materials" data-materials="{m.meeting_id}">{materials}:')
            for f in m.materials:
                add(f' <a href="{material_prefix}{f.pk}/" data-material="{f.pk}">{escape(f.name)}</a>')
            add("</small>")
        add("</li>\n    ")
    if year is not None:
        add("\n  </ul>\n  \n  \n</section>\n")
    return Markup("".join(out))  # noqa: S704 - every text in it is escaped above


@login_required
@require_GET
def archive(request):
    now = timezone.now()
    today = as_shanghai(now).date()
    year, month = _archive_period(request.GET, today)
    start = datetime.combine(today.replace(year=year, month=month or 1, day=1), time.min, tzinfo=SHANGHAI)
    if month is None or month == 12:
        end = start.replace(year=year + 1, month=1)
    else:
        end = start.replace(month=month + 1)
    roles = roles_of(request.user, on=today)
    entries = archive_minutes(
        request.user, start=start, end=end, sees_all=roles.is_coordinator or roles.has(Role.LEADERSHIP)
    )
    context = {
        "year": year,
        "month": month,
        "months": _archive_months(year, month),
        "listing": _archive_listing(entries),
    }
    return render(request, "minutes/archive.html", context)
