from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from xietong.core.auth import login_required

from . import selectors


@login_required
def home(request):
    """我的待办: what I must do next and by when."""
    now = timezone.now()
    return render(request, "desk/home.html", {"now": now, **selectors.todo_for(request.user, now=now)})
