"""Paste import: the recorder pastes minutes written elsewhere, checks the proposed action
items and problem lines, then confirms; confirming creates the decisions all or nothing."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.core.auth import login_required
from xietong.core.errors import DomainError

from . import selectors, services
from .forms import PasteForm


@login_required
@require_http_methods(["GET", "POST"])
def paste(request, pk: int):
    meeting = selectors.get_minutes_meeting_for_user(request.user, pk, keeper=selectors.RECORDER)
    result = None
    status = 200
    if request.method == "POST":
        form = PasteForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data["text"]
            if request.POST.get("action") == "confirm":
                try:
                    decisions = services.minutes_paste_import(
                        meeting=meeting, text=text, actor=request.user, now=timezone.now()
                    )
                except DomainError as err:
                    form.add_error("text", str(err))
                else:
                    messages.success(
                        request,
                        _("%(n)s decisions and their action items were created.") % {"n": len(decisions)},
                    )
                    return redirect("minutes:meeting", meeting.pk)
            result = services.paste_parse(meeting=meeting, text=text)
        if form.errors:
            status = 400
    else:
        form = PasteForm()
    return render(
        request, "minutes/paste.html", {"meeting": meeting, "form": form, "result": result}, status=status
    )
