from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine

from xietong.actions import services
from xietong.actions.models import ActionItem, ProgressReport
from xietong.meetings.tests.factories import sh
from xietong.records.tests.helpers import DURING, decide, held_meeting

S = ActionItem.Status
AFTER = sh(2026, 3, 10, 10, 0)
LATE = sh(2026, 3, 25, 10, 0)  # after the 03-20 due date
PEOPLE = [
    "coordinator",
    "host",
    "recorder",
    "chair",
    "tech_head",
    "tech_liaison",
    "tech_deputy",
    "market_head",
    "market_liaison",
    "finance_head",
    "outsider",
]


def _english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def meeting(torg):
    return held_meeting(torg, topics=1)


def _item(torg, meeting, **overrides) -> ActionItem:
    return ActionItem.objects.get(decision=decide(torg, meeting, **overrides))


def _snapshot(item):
    item = ActionItem.objects.get(pk=item.pk)
    return (item.status, item.evidence, item.cancel_reason, item.done_at, item.reports.count())


# ---- list ---------------------------------------------------------------------------------


def test_owner_sees_own_open_items_with_derived_overdue_badge(torg, meeting, login):
    mine = _item(torg, meeting)
    other = _item(torg, meeting, department=torg.departments["market"], responsible=torg.market_head)
    client = _english(login(torg.tech_head))
    with time_machine.travel(AFTER, tick=False):
        page = client.get("/actions/").content.decode()
    assert f'data-item="{mine.pk}"' in page
    assert f'data-item="{other.pk}"' not in page
    assert "data-overdue" not in page
    with time_machine.travel(LATE, tick=False):
        page = client.get("/actions/").content.decode()
    assert "data-overdue" in page and "Overdue" in page
    # Derived, never stored: the row is unchanged.
    assert ActionItem.objects.get(pk=mine.pk).status == S.OPEN


def test_liaison_sees_the_department_items(torg, meeting, login):
    tech = _item(torg, meeting)
    market = _item(torg, meeting, department=torg.departments["market"], responsible=torg.market_head)
    with time_machine.travel(AFTER, tick=False):
        page = login(torg.tech_liaison).get("/actions/").content.decode()
        outsider = login(torg.outsider).get("/actions/").content.decode()
    assert f'data-item="{tech.pk}"' in page and f'data-item="{market.pk}"' not in page
    assert "data-item=" not in outsider


def test_coordinator_sees_all_and_filters(torg, meeting, login):
    tech = _item(torg, meeting, due_on=date(2026, 3, 11))
    market = _item(
        torg,
        meeting,
        department=torg.departments["market"],
        responsible=torg.market_head,
        due_on=date(2026, 4, 30),
    )
    client = login(torg.coordinator)

    def shown(query=""):
        with time_machine.travel(LATE, tick=False):
            response = client.get("/actions/" + query)
        assert response.status_code == 200
        page = response.content.decode()
        return {pk for pk in (tech.pk, market.pk) if f'data-item="{pk}"' in page}

    assert shown() == {tech.pk, market.pk}
    assert shown(f"?department={torg.departments['market'].pk}") == {market.pk}
    assert shown("?overdue=yes") == {tech.pk}
    assert shown("?overdue=no") == {market.pk}
    assert shown("?due_from=2026-04-01&due_to=2026-05-01") == {market.pk}
    assert shown(f"?meeting={meeting.pk}") == {tech.pk, market.pk}
    assert shown(f"?meeting={meeting.pk + 999}") == set()
    assert shown("?status=done") == set()


def test_coordinator_filter_errors_are_field_errors(torg, meeting, login):
    _item(torg, meeting)
    client = _english(login(torg.coordinator))
    with time_machine.travel(AFTER, tick=False):
        page = client.get("/actions/?due_from=2026-05-01&due_to=2026-04-01&status=bogus").content.decode()
    assert 'data-field="due_to"' in page and 'data-field="status"' in page
    assert "data-item=" not in page


def test_keyset_next_page(torg, meeting, login, monkeypatch):
    from xietong.actions import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    items = [_item(torg, meeting, due_on=date(2026, 3, 20) + timedelta(days=i)) for i in range(3)]
    for person in (torg.coordinator, torg.tech_head):
        client = login(person)
        with time_machine.travel(AFTER, tick=False):
            first = client.get("/actions/").content.decode()
        assert f'data-item="{items[2].pk}"' not in first
        key = f"after={items[1].due_on.isoformat()}_{items[1].pk}"
        assert key in first
        with time_machine.travel(AFTER, tick=False):
            second = client.get(f"/actions/?{key}").content.decode()
        assert [f'data-item="{i.pk}"' in second for i in items] == [False, False, True]
        assert 'rel="next"' not in second


@pytest.mark.parametrize("person", ["coordinator", "tech_head", "market_liaison"])
def test_list_query_count_does_not_grow(torg, meeting, login, person, django_assert_max_num_queries):
    def many(n):
        for i in range(n):
            _item(torg, meeting, due_on=date(2026, 3, 20) + timedelta(days=i))
            _item(
                torg,
                meeting,
                department=torg.departments["market"],
                responsible=torg.market_head,
                due_on=date(2026, 3, 20) + timedelta(days=i),
            )

    client = login(getattr(torg, person))
    many(1)
    # 7, plus one for a liaison's "tasks to acknowledge".
    limit = 8 if person == "market_liaison" else 7
    with time_machine.travel(LATE, tick=False), django_assert_max_num_queries(limit):
        assert client.get("/actions/").status_code == 200
    many(10)
    with time_machine.travel(LATE, tick=False), django_assert_max_num_queries(limit):
        assert client.get("/actions/").status_code == 200


def test_titles_are_escaped(torg, meeting, login):
    item = _item(torg, meeting, text="<script>alert(1)</script>")
    with time_machine.travel(AFTER, tick=False):
        listing = login(torg.tech_head).get("/actions/").content.decode()
        detail = login(torg.tech_head).get(f"/actions/{item.pk}/").content.decode()
    for page in (listing, detail):
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)" in page


# ---- detail -------------------------------------------------------------------------------


def test_detail_shows_decision_meeting_reports_and_the_viewers_steps(torg, meeting, login):
    item = _item(torg, meeting)
    services.progress_report(
        item=item, status="delayed", reason="等待预算", actor=torg.tech_liaison, now=AFTER
    )
    with time_machine.travel(AFTER, tick=False):
        owner = _english(login(torg.tech_head)).get(f"/actions/{item.pk}/").content.decode()
        liaison = login(torg.tech_liaison).get(f"/actions/{item.pk}/").content.decode()
        coordinator = login(torg.coordinator).get(f"/actions/{item.pk}/").content.decode()
    assert "技术部两周内提交停车位改造方案" in owner and meeting.title in owner
    assert "等待预算" in owner and "Delayed" in owner
    assert f"/actions/{item.pk}/start/" in owner and f"/actions/{item.pk}/complete/" in owner
    assert f"/actions/{item.pk}/report/" not in owner and f"/actions/{item.pk}/cancel/" not in owner
    assert f"/actions/{item.pk}/report/" in liaison and f"/actions/{item.pk}/complete/" not in liaison
    assert f"/actions/{item.pk}/cancel/" in coordinator and f"/actions/{item.pk}/reopen/" not in coordinator


@pytest.mark.parametrize("person", ["outsider", "market_head", "market_liaison", "host"])
def test_detail_hidden_from_outsiders(torg, meeting, login, person):
    item = _item(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        assert login(getattr(torg, person)).get(f"/actions/{item.pk}/").status_code == 404


def test_mutating_urls_refuse_get(torg, meeting, login):
    item = _item(torg, meeting)
    client = login(torg.tech_head)
    for step in ("start", "complete", "cancel", "reopen", "report"):
        assert client.get(f"/actions/{item.pk}/{step}/").status_code == 405


# ---- steps: permission matrix ------------------------------------------------------------

STEPS = {
    "start": ({}, {"tech_head"}, None),
    "complete": ({"evidence": "方案已提交"}, {"tech_head"}, None),
    "report": ({"status": "in_progress"}, {"tech_liaison"}, None),
    "cancel": ({"cancel-reason": "不再需要"}, {"coordinator"}, None),
    "reopen": ({"reopen-reason": "证据不足"}, {"coordinator"}, "done"),
}


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("person", PEOPLE)
def test_step_permission_matrix(torg, meeting, login, step, person):
    data, allowed, state = STEPS[step]
    item = _item(torg, meeting)
    if state == "done":
        services.action_complete(item=item, evidence="ok", actor=torg.tech_head, now=DURING)
    before = _snapshot(item)
    with time_machine.travel(AFTER, tick=False):
        response = login(getattr(torg, person)).post(f"/actions/{item.pk}/{step}/", data)
    if person in allowed:
        assert response.status_code == 302, response.content.decode()
        assert _snapshot(item) != before
    else:
        assert response.status_code == 403
        assert _snapshot(item) == before


def test_complete_then_reopen(torg, meeting, login):
    item = _item(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        login(torg.tech_head).post(f"/actions/{item.pk}/start/")
        assert ActionItem.objects.get(pk=item.pk).status == S.IN_PROGRESS
        login(torg.tech_head).post(f"/actions/{item.pk}/complete/", {"evidence": "已提交"})
        item.refresh_from_db()
        assert (item.status, item.evidence) == (S.DONE, "已提交")
        login(torg.coordinator).post(f"/actions/{item.pk}/reopen/", {"reopen-reason": "证据不足"})
    assert ActionItem.objects.get(pk=item.pk).status == S.OPEN


def test_bad_input_is_a_field_error_and_saves_nothing(torg, meeting, login):
    item = _item(torg, meeting)
    before = _snapshot(item)
    cases = [
        (torg.tech_head, "complete", {"evidence": "  "}, "evidence"),
        (torg.tech_head, "complete", {"evidence": "x" * 2001}, "evidence"),
        (torg.tech_liaison, "report", {"status": "delayed", "reason": ""}, "reason"),
        (torg.tech_liaison, "report", {"status": "bogus"}, "status"),
        (torg.tech_liaison, "report", {"status": "in_progress", "note": "x" * 2001}, "note"),
        (torg.coordinator, "cancel", {"cancel-reason": ""}, "reason"),
        (torg.coordinator, "cancel", {"cancel-reason": "x" * 301}, "reason"),
    ]
    for person, step, data, field in cases:
        with time_machine.travel(AFTER, tick=False):
            response = _english(login(person)).post(f"/actions/{item.pk}/{step}/", data)
        assert response.status_code == 400, (step, data)
        assert f'data-field="{field}"' in response.content.decode(), (step, data)
        assert _snapshot(item) == before
    assert ProgressReport.objects.count() == 0


def test_wrong_state_is_shown_not_saved(torg, meeting, login):
    item = _item(torg, meeting)
    services.action_complete(item=item, evidence="ok", actor=torg.tech_head, now=DURING)
    before = _snapshot(item)
    with time_machine.travel(AFTER, tick=False):
        response = _english(login(torg.tech_liaison)).post(
            f"/actions/{item.pk}/report/", {"status": "in_progress"}
        )
    assert response.status_code == 400
    assert "not possible" in response.content.decode()
    assert _snapshot(item) == before


def test_filter_form_starts_again_from_the_first_page(torg, meeting, login):
    _item(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        page = login(torg.coordinator).get("/actions/?after=2026-03-20_1&status=open").content.decode()
    assert 'name="after"' not in page


def _row(page: str, item) -> str:
    return page.split(f'<tr data-item="{item.pk}">', 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize(
    ("language", "in_progress", "overdue"),
    [("en", "In progress", "Overdue"), ("zh-hans", "进行中", "已逾期")],
)
def test_a_row_shows_title_owner_department_due_date_status_and_red_badge(
    torg, meeting, login, language, in_progress, overdue
):
    item = _item(torg, meeting)
    services.action_start(item=item, actor=torg.tech_head, now=DURING)
    client = login(torg.coordinator)
    client.cookies["django_language"] = language
    with time_machine.travel(LATE, tick=False):
        row = _row(client.get("/actions/").content.decode(), item)
    cells = [c.strip() for c in re.split(r"<td[^>]*>", row)[1:]]
    assert cells[0] == f'<a href="/actions/{item.pk}/">{item.title}</a></td>'
    assert cells[1] == f"{torg.tech_head.full_name}</td>"
    assert cells[2] == f"{torg.departments['tech'].name}</td>"
    assert cells[3].startswith(item.due_on.isoformat())
    assert f'<span class="badge late" data-overdue data-colour="red">{overdue}</span>' in cells[3]
    assert cells[4] == f"{in_progress}</td>"
    assert cells[5] == f"{meeting.title}</td>"


def test_done_items_are_listed_for_the_coordinator_without_a_badge(torg, meeting, login):
    item = _item(torg, meeting)
    services.action_complete(item=item, evidence="ok", actor=torg.tech_head, now=DURING)
    with time_machine.travel(LATE, tick=False):
        row = _row(_english(login(torg.coordinator)).get("/actions/?status=done").content.decode(), item)
    assert "badge" not in row and '<td data-label="Status">Done</td>' in row
