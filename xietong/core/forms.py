"""The one way a page's form is submitted: valid form → service → message → redirect.

Every POST handler that takes a form does the same four things: bind and check the form, run
one service as the signed-in person at one instant, and then either say what happened and go
back to a page, or show the same page again with the refusal beside the field it concerns
(status 400, or 409 for an edit based on an outdated version). ``submit_form`` is that shape
once. The service owns its transaction, so a refusal leaves nothing half-saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from .errors import DomainError
from .optlock import StaleEdit

T = TypeVar("T")

# What the success message may be: a fixed text, or one chosen from the service's result, either
# a text (a success message) or ``(level, text)`` (e.g. a warning that the duty was late); None
# adds no message.
Message = str | tuple[int, str] | None
Success = str | Callable[[Any], Message] | None


class IsoDateInput(forms.DateInput):
    """``<input type=date>`` with its value written as an ISO date (2026-10-05): the browser's
    date picker reads only that, whatever format the page's language writes dates in."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def add_form_error(form: forms.BaseForm, err: DomainError) -> None:
    """The refusal beside the field it names, or above the form when the form has no such field."""
    form.add_error(err.field if err.field in form.fields else None, str(err))


def say(request: HttpRequest, message: Message) -> None:
    """Add ``message`` (a text, or ``(level, text)``) to the next page."""
    if message is None:
        return
    if isinstance(message, tuple):
        level, text = message
        messages.add_message(request, level, text)
    else:
        messages.success(request, message)


def submit_form(
    request: HttpRequest,
    form: forms.BaseForm,
    call: Callable[..., T],
    *,
    success: Success,
    redirect_to: str | Callable[[T], str],
    invalid: Callable[[int], HttpResponse],
    status: int = 400,
    stale: Callable[[StaleEdit], HttpResponse] | None = None,
    now: datetime | None = None,
) -> HttpResponse:
    """Run ``call(cleaned_data, actor=request.user, now=now)`` for a valid ``form``.

    On success: the message (``success``, or ``success(result)``), then a redirect to
    ``redirect_to`` (or ``redirect_to(result)``). On an invalid form or a refusal
    (``DomainError``, shown as the form's error): ``invalid(status)``, the page again with the
    form bound. On ``StaleEdit``: ``stale(err)`` when given (the page with the editor's text and
    the saved values, 409), otherwise the refusal like any other.
    """
    if form.is_valid():
        try:
            result = call(form.cleaned_data, actor=request.user, now=now or timezone.now())
        except StaleEdit as err:
            if stale is not None:
                return stale(err)
            add_form_error(form, err)
        except DomainError as err:
            add_form_error(form, err)
        else:
            say(request, success(result) if callable(success) else success)
            return HttpResponseRedirect(redirect_to(result) if callable(redirect_to) else redirect_to)
    return invalid(status)


def submit_action(
    request: HttpRequest,
    call: Callable[..., T],
    *,
    success: Success,
    redirect_to: str | Callable[[T], str],
    now: datetime | None = None,
) -> HttpResponse:
    """A button without a form: run ``call(actor=request.user, now=now)``, say it, redirect.

    A refusal (``DomainError``) is left to ``DomainErrorMiddleware``, which shows it as a
    message on the page the button was on.
    """
    result = call(actor=request.user, now=now or timezone.now())
    say(request, success(result) if callable(success) else success)
    return HttpResponseRedirect(redirect_to(result) if callable(redirect_to) else redirect_to)
