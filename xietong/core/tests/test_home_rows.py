"""我的待办's duty and action-item rows written in Python are exactly what core/home.html wrote."""

from __future__ import annotations

from datetime import date

import pytest
from django.template import engines
from django.utils import translation

from xietong.actions.selectors import ActionRow
from xietong.core.views import actions_html, duties_html

# The markup core/home.html had before these rows were written in Python.
FORMER_DUTIES = """{% with late_label = _("Late"), due_label = _("Due"), clause_label = _("Clause"),
          colour_badge = {"red": ("bad", _("Red: late")), "yellow": ("warn", _("Yellow: due soon")), "green": ("ok", _("Green: on track"))} %}
    {%- for late, due, c, flagged, link, kind, text, clause in duty_rows %}
    <li>
      <span class="badge {{ 'late' if late else 'warn' }}">{{ late_label if late else due_label }} {{ due }}</span>
      <span class="badge {{ colour_badge[c][0] }}" data-colour="{{ c }}">{{ colour_badge[c][1] }}</span>
      {% if flagged %}<span class="badge warn" title="{{ _('The official holiday schedule for this year is not yet published; this deadline may move.') }}">{{ _("Holiday schedule unpublished") }}</span>{% endif %}
      {% if link %}<a href="{{ link }}">{{ kind }} · {{ text }}</a>{% else %}{{ kind }}{% endif %}
      <span class="muted">{{ clause_label }} {{ clause }}</span>
    </li>
    {%- endfor %}
  {% endwith %}"""

FORMER_ACTIONS = """
    {%- for a in actions %}
    <li>
      <span class="badge {{ 'late' if a.overdue else 'warn' }}">{{ _("Overdue") if a.overdue else _("Due") }} {{ a.due_on }}</span>
      <a href="{{ url('actions:detail', a.pk) }}">{{ a.title }}</a>
      <span class="muted">{{ a.get_status_display() }}</span>
    </li>
    {%- endfor %}"""

DUTIES = [
    (True, "2026-03-02 09:00", "red", False, "/actions/7/", "任务到期", "采购<script>", "第五条(二)3"),
    (False, "2026-03-03 09:00", "yellow", True, "", "议题提交", "", "第三条 & 附则"),
    (False, "2026-03-04 09:00", "green", False, "/topics/9/?a=1&b=2", "Topic submission", "'x'", '"c"'),
]


def _row(pk, title, due, status, overdue_cutoff):
    return ActionRow(
        (pk, title, due, status, None, 1, 1, 1, "张三", "zs", "技术部", "周例会"), overdue_cutoff
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_duty_and_item_rows_are_the_former_template_rows(language):
    actions = [
        _row(5, "报价<b>单</b>", date(2026, 3, 1), "open", date(2026, 3, 2)),
        _row(6, "Plain & simple", date(2026, 3, 9), "in_progress", date(2026, 3, 2)),
    ]
    with translation.override(language):
        former_duties = engines["jinja2"].from_string(FORMER_DUTIES).render({"duty_rows": DUTIES})
        former_actions = engines["jinja2"].from_string(FORMER_ACTIONS).render({"actions": actions})
        duties, items = str(duties_html(DUTIES)), str(actions_html(actions))
    assert duties == former_duties.rstrip()
    assert items == former_actions
    assert "<script>" not in duties and "&lt;script&gt;" in duties and "&amp;b=2" in duties
    assert "<b>单" not in items and "&lt;b&gt;" in items and items.count('class="badge late"') == 1
    assert str(duties_html([])) == str(actions_html([])) == ""
