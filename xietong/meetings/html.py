"""Markup for the meeting page's reply and duty rows, written in Python.

A meeting has dozens of invitees, each with a reply and a reply duty; one f-string per row
costs a fraction of evaluating the row expression by expression in a template. Texts are
escaped as the template escaped them (markupsafe). Tested against the former template markup
(tests/test_detail_html.py).
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from markupsafe import Markup, escape

from xietong.core.html import escape_all, escaped, local_times
from xietong.core.labels import choice_labels
from xietong.obligations.models import Obligation, ObligationKind

from .models import Rsvp
from .selectors import DutyRow, ReplyRow


def reply_rows_html(replies: list[ReplyRow], duties: dict[int, DutyRow], now: datetime) -> Markup:
    """A table row per reply; ``duties``: each invitee's reply duty, by person id."""
    invited_as, responses = escaped(choice_labels(Rsvp.InvitedAs)), escaped(choice_labels(Rsvp.Response))
    localtime = local_times()
    late_label, overdue_label = escape(_("Late")), escape(_("Overdue"))
    delegate_label = escape(_("Delegate"))
    texts = iter(
        escape_all(
            text
            for r in replies
            for text in (
                r.invitee,
                r.department or "",
                r.delegate or "",
                r.reason,
                duties[r.invitee_id].clause if r.invitee_id in duties else "",
            )
        )
    )
    out = []
    for r in replies:
        invitee, department, delegate, reason, clause = (
            next(texts),
            next(texts),
            next(texts),
            next(texts),
            next(texts),
        )
        duty = duties.get(r.invitee_id)
        department = f'<br><small class="muted">{department}</small>' if r.department else ""
        delegate = (
            f"<br><small>{delegate_label}: {delegate}</small>"
            if r.response == Rsvp.Response.DELEGATE and r.delegate_id is not None
            else ""
        )
        reason = f'<br><small class="muted">{reason}</small>' if r.reason else ""
        if r.answered_late:
            badge = f'<span class="badge late">{late_label} ({clause})</span>\n        '
        elif duty is not None and duty.is_late(now):
            badge = f'<span class="badge late">{overdue_label} ({clause})</span>'
        else:
            badge = ""
        out.append(
            f'\n    \n    <tr data-rsvp="{r.pk}">\n      <td>{invitee}{department}</td>'
            f"\n      <td>{invited_as.get(r.invited_as) or escape(r.invited_as)}</td>"
            f"\n      <td>{responses.get(r.response) or escape(r.response)}\n        {delegate}\n        {reason}"
            f"\n      </td>\n      <td>{localtime(r.answered_at)}\n        {badge}\n      </td>\n    </tr>\n    "
        )
    return Markup("".join(out))  # noqa: S704 - every text in it is escaped here


def duty_rows_html(duties: list[DutyRow], now: datetime) -> Markup:
    """A table row per duty of the meeting, or one row saying there are none."""
    if not duties:
        return Markup(  # noqa: S704 - a translated text, escaped
            f'\n    <tr><td colspan="5" class="muted">{escape(_("No duties."))}</td></tr>\n    '
        )
    kinds, states = escaped(choice_labels(ObligationKind)), escaped(choice_labels(Obligation.State))
    localtime = local_times()
    late = f' <span class="badge late">{escape(_("Late"))}</span>'
    flag = (
        f' <span class="badge warn" title="{escape(_("The holiday schedule for this year is not published yet."))}">'
        f"{escape(_('may move'))}</span>"
    )
    texts = iter(escape_all(text for d in duties for text in (d.responsible or "—", d.clause)))
    out = []
    for d in duties:
        responsible, clause = next(texts), next(texts)
        out.append(
            f"\n    <tr>\n      <td>{kinds.get(d.kind) or escape(d.kind)}</td>"
            f"\n      <td>{responsible}</td>"
            f"\n      <td>{localtime(d.due_at)}{flag if d.calendar_flagged else ''}</td>"
            f"\n      <td>{clause}</td>"
            f"\n      <td>{states.get(d.state) or escape(d.state)}{late if d.is_late(now) else ''}</td>\n    </tr>\n    "
        )
    return Markup("".join(out))  # noqa: S704 - every text in it is escaped here
