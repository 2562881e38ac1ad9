"""Accounts: password reset by e-mail, first-login activation, the reset request throttle.

Django's own machinery does the work: ``PasswordResetTokenGenerator`` signs the links (a link
dies when the password or the last login changes, and after its lifetime), its forms check and
set the password with the configured validators, and its mail sending logs a failed send
instead of showing it (so the page says the same whether or not an address is known).

- A reset link lives ``PASSWORD_RESET_TIMEOUT`` seconds; an activation link, sent by the
  coordinator to people imported from a roster who have never logged in,
  ``ACTIVATION_TIMEOUT`` seconds (its own salt, so one kind of link never opens the other page).
- Reset requests are counted per e-mail address and per client address in fixed windows of
  ``PASSWORD_RESET_WINDOW_SECONDS`` in the "accounts" cache (a database table shared by every
  page process). Counts may undercount under a race (the cache's increment is read-then-write),
  which a throttle can afford.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import caches
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from xietong.core.events import record_event

from .models import Person
from .permissions import require
from .services import can_manage_org

logger = logging.getLogger(__name__)


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token with its own salt and lifetime (``ACTIVATION_TIMEOUT``).

    Django checks a token's age against PASSWORD_RESET_TIMEOUT only; this generator checks the
    signature the same way (every secret, constant time) and the age against its own setting.
    """

    key_salt = "xietong.org.accounts.ActivationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return (self._num_seconds(self._now()) - ts) <= settings.ACTIVATION_TIMEOUT


reset_token_generator = PasswordResetTokenGenerator()
activation_token_generator = ActivationTokenGenerator()


def link_for(person: Person, *, url_name: str, token_generator: PasswordResetTokenGenerator) -> str:
    """The absolute link (on SITE_URL, never the request's Host) that opens ``url_name``."""
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    path = reverse(url_name, kwargs={"uidb64": uid, "token": token_generator.make_token(person)})
    return settings.SITE_URL.rstrip("/") + path


# ---- password reset -------------------------------------------------------------------------


class ResetRequestForm(PasswordResetForm):
    """Django's reset form; it also reaches people imported from a roster who have no password
    yet (the import page tells them to use the reset), which Django's form leaves out."""

    def get_users(self, email):
        return (
            person
            for person in Person.objects.filter(email__iexact=email, is_active=True)
            if person.email.casefold() == email.casefold()
        )


def reset_request_allowed(*, email: str, client: str | None, now: datetime) -> bool:
    """Count one reset request for ``email`` from ``client``; False when either has passed its
    limit in the current window (the request is then refused, whether the address is known or
    not, so the refusal tells nothing about accounts)."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    slot = int(now.timestamp()) // window
    cache = caches["accounts"]
    allowed = True
    for kind, value, limit in (
        ("address", email.strip().casefold(), settings.PASSWORD_RESET_ADDRESS_LIMIT),
        ("client", client or "", settings.PASSWORD_RESET_CLIENT_LIMIT),
    ):
        # Keyed by a keyed hash: the cache table holds no e-mail or client address.
        digest = salted_hmac("xietong.org.accounts.reset-throttle", value).hexdigest()[:32]
        key = f"reset:{kind}:{digest}:{slot}"
        cache.add(key, 0, timeout=window)
        if cache.incr(key) > limit:
            allowed = False
    return allowed


def password_set(*, person: Person, now: datetime, how: str) -> None:
    """Record that ``person`` set a new password (``how``: change, reset or activation).

    A password set through a mailed link also forgets the account's failed log-ins (the owner
    proved the mailbox), so the login delays of earlier guesses do not hold the new password up.
    Event: ``person.password_set`` (never the password or the link)."""
    if how in {"reset", "activation"}:
        axes_reset(username=person.get_username())
    record_event(name="person.password_set", actor=person, subject=person, now=now, how=how)


# ---- activation -----------------------------------------------------------------------------


def never_logged_in(*, department_id: int | None = None, person_id: int | None = None) -> QuerySet[Person]:
    """Active people with an e-mail address who have never logged in (of one department, or
    one person): those an activation link is for."""
    qs = Person.objects.filter(is_active=True, last_login__isnull=True).exclude(email="")
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if person_id is not None:
        qs = qs.filter(pk=person_id)
    return qs.order_by("full_name", "id")


@dataclass
class ActivationReport:
    sent: list[Person] = field(default_factory=list)
    skipped: list[Person] = field(default_factory=list)  # no e-mail, disabled, or has logged in
    failed: list[Person] = field(default_factory=list)  # the mail server refused or was down


def _activation_message(person: Person, connection) -> EmailMessage:
    context = {
        "person": person,
        "link": link_for(person, url_name="account:activate", token_generator=activation_token_generator),
        "days": settings.ACTIVATION_TIMEOUT // 86400,
        "site_url": settings.SITE_URL,
    }
    subject = "".join(render_to_string("org/account/activation_subject.txt", context).splitlines())
    body = render_to_string("org/account/activation_email.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email], connection=connection)


def person_send_activation(*, actor, now: datetime, people: Iterable[Person]) -> ActivationReport:
    """E-mail each of ``people`` who has never logged in a link to set their password.

    Preconditions: ``actor`` is the coordinator or a superuser (else Forbidden). People who are
    disabled, have no e-mail address or have logged in before are skipped (they use the reset).
    The mails are written in the organisation's language (Simplified Chinese) over one
    connection; a refused or failed mail is reported, the others still go.
    Event: ``person.activation_sent`` for each mail sent (the link is not recorded).
    """
    require(can_manage_org(actor), _("Only the coordinator may send activation links."))
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError):
        logger.warning("mail server not reachable for activation mails", exc_info=True)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            report = _send_activations(people, connection)
    finally:
        connection.close()
    with transaction.atomic():
        for person in report.sent:
            record_event(name="person.activation_sent", actor=actor, subject=person, now=now)
    return report


def _send_activations(people: Iterable[Person], connection) -> ActivationReport:
    report = ActivationReport()
    for person in people:
        if not person.is_active or not person.email or person.last_login is not None:
            report.skipped.append(person)
            continue
        try:
            _activation_message(person, connection).send()
        except (smtplib.SMTPException, OSError):
            logger.warning("activation mail to person %s failed", person.pk, exc_info=True)
            report.failed.append(person)
        else:
            report.sent.append(person)
    return report
