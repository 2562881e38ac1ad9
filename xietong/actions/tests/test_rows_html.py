"""The action list's rows written in Python are exactly what its template wrote, escaped the same."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from xietong.actions.views import rows_html

# The row markup actions/list.html had before its rows were written in Python.
FORMER = """{% set overdue_label = _("Overdue") %}{% set soon_label = _("Due soon") %}
{%- for pk, title, owner, department, due, colour, status, meeting in rows %}
  <tr data-item="{{ pk }}">
    <td><a href="{{ url('actions:detail', pk) }}">{{ title }}</a></td>
    <td>{{ owner }}</td>
    <td>{{ department }}</td>
    <td>{{ due }}{% if colour == "red" %} <span class="badge late" data-overdue data-colour="red">{{ overdue_label }}</span>{% elif colour == "yellow" %} <span class="badge warn" data-colour="yellow">{{ soon_label }}</span>{% endif %}</td>
    <td>{{ labels[status] if status in labels else status }}</td>
    <td>{{ meeting }}</td>
  </tr>
{%- endfor %}"""

ROWS = [
    (1, "采购<script>alert(1)</script>", "张三 & 李四", "技术部", "2026-03-10", "red", "open", '周例会 "3"'),
    (22, "Plain", "li", "<b>市场部</b>", "2026-03-11", "yellow", "in_progress", "M"),
    (333, "'quoted'", "王五", "财务部", "2026-03-12", "green", "done", "周例会"),
    (4, "retired status", "赵六", "办公室", "2026-03-13", "green", "retired", "周例会"),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_are_the_former_template_rows(language):
    from xietong.actions.selectors import status_labels

    with translation.override(language):
        expected = engines["jinja2"].from_string(FORMER).render({"rows": ROWS, "labels": status_labels()})
        got = str(rows_html(iter(ROWS)))
    assert got == expected
    assert "<script>" not in got and "&lt;script&gt;" in got and "&amp;" in got and "&#34;3&#34;" in got
    assert got.count("data-overdue") == 1 and got.count('data-colour="yellow"') == 1
    assert str(rows_html([])) == ""
