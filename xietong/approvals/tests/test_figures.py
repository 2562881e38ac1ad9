"""The coordinator's overview of running approvals and the figures of decided steps, with exact
numbers for a fabricated set of approvals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from xietong.approvals import figures, services
from xietong.policy.calendar import SHANGHAI

from .conftest import MON, file

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
MARCH = figures.Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def decided(torg, purchase):
    """Steps of the equipment purchase (step time: 2 working days, so a step opened Monday 10:00
    is due Wednesday 10:00):

    - head step, 周技术: approves after 24 h, returns after 6 h, approves after 2 h, approves after
      48 h (exactly at the limit);
    - head step, 王市场: approves after 3 h;
    - finance step, 陈财务: rejects after 72 h (a day late);
    - one more approved on 1 April, outside March.
    """
    a1 = file(torg, purchase, "5000")
    services.approval_approve(approval=a1, actor=torg.tech_head, now=MON + 24 * H)
    a2 = file(torg, purchase, "5000")
    services.approval_return(approval=a2, actor=torg.tech_head, now=MON + 6 * H, comment="补充报价")
    a3 = file(torg, purchase, "20000")
    services.approval_approve(approval=a3, actor=torg.tech_head, now=MON + 2 * H)
    services.approval_reject(
        approval=a3, actor=torg.finance_head, now=MON + 2 * H + 72 * H, reason="预算不足"
    )
    a4 = file(torg, purchase, "5000")
    services.approval_approve(approval=a4, actor=torg.tech_head, now=MON + 48 * H)
    a5 = file(torg, purchase, "5000", actor=torg.market_liaison)
    services.approval_approve(approval=a5, actor=torg.market_head, now=MON + 3 * H)
    late = datetime(2026, 3, 31, 10, 0, tzinfo=SHANGHAI)
    a6 = file(torg, purchase, "5000", now=late)
    services.approval_approve(approval=a6, actor=torg.tech_head, now=late + 23 * H)
    return [a1, a2, a3, a4, a5, a6]


def _row(rows, **match):
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_figures_by_step_exact(torg, decided):
    data = figures.figures(MARCH)
    assert [(r["template"], r["step_name"]) for r in data["by_step"]] == [
        ("设备采购审批", "财务部审核"),
        ("设备采购审批", "部门负责人审批"),
    ]
    head = _row(data["by_step"], step_name="部门负责人审批")
    # 2, 3, 6, 24, 48 h → the middle one.
    assert head["median"] == 6 * H
    assert (head["decisions"], head["approved"], head["returned"], head["rejected"]) == (5, 4, 1, 0)
    assert (head["with_limit"], head["within"], head["within_percent"]) == (5, 5, 100.0)
    finance = _row(data["by_step"], step_name="财务部审核")
    assert finance["median"] == 72 * H
    assert (finance["decisions"], finance["rejected"], finance["within"], finance["within_percent"]) == (
        1,
        1,
        0,
        0.0,
    )


def test_figures_by_approver_exact(torg, decided):
    rows = figures.figures(MARCH)["by_approver"]
    tech = _row(rows, approver_id=torg.tech_head.pk)
    # 2, 6, 24, 48 h → the mean of the two middle ones.
    assert tech["median"] == 15 * H
    assert (tech["decisions"], tech["returned"], tech["rejected"], tech["within_percent"]) == (4, 1, 0, 100.0)
    assert tech["approver"] == str(torg.tech_head) and tech["template"] == "设备采购审批"
    assert _row(rows, approver_id=torg.market_head.pk)["median"] == 3 * H
    assert _row(rows, approver_id=torg.finance_head.pk)["within_percent"] == 0.0
    assert len(rows) == 3


def test_the_period_bounds_are_shanghai_dates(torg, decided):
    april = figures.figures(figures.Period(date(2026, 4, 1), date(2026, 4, 1)))
    assert [(r["step_name"], r["decisions"], r["median"]) for r in april["by_step"]] == [
        ("部门负责人审批", 1, 23 * H)
    ]


def test_figures_query_count_does_not_grow(torg, decided, django_assert_num_queries):
    with django_assert_num_queries(5):
        figures.figures(MARCH)


def test_figures_page_and_xlsx(torg, decided, login):
    client = login(torg.coordinator)
    page = client.get(reverse("approvals:figures"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<td class="median">15.0</td>' in html and '<td class="within">0.0</td>' in html
    response = client.get(reverse("approvals:figures_xlsx"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    book = load_workbook(BytesIO(response.content))
    steps, people = book.worksheets
    rows = [list(r) for r in steps.iter_rows(min_row=3, values_only=True)]
    assert rows == [
        ["设备采购审批", "财务部审核", 1, 72.0, 0.0, 0, 1],
        ["设备采购审批", "部门负责人审批", 5, 6.0, 100.0, 1, 0],
    ]
    by_person = {r[0]: r[1:] for r in people.iter_rows(min_row=3, values_only=True)}
    assert by_person[str(torg.tech_head)] == ("设备采购审批", 4, 15.0, 100.0, 1, 0)


def test_figures_refusals(torg, decided, login):
    assert login(torg.tech_liaison).get(reverse("approvals:figures")).status_code == 403
    assert login(torg.tech_head).get(reverse("approvals:figures_xlsx")).status_code == 403
    assert login(torg.tech_head).get(reverse("approvals:overview")).status_code == 403
    client = login(torg.coordinator)
    bad = client.get(reverse("approvals:figures"), {"start": "2026-03-31", "end": "2026-03-01"})
    assert bad.status_code == 400 and 'data-field="end"' in bad.content.decode()
    assert client.get(reverse("approvals:figures_xlsx"), {"start": "x"}).status_code == 400


def test_overview_by_template_step_and_age(torg, purchase, login, django_assert_num_queries):
    first = file(torg, purchase, "20000")
    file(torg, purchase, "5000", now=MON + 1 * H)
    services.approval_approve(approval=first, actor=torg.tech_head, now=MON + 2 * H)
    rows = figures.running_by_step()
    assert [(r["step_name"], r["approvals"], r["oldest"]) for r in rows] == [
        ("部门负责人审批", 1, MON + 1 * H),
        ("财务部审核", 1, MON + 2 * H),
    ]
    client = login(torg.coordinator)
    url = reverse("approvals:overview")
    client.get(url)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        page = client.get(url)
    assert page.content.decode().count("data-task=") == 2
    for n in range(3):
        file(torg, purchase, "5000", now=MON + (3 + n) * H)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        page = client.get(url)
    assert page.content.decode().count("data-task=") == 5


def test_overview_keyset_pages(torg, purchase, monkeypatch):
    for n in range(5):
        file(torg, purchase, "5000", now=MON + n * H)
    first = figures.running_steps(limit=2)
    assert [t.opened_at for t in first] == [MON, MON + H]
    second = figures.running_steps(limit=2, after=(first[-1].opened_at, first[-1].pk))
    assert [t.opened_at for t in second] == [MON + 2 * H, MON + 3 * H]
    assert figures.running_steps(template_id=purchase.pk + 1) == []


OVERVIEW_QUERIES = 5


def test_templates_page_links_the_overview_for_the_coordinator(torg, purchase, login):
    html = login(torg.coordinator).get(reverse("approvals:templates")).content.decode()
    assert reverse("approvals:overview") in html and reverse("approvals:figures") in html
    html = login(torg.tech_liaison).get(reverse("approvals:templates")).content.decode()
    assert reverse("approvals:overview") not in html
