"""Benchmark-only bare pages (mounted under /__bench__/ when XIETONG_BENCH=1).

Each fetches the rows its product page shows with ONE raw query and renders a plain table
with the same template engine (Jinja2), as the floor the product page is compared with.
The four page counterparts are served the same way as their pages: through the same
middleware stack and behind the same ``login_required`` (so the session and the user are
loaded, two queries of the middleware, before the one query of the rows). ``hello`` is the
only view without a log-in: the framework floor.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.utils import timezone

TABLE = """<!doctype html><html><head><title>bare</title></head><body><table>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table></body></html>"""


_compiled: dict[str, object] = {}


def _template(source: str):
    # Compiled once per process, as the product's file templates are (Jinja2's cache).
    if source not in _compiled:
        _compiled[source] = engines.all()[0].from_string(source)
    return _compiled[source]


def _render(sql: str, params=()) -> HttpResponse:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return HttpResponse(_template(TABLE).render({"rows": rows}))


def hello(request):
    return HttpResponse(_template("<p>{{ word }}</p>").render({"word": "hello"}))


@login_required
def chrome(request):
    """Diagnostic floor of any product page: log-in check (session + user) and base.html with
    the navigation, CSRF token and messages, around an empty content block."""
    return HttpResponse(_template('{% extends "base.html" %}').render({}, request))


@login_required
def actions(request):
    return _render(
        "SELECT a.id, a.title, p.full_name, d.name, a.due_on, a.status FROM actions_actionitem a"
        " JOIN org_person p ON p.id = a.owner_id JOIN org_department d ON d.id = a.department_id"
        " ORDER BY a.due_on, a.id LIMIT 51"
    )


# 我的待办 shows the person's open duties, open action items, unanswered notices, upcoming
# meetings and unread minutes: the same rows here, as one UNION ALL (same limits and order).
_HOME_SQL = """
SELECT * FROM (SELECT 'duty', o.id, o.kind, o.due_at, o.clause, d.name FROM obligations_obligation o
  LEFT JOIN org_department d ON d.id = o.department_id
  WHERE o.responsible_id = %(me)s AND o.state IN ('pending', 'breached') AND o.closed_at IS NULL
  ORDER BY o.due_at, o.id LIMIT 50)
UNION ALL SELECT * FROM (SELECT 'action', a.id, a.title, a.due_on, a.status, d.name FROM actions_actionitem a
  JOIN org_department d ON d.id = a.department_id
  WHERE a.owner_id = %(me)s AND a.status IN ('open', 'in_progress') ORDER BY a.due_on, a.id LIMIT 20)
UNION ALL SELECT * FROM (SELECT 'notice', r.id, m.id, m.title, m.starts_at, m.status FROM meetings_rsvp r
  JOIN meetings_meeting m ON m.id = r.meeting_id
  WHERE r.invitee_id = %(me)s AND r.response = 'pending' AND m.status = 'published' AND m.starts_at > %(now)s
  ORDER BY m.starts_at, r.id LIMIT 20)
UNION ALL SELECT * FROM (SELECT 'meeting', m.id, m.title, m.starts_at, m.location, s.name FROM meetings_meeting m
  LEFT JOIN meetings_meetingseries s ON s.id = m.series_id
  WHERE m.ends_at > %(now)s AND m.status <> 'cancelled' AND (m.host_id = %(me)s OR m.recorder_id = %(me)s
    OR EXISTS (SELECT 1 FROM meetings_rsvp r WHERE r.meeting_id = m.id AND (r.invitee_id = %(me)s OR r.delegate_id = %(me)s)))
  ORDER BY m.starts_at, m.id LIMIT 5)
UNION ALL SELECT * FROM (SELECT 'minutes', r.id, n.id, n.number, m.title, r.delivered_at FROM minutes_minutesreceipt r
  JOIN minutes_minutes n ON n.id = r.minutes_id JOIN meetings_meeting m ON m.id = n.meeting_id
  WHERE r.person_id = %(me)s AND r.read_at IS NULL ORDER BY r.delivered_at DESC, r.id DESC LIMIT 20)
"""


@login_required
def home(request):
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return _render(_HOME_SQL, {"me": request.user.pk, "now": now})


_EARLIER = (
    "SELECT e.id FROM meetings_meeting e, meetings_meeting m WHERE m.id = %s"
    " AND e.series_id = m.series_id AND e.starts_at < m.starts_at"
)


def _walk(state: str) -> str:
    return (
        f"SELECT id FROM actions_actionitem WHERE status = '{state}' AND meeting_id IN ({_EARLIER})"
        " ORDER BY due_on, id LIMIT 21"
    )


@login_required
def agenda(request, pk: int):
    # The agenda's items, then the follow-up rows shown under it (the 20 earliest-due open
    # items of earlier meetings of the series, as the product page finds them).
    return _render(
        "SELECT i.position, i.kind, i.title, i.budget_minutes, t.title, d.name FROM agenda_agendaitem i"
        " JOIN agenda_agenda g ON g.id = i.agenda_id LEFT JOIN topics_topic t ON t.id = i.topic_id"
        " LEFT JOIN org_department d ON d.id = t.department_id WHERE g.meeting_id = %s"
        " UNION ALL SELECT * FROM (SELECT a.id, a.status, a.title, a.due_on, p.full_name, d.name"
        " FROM actions_actionitem a JOIN org_person p ON p.id = a.owner_id"
        " JOIN org_department d ON d.id = a.department_id"
        f" WHERE a.id IN ({_walk('open')}) OR a.id IN ({_walk('in_progress')})"
        " ORDER BY a.due_on, a.id LIMIT 21)",
        [pk, pk, pk],
    )


@login_required
def archive(request):
    # The approved minutes of the year with their meetings and the files of the topics on
    # those meetings' agendas (the product page keeps the newest version per meeting).
    year = int(request.GET.get("year", "2026"))
    return _render(
        "SELECT m.id, m.number, mt.title, mt.starts_at, a.fid, a.fname FROM minutes_minutes m"
        " JOIN meetings_meeting mt ON mt.id = m.meeting_id"
        " LEFT JOIN (SELECT g.meeting_id AS mid, f.id AS fid, f.name AS fname"
        "   FROM topics_topicattachment f JOIN agenda_agendaitem i ON i.topic_id = f.topic_id"
        "   JOIN agenda_agenda g ON g.id = i.agenda_id) a ON a.mid = mt.id"
        " WHERE m.status = 'approved' AND mt.starts_at >= %s AND mt.starts_at < %s"
        " ORDER BY mt.starts_at, m.meeting_id, m.number",
        [f"{year - 1}-12-31 16:00:00", f"{year}-12-31 16:00:00"],
    )


urlpatterns = [
    path("hello/", hello),
    path("chrome/", chrome),
    path("actions/", actions),
    path("home/", home),
    path("agenda/<int:pk>/", agenda),
    path("archive/", archive),
]
