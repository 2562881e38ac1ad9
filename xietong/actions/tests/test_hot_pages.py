"""Issue #3 "Scale": the action list, 我的待办 and the meeting page cost the same number of
queries whatever the amount of data, and the meeting page's follow-up is bounded."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import time_machine

from xietong.actions import selectors, services
from xietong.actions.models import ActionItem
from xietong.agenda import services as agenda_services
from xietong.meetings.services import series_meeting_after
from xietong.meetings.tests.factories import sh
from xietong.records.tests.helpers import DURING, decide, held_meeting

S = ActionItem.Status
BUILD = sh(2026, 3, 12, 16, 0)  # before the 03-16 meeting's agenda cut-off
LATE = sh(2026, 3, 25, 10, 0)


@pytest.fixture
def meeting(torg):
    return held_meeting(torg, topics=1)


def _bulk(torg, meeting, n, *, start=0, owner=None, status=S.OPEN):
    """``n`` more items of one decision of ``meeting``, due one day apart from 04-01 + start."""
    decision = decide(torg, meeting)
    ActionItem.objects.bulk_create(
        ActionItem(
            decision=decision,
            meeting=meeting,
            title=f"任务{k}",
            department=torg.departments["tech"],
            owner=owner or torg.tech_head,
            due_on=date(2026, 4, 1) + timedelta(days=k),
            status=status,
            created_at=DURING,
            updated_at=DURING,
        )
        for k in range(start, start + n)
    )


def _queries(client, url, django_assert_max_num_queries, expected=None):
    with time_machine.travel(LATE, tick=False), django_assert_max_num_queries(expected or 99) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


# ---- the follow-up under the next meeting's agenda ------------------------------------------


def test_followup_is_the_earliest_due_n_and_says_there_are_more(torg, meeting, django_assert_max_num_queries):
    limit = selectors.FOLLOWUP_LIMIT
    _bulk(torg, meeting, limit + 5, start=10)
    _bulk(torg, meeting, 3, start=0, status=S.IN_PROGRESS)  # due first: shown first
    _bulk(torg, meeting, 5, start=0, status=S.DONE)  # never shown
    following = series_meeting_after(meeting=meeting, now=DURING)
    with django_assert_max_num_queries(2):  # the items, then their reports when there are any
        rows = selectors.followup_for_meeting(following)
    assert len(rows) == limit and rows.more is True
    open_items = ActionItem.objects.filter(status__in=selectors.OPEN_STATES).order_by("due_on", "id")
    assert [r.pk for r in rows] == list(open_items.values_list("pk", flat=True)[:limit])
    in_progress = ActionItem.objects.filter(status=S.IN_PROGRESS).values_list("pk", flat=True)
    assert set(in_progress) <= {r.pk for r in rows}  # both open states, merged by due date
    # Ten times the history: still two queries and the same rows.
    _bulk(torg, meeting, 10 * limit, start=400)
    with django_assert_max_num_queries(2):
        again = selectors.followup_for_meeting(following)
    assert [r.pk for r in again] == list(open_items.values_list("pk", flat=True)[:limit])
    assert again.more


def test_followup_without_more(torg, meeting):
    _bulk(torg, meeting, 3)
    following = series_meeting_after(meeting=meeting, now=DURING)
    n = ActionItem.objects.filter(status__in=selectors.OPEN_STATES).count()
    rows = selectors.followup_for_meeting(following, limit=n)
    assert len(rows) == n and rows.more is False
    assert selectors.followup_for_meeting(following, limit=n - 1).more is True


def test_meeting_page_bounds_the_followup_links_the_rest_and_keeps_its_query_count(
    torg, meeting, login, django_assert_max_num_queries
):
    _bulk(torg, meeting, 5)
    following = series_meeting_after(meeting=meeting, now=DURING)
    agenda_services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)
    client = login(torg.coordinator)
    url = f"/meetings/{following.pk}/"
    # session, user, roles, meeting (+ agenda), agenda items, replies, duties, follow-up,
    # calendar, latest notice: 10 (no delegation look-up when there are no replies to answer)
    small, page = _queries(client, url, django_assert_max_num_queries, expected=10)
    assert small == 10
    assert page.count("data-action=") == ActionItem.objects.filter(status=S.OPEN).count()
    assert "data-followup-more" not in page

    _bulk(torg, meeting, 300, start=5)
    count, page = _queries(client, url, django_assert_max_num_queries, expected=small)
    assert count == small
    assert page.count("data-action=") == selectors.FOLLOWUP_LIMIT
    more = f"/actions/?series={following.series_id}&amp;status=open"
    assert f'href="{more}" data-followup-more' in page

    # The link's target: the coordinator's list filtered to the series.
    with time_machine.travel(LATE, tick=False):
        listed = client.get(more.replace("&amp;", "&")).content.decode()
        other = client.get(f"/actions/?series={following.series_id + 999}").content.decode()
    assert listed.count("data-item=") == selectors.PAGE_SIZE and 'rel="next"' in listed
    assert f'name="series" value="{following.series_id}"' in listed  # kept by the filter form
    assert "data-item=" not in other


# ---- the action list and 我的待办 at two sizes ------------------------------------------------


@pytest.mark.parametrize("person", ["coordinator", "tech_head", "tech_liaison"])
def test_action_list_query_count_is_the_same_at_ten_times_the_data(
    torg, meeting, login, person, django_assert_max_num_queries
):
    _bulk(torg, meeting, 60)
    client = login(getattr(torg, person))
    # + the liaison's duties; the colours come with the rows (from the ledger, in the same query)
    pinned = {"coordinator": 6, "tech_head": 6, "tech_liaison": 7}[person]
    small, page = _queries(client, "/actions/", django_assert_max_num_queries, expected=pinned)
    assert small == pinned
    assert page.count("data-item=") == selectors.PAGE_SIZE
    _bulk(torg, meeting, 600, start=60)
    _bulk(torg, meeting, 200, start=0, status=S.DONE)
    large, page = _queries(client, "/actions/", django_assert_max_num_queries, expected=small)
    assert large == small and page.count("data-item=") == selectors.PAGE_SIZE
    # the next page by key costs the same
    nxt, _page = _queries(client, "/actions/?after=2026-04-20_1", django_assert_max_num_queries, small)
    assert nxt == small


def test_owner_list_pages_by_key_over_both_open_states(torg, meeting, login, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    owner = torg.outsider  # no department role: the list is their own items
    _bulk(torg, meeting, 5, start=0, owner=owner)
    _bulk(torg, meeting, 5, start=0, owner=owner, status=S.IN_PROGRESS)
    _bulk(torg, meeting, 3, start=0, owner=owner, status=S.DONE)
    expected = list(
        ActionItem.objects.filter(owner=owner, status__in=selectors.OPEN_STATES)
        .order_by("due_on", "id")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 10
    client = login(owner)
    seen, url = [], "/actions/"
    while url:
        with time_machine.travel(LATE, tick=False):
            page = client.get(url).content.decode()
        seen += [int(pk) for pk in re.findall(r'data-item="(\d+)"', page)]
        nxt = re.search(r'<a href="([^"]+)" rel="next"', page)
        url = "/actions/" + html.unescape(nxt.group(1)) if nxt else ""
    assert seen == expected


def test_home_query_count_is_the_same_at_ten_times_the_data(
    torg, meeting, login, django_assert_max_num_queries
):
    _bulk(torg, meeting, 30)
    client = login(torg.tech_head)
    small, page = _queries(client, "/", django_assert_max_num_queries, expected=17)
    assert page.count('href="/actions/') >= 20
    _bulk(torg, meeting, 300, start=30)
    _bulk(torg, meeting, 100, start=0, status=S.DONE)
    large, _page = _queries(client, "/", django_assert_max_num_queries, expected=small)
    assert large == small


def test_filter_form_written_out_keeps_values_escaped_and_errors(torg, meeting, login):
    client = login(torg.coordinator)
    with time_machine.travel(LATE, tick=False):
        page = client.get(
            "/actions/", {"meeting": '"><script>x</script>', "status": "done", "series": "<b>"}
        ).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert '<option value="done" selected>' in page
    assert 'data-field="meeting"' in page  # not a number: a field error, no rows
    assert "data-item=" not in page


@pytest.mark.parametrize(
    ("language", "delayed", "overdue"), [("en", "Delayed", "Overdue"), ("zh-hans", "延期", "已逾期")]
)
def test_followup_row_shows_the_item_its_owner_and_its_latest_report(
    torg, meeting, login, language, delayed, overdue, django_assert_max_num_queries
):
    item = ActionItem.objects.get(decision=decide(torg, meeting))
    services.progress_report(item=item, status="in_progress", actor=torg.tech_liaison, now=DURING)
    services.progress_report(
        item=item, status="delayed", reason="等待<报价>", note="下周", actor=torg.tech_liaison, now=DURING
    )
    following = series_meeting_after(meeting=meeting, now=DURING)
    agenda_services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)
    client = login(torg.coordinator)
    client.cookies["django_language"] = language
    _count, page = _queries(client, f"/meetings/{following.pk}/", django_assert_max_num_queries)
    row = page.split(f'<li data-action="{item.pk}">', 1)[1].split("</li>", 1)[0]
    assert item.title in row and item.department.name in row and item.owner.full_name in row
    assert item.due_on.isoformat() in row and f'<span class="badge late" data-overdue>{overdue}</span>' in row
    assert f'<span class="badge">{delayed}</span>' in row and "等待&lt;报价&gt; · 下周" in row
