from datetime import datetime, timedelta

import pytest
import time_machine

from xietong.actions.models import ActionItem
from xietong.meetings.services import series_next_meeting
from xietong.policy.calendar import SHANGHAI
from xietong.records.tests.helpers import DURING, decide, held_meeting
from xietong.topics import services as topic_services
from xietong.topics.models import Topic

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def _draft(torg, title="跨部门报销流程优化"):
    return topic_services.topic_create(
        actor=torg.tech_liaison,
        now=NOW,
        department=torg.departments["tech"],
        series=torg.series,
        title=title,
        background="背景",
        collaboration_need="需要财务部配合",
        departments_involved=[torg.departments["finance"]],
        expected_outcome="流程缩短",
        initial_solution="线上审批",
    )


@pytest.mark.django_db
def test_home_lists_my_duties_with_their_clause_and_nothing_of_others(torg, client):
    topic = _draft(torg)
    client.cookies["django_language"] = "en"
    client.force_login(torg.tech_liaison)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/").content.decode()
    assert topic.title in body
    assert "第五条(二)4" in body  # the submission cut-off's clause
    client.force_login(torg.market_liaison)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/").content.decode()
    assert topic.title not in body


@pytest.mark.django_db
def test_home_shows_late_duties_as_late(torg, client):
    topic = _draft(torg)
    client.cookies["django_language"] = "en"
    client.force_login(torg.tech_liaison)
    # Thursday 5 March 15:00 is the submission cut-off; on Friday it is late.
    with time_machine.travel(datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), tick=False):
        body = client.get("/").content.decode()
    assert topic.title in body
    assert 'class="badge late"' in body


@pytest.mark.django_db
def test_home_query_count_does_not_grow_with_duties(torg, client, django_assert_max_num_queries):
    series_next_meeting(series=torg.series, now=NOW)
    client.force_login(torg.tech_liaison)
    _draft(torg, "议题一")
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(20) as ctx:
        client.get("/")
    few = len(ctx.captured_queries)
    for i in range(8):
        _draft(torg, f"议题{i + 2}")
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(few):
        assert client.get("/").status_code == 200


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_stylesheet_and_htmx_are_served(client):
    for path in ("/static/xietong/app.css", "/static/xietong/htmx.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_owner_sees_their_action_items_in_my_todo(torg, client):
    meeting = held_meeting(torg, topics=1)
    item = ActionItem.objects.get(decision=decide(torg, meeting))
    client.cookies["django_language"] = "en"
    client.force_login(torg.tech_head)
    with time_machine.travel(DURING, tick=False):
        body = client.get("/").content.decode()
    assert f'href="/actions/{item.pk}/"' in body
    client.force_login(torg.market_head)
    with time_machine.travel(DURING, tick=False):
        assert f'href="/actions/{item.pk}/"' not in client.get("/").content.decode()


def _home(client, person, when, language="en") -> str:
    client.cookies["django_language"] = language
    client.force_login(person)
    with time_machine.travel(when, tick=False):
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _duty_rows(body: str) -> str:
    return body.split('id="duties"', 1)[1].split("</section>", 1)[0]


@pytest.mark.django_db
def test_a_duty_row_shows_its_subject_deadline_colour_and_clause_in_both_languages(torg, client):
    topic = _draft(torg, "报价<b>单</b>")
    rows = _duty_rows(_home(client, torg.tech_liaison, NOW))
    assert (
        f'<a href="/topics/{topic.pk}/" data-duty="submission">Topic submission · 报价&lt;b&gt;单&lt;/b&gt;</a>'
        in rows
    )
    assert '<span class="badge warn">Due 2026-03-05 15:00</span>' in rows
    assert 'data-colour="green">Green: on track</span>' in rows
    assert "Clause 第五条(二)4" in rows
    rows = _duty_rows(_home(client, torg.tech_liaison, NOW, "zh-hans"))
    assert (
        f'<a href="/topics/{topic.pk}/" data-duty="submission">议题提交 · 报价&lt;b&gt;单&lt;/b&gt;</a>'
        in rows
    )
    assert "2026-03-05 15:00" in rows and 'data-colour="green"' in rows and "第五条(二)4" in rows
    # On the morning of the cut-off the duty is yellow; the day after, red and late.
    rows = _duty_rows(_home(client, torg.tech_liaison, datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)))
    assert 'data-colour="yellow">Yellow: due soon</span>' in rows
    rows = _duty_rows(_home(client, torg.tech_liaison, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI)))
    assert '<span class="badge late">Late 2026-03-05 15:00</span>' in rows
    assert 'data-colour="red">Red: late</span>' in rows


@pytest.mark.django_db
def test_a_duty_whose_subject_is_gone_shows_its_kind_without_a_link(torg, client):
    topic = _draft(torg)
    Topic.objects.filter(pk=topic.pk).delete()
    rows = _duty_rows(_home(client, torg.tech_liaison, NOW))
    assert "Topic submission" in rows and "Clause 第五条(二)4" in rows
    assert "<a href" not in rows


@pytest.mark.django_db
def test_an_action_item_row_shows_title_due_date_status_and_overdue_badge(torg, client):
    meeting = held_meeting(torg, topics=1)
    item = ActionItem.objects.get(decision=decide(torg, meeting))
    ActionItem.objects.filter(pk=item.pk).update(title="报价<b>单</b>")
    body = _home(client, torg.tech_head, DURING)
    section = body.split('id="actions"', 1)[1].split("</section>", 1)[0]
    assert f'<a href="/actions/{item.pk}/">报价&lt;b&gt;单&lt;/b&gt;</a>' in section
    assert f'<span class="badge warn">Due {item.due_on}</span>' in section
    assert '<span class="muted">Open</span>' in section
    section = _home(client, torg.tech_head, DURING, "zh-hans").split('id="actions"', 1)[1]
    assert f"{item.due_on}</span>" in section and "待办" in section.split("</section>", 1)[0]
    ActionItem.objects.filter(pk=item.pk).update(due_on=DURING.date() - timedelta(days=7))
    section = _home(client, torg.tech_head, DURING).split('id="actions"', 1)[1]
    assert '<span class="badge late">Overdue ' in section.split("</section>", 1)[0]
