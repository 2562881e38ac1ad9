"""The follow-up rows written in Python are exactly what agenda/_followup.html wrote."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import engines
from django.utils import translation

from xietong.actions.html import followup_items
from xietong.actions.models import ProgressReport
from xietong.actions.selectors import ActionRow, FollowUps

FORMER = """
  {%- for row in followup %}{% set action, report = row["item"], row["report"] %}
  <li data-action="{{ action.pk }}">
    {{ action.title }}
    <small class="muted">· {{ action.department_name }} · {{ action.owner_name or action.owner_username }} · {{ _("Due") }} {{ action.due_on }}</small>
    {% if row["overdue"] %}<span class="badge late" data-overdue>{{ _("Overdue") }}</span>{% endif %}
    <br>
    {% if report %}
    <small data-report="{{ report.pk }}"><span class="badge">{{ report.get_status_display() }}</span>
      {% if report.reason %}{{ report.reason }} · {% endif %}{{ report.note }}
      <span class="muted">({{ report.reported_at|localtime }})</span></small>
    {% else %}
    <small class="muted">{{ _("No progress reported yet.") }}</small>
    {% endif %}
  </li>
  {%- endfor %}"""


def _item(pk, title, owner, username, department):
    return ActionRow(
        (pk, title, date(2026, 3, pk), "open", None, 1, 1, 1, owner, username, department, "M"), None
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_are_the_former_template_rows(language):
    when = datetime(2026, 3, 1, 16, 5, tzinfo=UTC)
    rows = FollowUps(
        [
            {"item": _item(1, "报价<script>", "张三", "zs", "技术&市场"), "report": None, "overdue": True},
            {
                "item": _item(2, "Plain", "", "li4", "财务部"),
                "report": ProgressReport(
                    pk=7, status="delayed", reason="等<b>报价</b>", note="n", reported_at=when
                ),
                "overdue": False,
            },
            {
                "item": _item(3, "'q'", "王五", "ww", "办公室"),
                "report": ProgressReport(pk=8, status="done", reason="", note='"done"', reported_at=when),
                "overdue": False,
            },
        ]
    )
    with translation.override(language):
        expected = engines["jinja2"].from_string(FORMER).render({"followup": rows})
        got = str(rows.html())
    # The template left blank lines where a condition was false; the rows are the same otherwise.
    assert [line.strip() for line in got.splitlines() if line.strip()] == [
        line.strip() for line in expected.splitlines() if line.strip()
    ]
    assert "<script>" not in got and "&lt;b&gt;" in got and "&amp;" in got and "&#34;done&#34;" in got
    assert got.count("data-overdue") == 1 and got.count("data-report=") == 2
    assert str(followup_items([])) == ""
