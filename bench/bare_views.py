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


def _walk(state: str) -> str:
    # The earliest-due items of one open state decided at an earlier meeting of the series,
    # walked along the (status, due_on, id) index, each item's meeting checked by its key.
    return (
        f"SELECT w.id FROM actions_actionitem w WHERE w.status = '{state}' AND EXISTS ("
        "SELECT 1 FROM meetings_meeting e, meetings_meeting m WHERE m.id = %(pk)s"
        " AND e.id = w.meeting_id AND e.series_id = m.series_id AND e.starts_at < m.starts_at)"
        " ORDER BY w.due_on, w.id LIMIT 21"
    )


# The meeting page shows the meeting's facts, its agenda items with the follow-up rows under
# them (the 20 earliest-due open items of earlier meetings of the series, each with its latest
# progress report), its invitees and replies, its duties and its latest notice: the same rows
# here, as one UNION ALL (same limits and order).
_AGENDA_SQL = f"""
SELECT 'meeting', m.title, m.starts_at, m.location, h.full_name, c.full_name, s.name FROM meetings_meeting m
  LEFT JOIN org_person h ON h.id = m.host_id LEFT JOIN org_person c ON c.id = m.recorder_id
  LEFT JOIN meetings_meetingseries s ON s.id = m.series_id WHERE m.id = %(pk)s
UNION ALL SELECT * FROM (SELECT 'item', i.position, i.kind, i.title, i.budget_minutes, t.title, d.name
  FROM agenda_agendaitem i JOIN agenda_agenda g ON g.id = i.agenda_id LEFT JOIN topics_topic t ON t.id = i.topic_id
  LEFT JOIN org_department d ON d.id = t.department_id WHERE g.meeting_id = %(pk)s ORDER BY i.position, i.id)
UNION ALL SELECT * FROM (SELECT 'followup', a.id, a.title, a.due_on, p.full_name, d.name,
  (SELECT r.note FROM actions_progressreport r WHERE r.action_item_id = a.id
   ORDER BY r.reported_at DESC, r.id DESC LIMIT 1)
  FROM actions_actionitem a JOIN org_person p ON p.id = a.owner_id
  JOIN org_department d ON d.id = a.department_id
  WHERE a.id IN (SELECT * FROM ({_walk("open")}) UNION ALL SELECT * FROM ({_walk("in_progress")}))
  ORDER BY a.due_on, a.id LIMIT 21)
UNION ALL SELECT * FROM (SELECT 'rsvp', r.id, p.full_name, d.name, r.response, r.reason, r.answered_at
  FROM meetings_rsvp r JOIN org_person p ON p.id = r.invitee_id LEFT JOIN org_department d ON d.id = r.department_id
  WHERE r.meeting_id = %(pk)s ORDER BY r.id)
UNION ALL SELECT * FROM (SELECT 'duty', o.kind, p.full_name, o.due_at, o.clause, o.state, o.calendar_flagged
  FROM obligations_obligation o LEFT JOIN org_person p ON p.id = o.responsible_id
  WHERE o.subject_type_id = (SELECT id FROM django_content_type WHERE app_label = 'meetings' AND model = 'meeting')
  AND o.subject_id = %(pk)s ORDER BY o.kind, o.due_at, o.id)
UNION ALL SELECT * FROM (SELECT 'notice', n.sequence, n.published_at, n.body, NULL, NULL, NULL
  FROM meetings_notice n WHERE n.meeting_id = %(pk)s ORDER BY n.sequence DESC LIMIT 1)
"""


@login_required
def agenda(request, pk: int):
    return _render(_AGENDA_SQL, {"pk": pk})


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
