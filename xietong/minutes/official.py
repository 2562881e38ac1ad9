"""Minutes as an official document: the words of xietong.minutes.layout in the product's
languages, the distribution and sign-off lines, and the download's name.

The minutes text may have been drafted in either language, so its labels are recognised in
every language of the product and the document is written in the language it was drafted in.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xietong.policy.calendar import as_shanghai

from .layout import Labels, OfficialDocument, Vocabulary, pick_vocabulary, read_minutes, safe_filename
from .models import Minutes
from .selectors import minutes_distribution
from .services import MSG_ACTIONS, MSG_DECISION, MSG_DECISIONS, MSG_NEXT_MEETING, MSG_RESOURCES


def vocabularies() -> list[Vocabulary]:
    """How drafted minutes write their labels, in each language of the product (the first is the
    default when the text uses none)."""
    found = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.append(
                Vocabulary(
                    language=code,
                    decisions_label=str(MSG_DECISIONS),
                    actions_label=str(MSG_ACTIONS),
                    decision=str(MSG_DECISION),
                    resources=str(MSG_RESOURCES),
                    next_meeting=str(MSG_NEXT_MEETING),
                    speaking=_("Speaking time by department: %(list)s"),
                )
            )
    return found


def _labels() -> Labels:
    return Labels(
        decisions=pgettext("official document", "Agreed matters"),
        actions=pgettext("official document", "Division of tasks"),
        next_meeting=pgettext("official document", "Next meeting"),
        table_header=(
            pgettext("official document", "No."),
            pgettext("official document", "Task"),
            pgettext("official document", "Responsible department"),
            pgettext("official document", "Responsible person"),
            pgettext("official document", "Deadline"),
        ),
        responsibility=pgettext(
            "official document",
            "responsible department: %(department)s; responsible person: %(person)s; deadline: %(due)s",
        ),
        date=pgettext("official document", "%(y)d-%(m)02d-%(d)02d"),
    )


def _signoff(minutes: Minutes) -> list[str]:
    """签发 (who approved this version), 审核 (the host, who reviews), 记录 (the recorder); a blank
    to sign on while the version is not approved."""
    meeting = minutes.meeting
    blank = "　" * 4
    issued = minutes.approved_by.get_full_name() if minutes.approved_by else blank
    reviewer = meeting.host.get_full_name() if meeting.host else blank
    recorder = minutes.drafted_by or meeting.recorder
    return [
        pgettext("official document", "Issued by: %(name)s") % {"name": issued},
        pgettext("official document", "Reviewed by: %(name)s") % {"name": reviewer},
        pgettext("official document", "Recorded by: %(name)s")
        % {"name": recorder.get_full_name() if recorder else blank},
    ]


def official_document(minutes: Minutes) -> OfficialDocument:
    """``minutes`` (meeting, host, drafted_by and approved_by preloaded) as an official document."""
    vocabulary = pick_vocabulary(minutes.body, vocabularies())
    with translation.override(vocabulary.language):
        recipients = [str(_("Leadership group")), *minutes_distribution(minutes.meeting)]
        distribution = pgettext("official document", "Distribution: %(list)s.") % {
            "list": pgettext("official document", ", ").join(recipients)
        }
        return read_minutes(
            minutes.body,
            vocabulary=vocabulary,
            labels=_labels(),
            distribution=distribution,
            signoff=_signoff(minutes),
            language="zh-CN" if vocabulary.language.startswith("zh") else "en-US",
        )


def download_name(minutes: Minutes) -> str:
    """``跨科室周例会纪要（2026-12-07）.docx`` — the meeting's title and date (and the version, when
    it is a correction), in the reader's language."""
    day = as_shanghai(minutes.meeting.starts_at).date().isoformat()
    # A series meeting is titled “跨科室周例会（2026-12-07）”: the date is written once, after 纪要.
    title = minutes.meeting.title
    for suffix in (f"（{day}）", f"({day})"):
        title = title.removesuffix(suffix).strip()
    params = {"title": title or minutes.meeting.title, "date": day, "n": minutes.number}
    if minutes.number > 1:
        name = _("%(title)s minutes (%(date)s, version %(n)s)") % params
    else:
        name = _("%(title)s minutes (%(date)s)") % params
    return safe_filename(name) + ".docx"


def ascii_download_name(minutes: Minutes) -> str:
    return f"minutes-{minutes.meeting_id}-v{minutes.number}.docx"
