"""Benchmark-only bare pages (mounted under /__bench__/ when XIETONG_BENCH=1).

Each fetches the rows its product page shows with ONE raw query and renders a plain table
with the same template engine (Jinja2), as the floor the product page is compared with.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path

TABLE = """<!doctype html><html><head><title>bare</title></head><body><table>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table></body></html>"""


def _render(sql: str, params=()) -> HttpResponse:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    template = engines.all()[0].from_string(TABLE)
    return HttpResponse(template.render({"rows": rows}))


def hello(request):
    return HttpResponse(engines.all()[0].from_string("<p>{{ word }}</p>").render({"word": "hello"}))


def actions(request):
    return _render(
        "SELECT a.id, a.title, p.full_name, d.name, a.due_on, a.status FROM actions_actionitem a"
        " JOIN org_person p ON p.id = a.owner_id JOIN org_department d ON d.id = a.department_id"
        " ORDER BY a.due_on, a.id LIMIT 51"
    )


def home(request):
    return _render(
        "SELECT a.id, a.title, d.name, a.due_on, a.status FROM actions_actionitem a"
        " JOIN org_department d ON d.id = a.department_id"
        " WHERE a.owner_id = %s AND a.status IN ('open', 'in_progress') ORDER BY a.due_on, a.id LIMIT 20",
        [request.user.pk],
    )


def agenda(request, pk: int):
    return _render(
        "SELECT i.position, i.kind, i.title, i.budget_minutes, t.title, d.name FROM agenda_agendaitem i"
        " JOIN agenda_agenda g ON g.id = i.agenda_id LEFT JOIN topics_topic t ON t.id = i.topic_id"
        " LEFT JOIN org_department d ON d.id = t.department_id WHERE g.meeting_id = %s ORDER BY i.position",
        [pk],
    )


def archive(request):
    year = int(request.GET.get("year", "2025"))
    return _render(
        "SELECT m.id, m.number, mt.title, mt.starts_at FROM minutes_minutes m"
        " JOIN meetings_meeting mt ON mt.id = m.meeting_id WHERE m.status = 'approved'"
        " AND mt.starts_at >= %s AND mt.starts_at < %s ORDER BY mt.starts_at, m.meeting_id, m.number",
        [f"{year - 1}-12-31 16:00:00", f"{year}-12-31 16:00:00"],
    )


urlpatterns = [
    path("hello/", hello),
    path("actions/", actions),
    path("home/", home),
    path("agenda/<int:pk>/", agenda),
    path("archive/", archive),
]
