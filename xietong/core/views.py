from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from markupsafe import Markup, escape

from xietong.core.auth import login_required
from xietong.core.html import escape_all, escaped

from . import selectors


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    return HttpResponseRedirect("/login/")


@require_POST
def set_language(request):
    lang = request.POST.get("language", "")
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    if lang in {"zh-hans", "en"}:
        translation.activate(lang)
        response.set_cookie("django_language", lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    """我的待办: what I must do next and by when."""
    now = timezone.now()
    context = selectors.todo_for(request.user, now=now)
    context["duty_rows"] = duties_html(context["duty_rows"])
    context["actions"] = actions_html(context["actions"])
    return render(request, "core/home.html", {"now": now, **context})


# 我的待办's two long lists are written here rather than in core/home.html: a person's duties and
# items run to dozens on every visit, and one f-string per row costs a fraction of evaluating
# the row expression by expression in the template. Texts are escaped as the template escapes
# them (markupsafe). Tested against the template's former markup (tests/test_home_rows.py).


def duties_html(rows) -> Markup:
    """The duty rows (obligations.selectors.open_duty_rows) as list items; empty for none."""
    late_label, due_label, clause_label = escape(_("Late")), escape(_("Due")), escape(_("Clause"))
    badges = {
        "red": f'<span class="badge bad" data-colour="red">{escape(_("Red: late"))}</span>',
        "yellow": f'<span class="badge warn" data-colour="yellow">{escape(_("Yellow: due soon"))}</span>',
        "green": f'<span class="badge ok" data-colour="green">{escape(_("Green: on track"))}</span>',
    }
    flag = (
        f'<span class="badge warn" title="'
        f'{escape(_("The official holiday schedule for this year is not yet published; this deadline may move."))}">'
        f"{escape(_('Holiday schedule unpublished'))}</span>"
    )
    rows = list(rows)
    texts = iter(escape_all(t for row in rows for t in (row[1], row[4], row[5], row[6], row[7])))
    out = []
    for late, _due, colour, flagged, link, _kind, _text, _clause in rows:
        due, href, kind, text, clause = next(texts), next(texts), next(texts), next(texts), next(texts)
        subject = f'<a href="{href}">{kind} · {text}</a>' if link else kind
        out.append(
            f'\n    <li>\n      <span class="badge {"late" if late else "warn"}">'
            f"{late_label if late else due_label} {due}</span>\n      {badges[colour]}"
            f"\n      {flag if flagged else ''}\n      {subject}"
            f'\n      <span class="muted">{clause_label} {clause}</span>\n    </li>'
        )
    return Markup("".join(out))  # noqa: S704 - every text in it is escaped here


def actions_html(actions) -> Markup:
    """The person's open action items (ActionRows) as list items; empty for none."""
    from xietong.actions.selectors import status_labels
    from xietong.core.jinja import url

    prefix = url("actions:detail", 0)[:-2]  # ".../0/" → ".../"
    labels = escaped(status_labels())
    overdue, due = (
        f'<span class="badge late">{escape(_("Overdue"))}',
        f'<span class="badge warn">{escape(_("Due"))}',
    )
    actions = list(actions)
    titles = escape_all(a.title for a in actions)
    return Markup(  # noqa: S704 - every text in it is escaped here
        "".join(
            f"\n    <li>\n      {overdue if a.overdue else due} {a.due_on}</span>"
            f'\n      <a href="{prefix}{a.pk}/">{title}</a>'
            f'\n      <span class="muted">{labels.get(a.status) or escape(a.status)}</span>\n    </li>'
            for a, title in zip(actions, titles, strict=True)
        )
    )
