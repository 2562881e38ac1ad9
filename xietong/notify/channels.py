"""Sending one delivery over its channel: e-mail (SMTP through Django) or a group robot (httpx).

A send either returns (the channel accepted it) or raises SendFailed with a short reason;
``throttled`` means the receiver asked us to slow down (rescheduled, not counted as a
failure). Nothing here writes to the database.
"""

from __future__ import annotations

import html
import smtplib
from datetime import datetime

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from xietong.live.services import signin_link
from xietong.meetings.ics import meeting_ics
from xietong.meetings.models import Meeting

from . import robots
from .models import Channel, Delivery, Message
from .topics import Rendered, render


class SendFailed(Exception):
    def __init__(self, reason: str, *, throttled: bool = False):
        self.reason = reason[:500]
        self.throttled = throttled
        super().__init__(self.reason)


def message_id(delivery: Delivery) -> str:
    """The e-mail Message-ID is derived from the delivery id, so a resend after a crash
    between "SMTP accepted" and "marked sent" carries the same id and mail systems and
    people can recognise the duplicate (the only at-least-once window on this channel)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "xietong"
    return f"<xietong-delivery-{delivery.pk}@{domain}>"


def _absolute(link: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{link}" if link else settings.SITE_URL


def _html(rendered: Rendered, link: str) -> str:
    body = html.escape(rendered.body).replace("\n", "<br>")
    href = html.escape(_absolute(link), quote=True)
    return (
        f'<html><body><h3>{html.escape(rendered.subject)}</h3><p>{body}</p><p><a href="{href}">{href}</a></p>'
        "</body></html>"
    )


def _meeting_ics(message: Message) -> tuple[str, bytes] | None:
    """(method, .ics) for a meeting notice, its update or its cancellation."""
    if not message.params.get("ics") or not message.params.get("meeting"):
        return None
    meeting = Meeting.objects.filter(pk=message.params["meeting"]).first()
    if meeting is None:
        return None
    method = "CANCEL" if meeting.status == Meeting.Status.CANCELLED else "REQUEST"
    return method, meeting_ics(meeting)


def _signin_line(message: Message, person, language: str) -> str:
    """The invitee's personal one-time sign-in link, carried by the notice and its updates."""
    if message.topic not in (
        "meeting_notice",
        "meeting_rescheduled",
        "meeting_place_changed",
    ) or not message.params.get("meeting"):
        return ""
    meeting = Meeting.objects.filter(pk=message.params["meeting"]).first()
    if meeting is None or meeting.status == Meeting.Status.CANCELLED:
        return ""
    with translation.override(language):
        return str(_("Sign in at the meeting with your personal link (valid once): %(link)s")) % {
            "link": _absolute(signin_link(meeting, person))
        }


def build_email(delivery: Delivery, language: str) -> EmailMultiAlternatives:
    person = delivery.person
    if delivery.message_id is None:
        return _digest_email(delivery, language)
    message = delivery.message
    rendered = render(message.topic, message.params, language=language)
    signin = _signin_line(message, person, language)
    if signin:
        rendered = Rendered(subject=rendered.subject, body=f"{rendered.body}\n{signin}")
    text = f"{rendered.body}\n\n{_absolute(message.link)}\n"
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
        headers={"Message-ID": message_id(delivery), "X-Xietong-Delivery": str(delivery.pk)},
    )
    email.attach_alternative(_html(rendered, message.link), "text/html")
    ics = _meeting_ics(message)
    if ics is not None:
        method, data = ics
        # RFC 6047 / MS-OXCMAIL: the calendar part sits in multipart/alternative and its
        # method parameter must equal the object's METHOD; the .ics file is common practice.
        email.attach_alternative(data.decode(), f"text/calendar; method={method}")
        email.attach("invite.ics", data, "application/ics")
    return email


def _digest_email(digest: Delivery, language: str) -> EmailMultiAlternatives:
    ids = getattr(digest, "bundled_ids", None)
    bundled = digest.bundled.all() if ids is None else Delivery.objects.filter(pk__in=ids)
    messages = [d.message for d in bundled.select_related("message").order_by("message_id")]
    lines, items = [], []
    for message in messages:
        r = render(message.topic, message.params, language=language)
        lines.append(f"- {r.subject}\n  {r.body}\n  {_absolute(message.link)}")
        items.append(
            f"<li><b>{html.escape(r.subject)}</b><br>{html.escape(r.body)} "
            f'<a href="{html.escape(_absolute(message.link), quote=True)}">↗</a></li>'
        )
    head = render("digest", {"count": len(messages)}, language=language)
    email = EmailMultiAlternatives(
        subject=head.subject,
        body=head.body + "\n\n" + "\n\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.person.email],
        headers={"Message-ID": message_id(digest), "X-Xietong-Delivery": str(digest.pk)},
    )
    email.attach_alternative(
        f"<html><body><p>{html.escape(head.body)}</p><ul>{''.join(items)}</ul></body></html>", "text/html"
    )
    return email


def send_email(delivery: Delivery, language: str) -> None:
    if not delivery.person.email:
        raise SendFailed("no e-mail address")
    email = build_email(delivery, language)
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = "; ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in exc.recipients.values())
        raise SendFailed(f"SMTP refused the recipient: {codes}") from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailed(f"SMTP {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"SMTP: {exc.__class__.__name__} {exc}") from None


def send_robot(delivery: Delivery, language: str, *, now: datetime) -> None:
    robot = delivery.robot
    if robot is None or not robot.is_active:
        raise SendFailed("the department's robot was removed or switched off")
    person = delivery.person
    message = delivery.message
    rendered = render(message.topic, message.params, language=language)
    mention = robots.Mention(
        name=person.full_name or person.username,
        mobile=person.mobile,
        wecom_userid=person.wecom_userid,
        dingtalk_userid=person.dingtalk_userid,
        feishu_userid=person.feishu_userid,
    )
    post_robot(
        robot,
        title=rendered.subject,
        text=rendered.body,
        link=_absolute(message.link),
        mention=mention,
        now=now,
    )


def post_robot(
    robot, *, title: str, text: str, link: str, mention: robots.Mention | None, now: datetime
) -> None:
    """Post one message to ``robot``'s webhook; SendFailed unless the vendor accepted it."""
    outgoing = robots.build(
        robot.kind,
        url=robot.webhook_url,
        secret=robot.secret,
        title=title,
        text=text,
        link=link,
        mention=mention,
        now_ms=int(now.timestamp() * 1000),
    )
    try:
        response = httpx.post(
            outgoing.url,
            content=outgoing.body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=settings.NOTIFY_HTTP_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        raise SendFailed("timed out") from None
    except httpx.HTTPError as exc:
        raise SendFailed(f"{exc.__class__.__name__}: {exc}") from None
    outcome, reason = robots.classify(robot.kind, response.status_code, response.content)
    if outcome == robots.THROTTLED:
        raise SendFailed(reason, throttled=True)
    if outcome != robots.OK:
        raise SendFailed(reason)


def send(delivery: Delivery, *, language: str, now: datetime) -> None:
    if delivery.channel == Channel.EMAIL:
        send_email(delivery, language)
    else:
        send_robot(delivery, language, now=now)
