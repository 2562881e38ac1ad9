"""Ledger pages: boards, leadership escalations, compliance figures (+ .xlsx), waiving."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook

from xietong.core.models import Event
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import compliance
from xietong.obligations.services import obligation_close, obligation_open, obligation_waive
from xietong.obligations.tick import ledger_tick
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.selectors import current_version

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def duty(
    torg,
    due_at,
    *,
    subject,
    person,
    dept,
    kind=ObligationKind.ACTION_DUE,
    rule="action_due",
    opened=None,
):
    return obligation_open(
        kind=kind,
        rule=rule,
        subject=subject,
        due=CalendarResult(due_at),
        policy_version=current_version(torg.policy),
        now=opened or sh(2026, 3, 1, 9, 0),
        responsible=person,
        department=torg.departments[dept],
    )


@pytest.fixture
def ledger(torg):
    """tech: one red (late), one yellow (due Friday), one green (due next month);
    market: one yellow; finance: nothing open."""
    d = {}
    d["red"] = duty(torg, sh(2026, 3, 17, 17, 30), subject=torg.org, person=torg.tech_head, dept="tech")
    d["yellow"] = duty(torg, sh(2026, 3, 20, 17, 30), subject=torg.series, person=torg.tech_head, dept="tech")
    d["green"] = duty(
        torg, sh(2026, 4, 20, 17, 30), subject=torg.departments["tech"], person=torg.tech_head, dept="tech"
    )
    d["market"] = duty(
        torg,
        sh(2026, 3, 19, 15, 0),
        subject=torg.departments["market"],
        person=torg.market_liaison,
        dept="market",
        kind=ObligationKind.SUBMISSION,
        rule="submission_cutoff",
    )
    return d


def rows(response):
    return response.content.decode()


def test_coordinator_board_shows_this_weeks_yellow_and_red_by_department(
    torg, login, ledger, django_assert_num_queries
):
    client = login(torg.coordinator)
    with time_machine.travel(NOW, tick=False):
        client.get("/obligations/board/")  # warm the session/role caches of the first request
        # session, user, roles, counts per department, obligations (with departments and
        # people), policy versions (legend), three subject types (organisation, series, department)
        with django_assert_num_queries(9):
            response = client.get("/obligations/board/")
    assert response.status_code == 200
    html = rows(response)
    for key in ("red", "yellow", "market"):
        assert f'data-obligation="{ledger[key].pk}"' in html
    assert f'data-obligation="{ledger["green"].pk}"' not in html
    assert html.index(f'data-department="{torg.departments["tech"].pk}"') < html.index(
        f'data-department="{torg.departments["market"].pk}"'
    )
    assert 'data-colour="red"' in html and 'data-colour="yellow"' in html
    assert f'data-department="{torg.departments["finance"].pk}"' not in html


def test_board_query_count_does_not_grow_with_rows(torg, login, ledger, django_assert_num_queries):
    for i in range(20):
        duty(
            torg,
            sh(2026, 3, 16, 9, 0) + timedelta(minutes=i),
            subject=torg.people["outsider"],
            person=torg.people["chair"],
            dept=["tech", "market", "finance", "office"][i % 4],
            kind=ObligationKind.DECISION_ACK,
            rule="decision_ack",
        )
        # (each re-open of the same subject/person/department supersedes; vary the department)
    client = login(torg.coordinator)
    with time_machine.travel(NOW, tick=False):
        client.get("/obligations/board/")
        with django_assert_num_queries(10):  # + the Person subjects
            assert client.get("/obligations/board/").status_code == 200


def test_department_head_sees_only_their_department(torg, login, ledger):
    with time_machine.travel(NOW, tick=False):
        html = rows(login(torg.market_head).get("/obligations/department/"))
    assert f'data-obligation="{ledger["market"].pk}"' in html
    assert f'data-obligation="{ledger["red"].pk}"' not in html


@pytest.mark.parametrize("who", ["tech_head", "tech_liaison", "outsider", "chair"])
def test_coordinator_board_is_refused_to_others(torg, login, who):
    assert login(getattr(torg, who)).get("/obligations/board/").status_code == 403


@pytest.mark.parametrize("who", ["tech_liaison", "outsider", "recorder"])
def test_department_board_is_refused_without_a_head_role(torg, login, who):
    assert login(getattr(torg, who)).get("/obligations/department/").status_code == 403


# ---- waiving ----------------------------------------------------------------------------------


def test_coordinator_waives_with_a_reason_recorded(torg, login, ledger):
    client = login(torg.coordinator)
    ob = ledger["red"]
    with time_machine.travel(NOW, tick=False):
        assert client.get(f"/obligations/{ob.pk}/waive/").status_code == 200
        response = client.post(f"/obligations/{ob.pk}/waive/", {"reason": "  "})
        assert response.status_code == 400 and 'data-field="reason"' in rows(response)
        assert Obligation.objects.get(pk=ob.pk).state == "pending"
        response = client.post(f"/obligations/{ob.pk}/waive/", {"reason": "任务已并入新决议"})
    assert response.status_code == 302
    ob.refresh_from_db()
    assert (ob.state, ob.note, ob.waived_by, ob.closed_at) == (
        "waived",
        "任务已并入新决议",
        torg.coordinator,
        NOW,
    )
    event = Event.objects.get(name="obligation.waived")
    assert (event.subject, event.actor, event.data) == (
        ob,
        torg.coordinator,
        {"reason": "任务已并入新决议", "previous": "pending"},
    )
    # no longer open: a second waiver is refused
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/obligations/{ob.pk}/waive/", {"reason": "again"})
    assert response.status_code == 400
    assert Event.objects.filter(name="obligation.waived").count() == 1


@pytest.mark.parametrize("who", ["tech_head", "chair", "outsider", "tech_liaison"])
def test_only_the_coordinator_may_waive(torg, login, ledger, who):
    ob = ledger["red"]
    client = login(getattr(torg, who))
    assert client.get(f"/obligations/{ob.pk}/waive/").status_code == 403
    assert client.post(f"/obligations/{ob.pk}/waive/", {"reason": "想免"}).status_code == 403
    ob.refresh_from_db()
    assert ob.state == "pending" and not Event.objects.filter(name="obligation.waived").exists()


# ---- leadership --------------------------------------------------------------------------------


def test_leadership_page_shows_the_escalation_with_its_history(torg, login):
    subjects = [torg.org, torg.series, torg.departments["office"], torg.departments["finance"]]
    obs = [
        duty(torg, sh(2026, 3, 2 + i, 17, 30), subject=s, person=torg.market_head, dept="market")
        for i, s in enumerate(subjects)
    ]
    obligation_close(kind=ObligationKind.ACTION_DUE, subject=subjects[0], now=sh(2026, 3, 2, 9, 0))  # met
    ledger_tick(now=sh(2026, 3, 9, 9, 0))
    third = Obligation.objects.get(pk=obs[3].pk)
    assert third.escalation_step == 3
    with time_machine.travel(sh(2026, 3, 9, 10, 0), tick=False):
        html = rows(login(torg.chair).get("/obligations/leadership/"))
        assert login(torg.tech_head).get("/obligations/leadership/").status_code == 403
    assert f'data-escalation="{third.pk}"' in html
    # the three consecutive misses, not the met one before them
    for ob in obs[1:]:
        assert f'data-history="{ob.pk}"' in html
    assert f'data-history="{obs[0].pk}"' not in html
    assert "第五条(一)4" in html


# ---- compliance ----------------------------------------------------------------------------------


@pytest.fixture
def period(torg):
    """Duties due in March 2026, hand-counted:

    clause 第五条(二)4 (submission_cutoff / progress): tech met, tech done late, market breached
        (never done), market waived (topic withdrawn), plus one superseded (not counted) → 1/1/1/1
    clause of action_due (action items, 第三条3；第五条(二)2): tech met, finance not yet due (03-31 17:30 > now)
    outside the period: one in April (not counted) and one on 02-28 (not counted).
    """
    v = lambda **kw: duty(torg, **kw)  # noqa: E731
    sub, act = dict(kind=ObligationKind.SUBMISSION, rule="submission_cutoff"), {}
    a = v(due_at=sh(2026, 3, 5, 15, 0), subject=torg.org, person=torg.tech_liaison, dept="tech", **sub)
    obligation_close(kind=a.kind, subject=torg.org, now=sh(2026, 3, 5, 14, 0))
    b = v(due_at=sh(2026, 3, 12, 15, 0), subject=torg.series, person=torg.tech_liaison, dept="tech", **sub)
    obligation_close(kind=b.kind, subject=torg.series, now=sh(2026, 3, 12, 16, 0))
    v(
        due_at=sh(2026, 3, 19, 15, 0),
        subject=torg.departments["market"],
        person=torg.market_liaison,
        dept="market",
        **sub,
    )
    v(
        due_at=sh(2026, 3, 26, 15, 0),
        subject=torg.departments["tech"],
        person=torg.market_liaison,
        dept="market",
        **sub,
    )
    v(
        due_at=sh(2026, 3, 26, 15, 0),
        subject=torg.departments["tech"],
        person=torg.market_liaison,
        dept="market",
        **sub,
    )  # supersedes
    obligation_waive(
        kind=None, subject=torg.departments["tech"], now=sh(2026, 3, 20, 9, 0), note="topic withdrawn"
    )
    c = v(
        due_at=sh(2026, 3, 20, 17, 30),
        subject=torg.departments["office"],
        person=torg.tech_head,
        dept="tech",
        **act,
    )
    obligation_close(kind=c.kind, subject=torg.departments["office"], now=sh(2026, 3, 20, 17, 30))
    v(
        due_at=sh(2026, 3, 31, 17, 30),
        subject=torg.departments["finance"],
        person=torg.finance_head,
        dept="finance",
        **act,
    )
    v(due_at=sh(2026, 4, 1, 9, 0), subject=torg.people["chair"], person=torg.tech_head, dept="tech", **act)
    v(due_at=sh(2026, 2, 28, 23, 59), subject=torg.people["host"], person=torg.tech_head, dept="tech", **act)
    return sh(2026, 3, 31, 12, 0)


def test_compliance_figures_are_exact(torg, period):
    figures = compliance(start=datetime(2026, 3, 1).date(), end=datetime(2026, 3, 31).date(), now=period)
    by_clause = {
        r["clause"]: {k: r[k] for k in ("met", "late", "breached", "waived", "open", "total")}
        for r in figures["by_clause"]
    }
    assert by_clause == {
        "第五条(二)4": {"met": 1, "late": 1, "breached": 1, "waived": 1, "open": 0, "total": 4},
        "第三条3；第五条(二)2": {
            "met": 1,
            "late": 0,
            "breached": 0,
            "waived": 0,
            "open": 1,
            "total": 2,
        },
    }
    by_dept = {
        r["department"]: (r["met"], r["late"], r["breached"], r["waived"], r["open"], r["total"])
        for r in figures["by_department"]
    }
    assert by_dept == {
        "技术部": (2, 1, 0, 0, 0, 3),
        "市场部": (0, 0, 1, 1, 0, 2),
        "财务部": (0, 0, 0, 0, 1, 1),
    }
    assert figures["total"] == {"met": 2, "late": 1, "breached": 1, "waived": 1, "open": 1, "total": 6}
    # After the finance duty's deadline (without a tick yet) it counts as breached.
    later = compliance(
        start=datetime(2026, 3, 1).date(), end=datetime(2026, 3, 31).date(), now=sh(2026, 4, 1, 8, 0)
    )
    assert (later["total"]["breached"], later["total"]["open"]) == (2, 0)


def test_compliance_page_and_xlsx(torg, login, period):
    client = login(torg.chair)
    with time_machine.travel(period, tick=False):
        response = client.get("/obligations/compliance/?start=2026-03-01&end=2026-03-31")
        assert response.status_code == 200
        assert "第五条(二)4" in rows(response)
        xlsx = client.get("/obligations/compliance.xlsx?start=2026-03-01&end=2026-03-31")
        bad = client.get("/obligations/compliance/?start=2026-03-31&end=2026-03-01")
        assert client.get("/obligations/compliance/?start=nope").status_code == 400
        assert login(torg.tech_head).get("/obligations/compliance.xlsx").status_code == 403
    assert bad.status_code == 400 and 'data-field="end"' in rows(bad)
    assert xlsx.status_code == 200
    book = load_workbook(BytesIO(xlsx.content))
    first, second = book.worksheets
    values = [tuple(row) for row in first.iter_rows(min_row=3, values_only=True)]
    assert values[:2] == [("第三条3；第五条(二)2", 1, 0, 0, 0, 1, 2), ("第五条(二)4", 1, 1, 1, 1, 0, 4)]
    assert values[-1][1:] == (2, 1, 1, 1, 1, 6)
    dept_rows = {row[0]: row[1:] for row in second.iter_rows(min_row=3, values_only=True)}
    assert dept_rows["市场部"] == (0, 0, 1, 1, 0, 2)


def test_department_board_and_leadership_page_query_counts_stay_flat(torg, login, django_assert_num_queries):
    def misses(person, dept, subjects, start_day):
        for i, s in enumerate(subjects):
            duty(torg, sh(2026, 3, start_day + i, 17, 30), subject=s, person=person, dept=dept)

    misses(torg.market_head, "market", [torg.org, torg.series, torg.departments["office"]], 2)
    ledger_tick(now=sh(2026, 3, 9, 9, 0))
    chair, head = login(torg.chair), None
    with time_machine.travel(sh(2026, 3, 9, 10, 0), tick=False):
        chair.get("/obligations/leadership/")
        # session, user, roles, escalations, history, subjects of the history (3 types)
        with django_assert_num_queries(8):
            first = chair.get("/obligations/leadership/")
    misses(
        torg.finance_head, "finance", [torg.people["host"], torg.people["recorder"], torg.people["chair"]], 2
    )
    misses(
        torg.tech_head,
        "tech",
        [torg.people["outsider"], torg.people["tech_deputy"], torg.people["market_liaison"]],
        2,
    )
    ledger_tick(now=sh(2026, 3, 9, 9, 1))
    with time_machine.travel(sh(2026, 3, 9, 10, 0), tick=False):
        with django_assert_num_queries(9):  # + Person subjects
            second = chair.get("/obligations/leadership/")
        head = login(torg.market_head)
        head.get("/obligations/department/")
        with django_assert_num_queries(9):
            board = head.get("/obligations/department/")
    assert first.content.decode().count("data-escalation=") == 1
    assert second.content.decode().count("data-escalation=") == 3
    html = board.content.decode()
    assert html.count("data-obligation=") == 3 and 'data-colour="red"' in html


def test_home_shows_the_colour_of_each_open_duty(torg, login, ledger):
    with time_machine.travel(NOW, tick=False):
        html = rows(login(torg.tech_head).get("/"))
    assert html.count('data-colour="red"') == 1
    assert html.count('data-colour="yellow"') == 1
    assert html.count('data-colour="green"') == 1


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("coordinator", "/obligations/board/"),
        ("chair", "/obligations/leadership/"),
        ("tech_head", "/obligations/department/"),
        ("tech_deputy", "/obligations/department/"),
    ],
)
def test_the_navigation_entry_lands_each_role_on_its_page(torg, login, who, landing):
    response = login(getattr(torg, who)).get("/obligations/")
    assert (response.status_code, response["Location"]) == (302, landing)


@pytest.mark.parametrize("who", ["tech_liaison", "outsider", "recorder"])
def test_the_navigation_entry_is_refused_to_people_without_a_ledger_page(torg, login, who):
    assert login(getattr(torg, who)).get("/obligations/").status_code == 403


def test_the_compliance_figures_are_linked_from_the_coordinator_and_leadership_pages(torg, login):
    for who, page in (("coordinator", "/obligations/board/"), ("chair", "/obligations/leadership/")):
        html = login(getattr(torg, who)).get(page).content.decode()
        assert 'href="/obligations/compliance/"' in html, who
    head = login(torg.tech_head).get("/obligations/department/").content.decode()
    assert 'href="/obligations/compliance/"' not in head  # not a head's page
