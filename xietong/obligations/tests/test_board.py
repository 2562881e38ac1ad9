"""The warning boards at any size: counts per department, the first duties of each, and a
department's full list a page at a time. Colours come from each preset's own warning lead."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine

from xietong.desk.testing import build_test_org
from xietong.obligations import views
from xietong.obligations.colours import YELLOW, colour
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_open
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.selectors import current_version

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def porg(request, db):
    return build_test_org(preset=request.param)


def duty(porg, due_at, *, subject, dept, person=None):
    return obligation_open(
        kind=ObligationKind.ACTION_DUE,
        rule="warning_lead_days",
        subject=subject,
        due=CalendarResult(due_at),
        policy_version=current_version(porg.policy),
        now=sh(2026, 3, 1, 9, 0),
        responsible=person,
        department=porg.departments[dept],
    )


def copies(ob, count, *, start, department=None):
    """``count`` more late duties like ``ob`` (of ``department`` if given), due a minute apart
    from ``start``."""
    fields = {
        f.attname: getattr(ob, f.attname) for f in Obligation._meta.concrete_fields if not f.primary_key
    }
    if department is not None:
        fields["department_id"] = department.pk
    Obligation.objects.bulk_create(
        Obligation(**{**fields, "due_at": start + timedelta(minutes=i), "warn_at": start - timedelta(days=5)})
        for i in range(count)
    )


def section(html, department):
    """The markup of ``department``'s card on a board."""
    match = re.search(rf'<section class="card" data-department="{department.pk}">(.*?)</section>', html, re.S)
    assert match, f"no card for {department.name}"
    return match.group(1)


def row(html, ob):
    match = re.search(rf'<tr data-obligation="{ob.pk}">(.*?)</tr>', html, re.S)
    assert match, f"duty {ob.pk} is not listed"
    return match.group(1)


def get(client, path):
    with time_machine.travel(NOW, tick=False):
        return client.get(path)


def test_a_red_duty_shows_in_its_department_with_its_subject_and_red_badge(porg, login):
    tech = porg.departments["tech"]
    late = duty(
        porg, sh(2026, 3, 17, 17, 30), subject=porg.departments["office"], person=porg.tech_head, dept="tech"
    )
    soon = duty(porg, sh(2026, 3, 20, 17, 30), subject=porg.series, person=porg.tech_head, dept="tech")
    later = duty(porg, sh(2026, 4, 20, 17, 30), subject=porg.org, person=porg.tech_head, dept="tech")
    response = get(login(porg.coordinator), "/obligations/board/")
    assert response.status_code == 200
    card = section(response.content.decode(), tech)
    assert "技术部" in card
    cells = row(card, late)
    assert 'data-colour="red"' in cells and "办公室" in cells and "周技术" in cells
    assert f'href="/obligations/{late.pk}/waive/"' in cells
    # The yellow moment comes from the preset's lead: the board shows exactly what the rule says.
    assert (f'data-obligation="{soon.pk}"' in card) == (colour(soon, NOW) == YELLOW)
    if colour(soon, NOW) == YELLOW:
        assert 'data-colour="yellow"' in row(card, soon)
    assert f'data-obligation="{later.pk}"' not in card
    red, yellow = 1, int(colour(soon, NOW) == YELLOW)
    assert f"红色：{red} · 黄色：{yellow}" in card
    assert "data-all=" not in card
    assert 'id="legend"' in response.content.decode()


def test_a_department_with_more_duties_than_the_board_shows_links_to_all_of_them(porg, login):
    tech, market = porg.departments["tech"], porg.departments["market"]
    first = duty(porg, sh(2026, 3, 2, 9, 0), subject=porg.org, person=porg.tech_head, dept="tech")
    copies(first, views.BOARD_ROWS + 2, start=sh(2026, 3, 3, 9, 0))
    duty(porg, sh(2026, 3, 17, 9, 0), subject=porg.org, person=porg.market_head, dept="market")
    html = get(login(porg.coordinator), "/obligations/board/").content.decode()
    card = section(html, tech)
    total = views.BOARD_ROWS + 3
    assert card.count("data-obligation=") == views.BOARD_ROWS
    assert f'data-obligation="{first.pk}"' in card  # the most overdue first
    assert (
        f'<a href="/obligations/board/department/{tech.pk}/" data-all="{total}">显示全部 {total} 项</a>'
        in card
    )
    assert f"红色：{total} · 黄色：0" in card
    assert "data-all=" not in section(html, market)


def test_duties_of_no_department_show_their_most_overdue_first_beside_the_departments(porg, login):
    tech = porg.departments["tech"]
    first = duty(porg, sh(2026, 3, 2, 9, 0), subject=porg.org, person=porg.tech_head, dept="tech")
    copies(first, views.BOARD_ROWS + 1, start=sh(2026, 3, 3, 9, 0))
    nobody = duty(porg, sh(2026, 3, 2, 8, 0), subject=porg.series, person=porg.tech_head, dept="tech")
    Obligation.objects.filter(pk=nobody.pk).update(department=None)
    copies(Obligation.objects.get(pk=nobody.pk), views.BOARD_ROWS + 3, start=sh(2026, 3, 3, 8, 0))
    html = get(login(porg.coordinator), "/obligations/board/").content.decode()
    card = section(html, tech)
    assert card.count("data-obligation=") == views.BOARD_ROWS
    assert f'data-obligation="{first.pk}"' in card
    loose = re.search(r'<section class="card" data-department="">(.*?)</section>', html, re.S).group(1)
    expected = list(
        Obligation.objects.filter(department=None).order_by("due_at", "id").values_list("pk", flat=True)
    )[: views.BOARD_ROWS]
    assert [int(pk) for pk in re.findall(r'data-obligation="(\d+)"', loose)] == expected
    total = views.BOARD_ROWS + 4
    assert f'<a href="/obligations/board/department/none/" data-all="{total}">' in loose


def test_a_departments_full_list_pages_with_more(porg, login, monkeypatch):
    monkeypatch.setattr(views, "LIST_ROWS", 4)
    tech = porg.departments["tech"]
    first = duty(porg, sh(2026, 3, 2, 9, 0), subject=porg.org, person=porg.tech_head, dept="tech")
    copies(first, 8, start=sh(2026, 3, 3, 9, 0))
    duty(porg, sh(2026, 3, 17, 9, 0), subject=porg.org, person=porg.market_head, dept="market")
    expected = list(
        Obligation.objects.filter(department=tech).order_by("due_at", "id").values_list("pk", flat=True)
    )
    client, path, seen, pages = login(porg.coordinator), f"/obligations/board/department/{tech.pk}/", [], 0
    while path:
        response = get(client, path)
        assert response.status_code == 200
        html = response.content.decode()
        seen += [int(pk) for pk in re.findall(r'data-obligation="(\d+)"', html)]
        more = re.search(r'<a href="(\?after=[^"]+)" rel="next">', html)
        path = (
            f"/obligations/board/department/{tech.pk}/" + more.group(1).replace("&amp;", "&") if more else ""
        )
        pages += 1
    assert seen == expected and pages == 3  # 4 + 4 + 1
    for junk in ("garbage", "2026-03-03T09:00:00_0", "2026-03-03T09:00:00_7", "_" * 3):
        again = get(client, f"/obligations/board/department/{tech.pk}/?after={junk}").content.decode()
        assert re.findall(r'data-obligation="(\d+)"', again) == [str(pk) for pk in expected[:4]]
    assert 'data-colour="red"' in html and "技术部" in html


def _board_queries(client, django_assert_num_queries, expected):
    get(client, "/obligations/board/")  # warm the session/role caches of the first request
    with django_assert_num_queries(expected):
        return get(client, "/obligations/board/")


def test_the_board_costs_the_same_queries_for_5_or_500_duties(porg, login, django_assert_num_queries):
    ob = duty(porg, sh(2026, 3, 2, 9, 0), subject=porg.org, person=porg.tech_head, dept="tech")
    for dept in ("office", "market", "finance"):
        duty(porg, sh(2026, 3, 16, 9, 0), subject=porg.org, person=None, dept=dept)
    copies(ob, 1, start=sh(2026, 3, 3, 9, 0))
    client = login(porg.coordinator)
    # session, user, roles, counts, rows, policy versions (legend), the organisation subjects
    few = _board_queries(client, django_assert_num_queries, 7)
    assert few.content.decode().count("data-obligation=") == 5
    for dept in ("office", "tech", "market", "finance"):
        copies(ob, 124, start=sh(2026, 3, 4, 9, 0), department=porg.departments[dept])
    assert Obligation.objects.count() >= 500
    many = _board_queries(client, django_assert_num_queries, 7)
    assert many.content.decode().count("data-obligation=") == 4 * views.BOARD_ROWS


@pytest.mark.parametrize("who", ["tech_liaison", "outsider", "recorder"])
def test_people_without_a_board_are_refused_the_board_and_the_lists(porg, login, who):
    tech = porg.departments["tech"]
    duty(porg, sh(2026, 3, 17, 9, 0), subject=porg.org, person=porg.tech_head, dept="tech")
    client = login(getattr(porg, who))
    assert get(client, "/obligations/board/").status_code == 403
    assert get(client, f"/obligations/board/department/{tech.pk}/").status_code == 403
    assert get(client, "/obligations/board/department/none/").status_code == 403


def test_a_missing_department_is_not_found(porg, login):
    client = login(porg.coordinator)
    assert get(client, "/obligations/board/department/999999/").status_code == 404
    assert get(client, "/obligations/board/department/0/").status_code == 404
    assert get(client, "/obligations/board/department/none/").status_code == 200


def test_a_department_head_sees_only_their_departments(porg, login):
    tech, market = porg.departments["tech"], porg.departments["market"]
    ours = duty(porg, sh(2026, 3, 17, 9, 0), subject=porg.org, person=porg.market_head, dept="market")
    theirs = duty(porg, sh(2026, 3, 17, 9, 0), subject=porg.org, person=porg.tech_head, dept="tech")
    client = login(porg.market_head)
    board = get(client, "/obligations/department/").content.decode()
    assert f'data-obligation="{ours.pk}"' in board and f'data-obligation="{theirs.pk}"' not in board
    assert f'data-department="{tech.pk}"' not in board
    assert "/waive/" not in board
    mine = get(client, f"/obligations/board/department/{market.pk}/")
    assert mine.status_code == 200 and f'data-obligation="{ours.pk}"' in mine.content.decode()
    assert "/waive/" not in mine.content.decode()
    assert get(client, f"/obligations/board/department/{tech.pk}/").status_code == 403


def test_duties_of_no_department_have_their_own_card_and_list(porg, login):
    tech = porg.departments["tech"]
    ours = duty(porg, sh(2026, 3, 16, 9, 0), subject=porg.org, person=porg.tech_head, dept="tech")
    loose = duty(porg, sh(2026, 3, 17, 9, 0), subject=porg.series, person=porg.chair, dept="market")
    Obligation.objects.filter(pk=loose.pk).update(department=None)
    copies(Obligation.objects.get(pk=loose.pk), views.BOARD_ROWS, start=sh(2026, 3, 5, 9, 0))
    client = login(porg.coordinator)
    html = get(client, "/obligations/board/").content.decode()
    assert f'data-obligation="{ours.pk}"' in section(html, tech)
    card = re.search(r'<section class="card" data-department="">(.*?)</section>', html, re.S).group(1)
    assert "<h2>无科室</h2>" in card
    assert card.count("data-obligation=") == views.BOARD_ROWS
    assert f'href="/obligations/board/department/none/" data-all="{views.BOARD_ROWS + 1}"' in card
    full = get(client, "/obligations/board/department/none/").content.decode()
    assert full.count("data-obligation=") == views.BOARD_ROWS + 1 and f'data-obligation="{loose.pk}"' in full
