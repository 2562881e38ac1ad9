"""Account pages: password reset by e-mail, first-login activation, password change.

Django's own views do the work (tokens, validators, session handling); these subclasses give
them the product's templates, the reset request throttle, the audit event and a message.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.core.throttle import client_address

from . import accounts


class _RefusesWithStatus:
    """Render a refused link or an invalid form with 400 (Django's views answer 200)."""

    def render_to_response(self, context, **response_kwargs):
        form = context.get("form")
        if context.get("validlink") is False or (form is not None and form.is_bound and form.errors):
            response_kwargs.setdefault("status", 400)
        return super().render_to_response(context, **response_kwargs)  # type: ignore[misc]


class PasswordResetView(_RefusesWithStatus, auth_views.PasswordResetView):
    template_name = "org/account/reset.html"
    form_class = accounts.ResetRequestForm
    subject_template_name = "org/account/reset_subject.txt"
    email_template_name = "org/account/reset_email.txt"
    token_generator = accounts.reset_token_generator
    success_url = reverse_lazy("account:reset_sent")

    def form_valid(self, form):
        """The same answer whether or not the address belongs to someone; too many requests
        for one address or from one client are refused (429) before any mail goes out."""
        allowed = accounts.reset_request_allowed(
            email=form.cleaned_data["email"], client=client_address(self.request), now=timezone.now()
        )
        if not allowed:
            form.add_error(None, _("Too many password reset requests. Wait an hour and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        form.save(
            request=self.request,
            domain_override=settings.SITE_URL,
            subject_template_name=self.subject_template_name,
            email_template_name=self.email_template_name,
            token_generator=self.token_generator,
            from_email=settings.DEFAULT_FROM_EMAIL,
            extra_email_context={
                "site_url": settings.SITE_URL.rstrip("/"),
                "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            },
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "org/account/reset_sent.html"


class PasswordResetConfirmView(_RefusesWithStatus, auth_views.PasswordResetConfirmView):
    """The link from the reset mail: a new password, then the login page."""

    template_name = "org/account/set_password.html"
    token_generator = accounts.reset_token_generator
    success_url = reverse_lazy("login")
    how = "reset"
    extra_context = {"activation": False}

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            accounts.password_set(person=form.user, now=timezone.now(), how=self.how)
        messages.success(self.request, _("Your password has been set. Log in with it."))
        return response


class ActivationView(PasswordResetConfirmView):
    """The link from the activation mail: the first password of someone imported from a roster."""

    token_generator = accounts.activation_token_generator
    how = "activation"
    extra_context = {"activation": True}


class PasswordChangeView(_RefusesWithStatus, auth_views.PasswordChangeView):
    template_name = "org/account/change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            accounts.password_set(person=form.user, now=timezone.now(), how="change")
        messages.success(self.request, _("Your password has been changed."))
        return response
