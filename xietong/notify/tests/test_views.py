from __future__ import annotations

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.core.events import record_event
from xietong.core.models import Event
from xietong.meetings.tests.factories import THU_1800, published_meeting
from xietong.notify.models import Delivery, DepartmentRobot, Message, Preference
from xietong.notify.services import notify_dispatch

from .test_delivery import _robot

D = Delivery.State
DING = "https://oapi.dingtalk.com/robot/send?access_token=tok12345"


def _english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def notified(torg):
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    return torg


def test_inbox_shows_own_messages_unread_first_and_marks_read(notified, login):
    torg = notified
    client = _english(login(torg.tech_head))
    mine = Message.objects.get(recipient=torg.tech_head)
    page = client.get("/notify/").content.decode()
    assert f'data-message="{mine.pk}"' in page and 'data-unread="1"' in page
    assert "Meeting notice: " in page
    others = Message.objects.exclude(recipient=torg.tech_head)
    assert all(f'data-message="{m.pk}"' not in page for m in others)
    assert b'data-unread-count="1">1<' in client.get("/notify/badge/").content
    # Someone else's message: 404, and it stays unread.
    other = others.first()
    assert client.post(f"/notify/{other.pk}/read/").status_code == 404
    assert Message.objects.get(pk=other.pk).read_at is None
    response = client.post(f"/notify/{mine.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == mine.link
    assert Message.objects.get(pk=mine.pk).read_at is not None
    assert client.get("/notify/badge/").content == b""


def test_mark_all_read_touches_only_own_messages(notified, login):
    torg = notified
    login(torg.tech_head).post("/notify/read-all/")
    assert not Message.objects.filter(recipient=torg.tech_head, read_at__isnull=True).exists()
    assert Message.objects.filter(read_at__isnull=True).exists()


def test_inbox_lists_unread_before_read_across_pages(torg, login, monkeypatch):
    from xietong.notify import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    for n in range(7):
        event = record_event(name="x.y", actor=None, subject=torg.tech_head, now=THU_1800)
        Message.objects.create(
            event=event,
            recipient=torg.tech_head,
            topic="action_assigned",
            params={"text": f"任务{n}", "due_on": "2026-03-20"},
            created_at=THU_1800,
            read_at=THU_1800 if n % 2 else None,
        )
    seen, link, pages = [], "/notify/", 0
    client = login(torg.tech_head)
    while link:
        page = client.get(link).content.decode()
        rows = re.findall(r'<tr data-message="(\d+)"( class="unread")?', page)
        seen += [not unread for _pk, unread in rows]
        found = re.search(r'<a href="([^"]+)" rel="next"', page)
        link = "/notify/" + html.unescape(found.group(1)) if found else ""
        pages += 1
    assert pages == 3 and len(seen) == 7
    assert seen == sorted(seen)  # unread (False) first


def test_inbox_query_count_is_pinned(torg, login):
    for n in range(40):
        event = record_event(name="x.y", actor=None, subject=torg.tech_head, now=THU_1800)
        Message.objects.create(
            event=event,
            recipient=torg.tech_head,
            topic="action_assigned",
            params={"text": f"任务{n}", "due_on": "2026-03-20"},
            created_at=THU_1800,
        )
    client = login(torg.tech_head)
    client.get("/notify/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/notify/").status_code == 200
    # session + user, the person's roles (which navigation entries they may open), the page of
    # messages, the unread count.
    assert len(queries) == 5, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        client.get("/notify/badge/")
    assert len(queries) == 3


def test_nav_loads_the_badge_lazily_so_other_pages_pay_nothing(torg, login):
    page = login(torg.outsider).get("/notify/").content.decode()
    assert 'hx-get="/notify/badge/"' in page


def test_anonymous_visitors_are_sent_to_login(client):
    for url in (
        "/notify/",
        "/notify/badge/",
        "/notify/preferences/",
        "/notify/deliveries/",
        "/notify/robots/",
    ):
        assert client.get(url).status_code == 302


def test_preferences_are_ones_own(torg, login):
    client = login(torg.market_head)
    page = client.get("/notify/preferences/").content.decode()
    assert 'id="robots-link"' in page and 'id="deliveries-link"' not in page
    assert 'id="robots-link"' not in login(torg.outsider).get("/notify/preferences/").content.decode()
    client = login(torg.market_head)
    response = client.post("/notify/preferences/", {"email": "on", "daily_digest": "on"})
    assert response.status_code == 302
    pref = Preference.objects.get(person=torg.market_head)
    assert (pref.email, pref.robots, pref.daily_digest) == (True, False, True)
    assert not Preference.objects.exclude(person=torg.market_head).exists()


@pytest.mark.parametrize(
    ("who", "department", "status"),
    [
        ("tech_head", "tech", 200),
        ("tech_head", "market", 403),
        ("coordinator", "market", 200),
        ("tech_liaison", "tech", 403),
        ("tech_deputy", "tech", 403),
        ("outsider", "market", 403),
        ("chair", "tech", 403),
    ],
)
def test_robot_settings_permission_matrix(torg, login, who, department, status):
    client = login(getattr(torg, who))
    dept = torg.departments[department]
    assert client.get(f"/notify/robots/{dept.pk}/").status_code == status
    response = client.post(
        f"/notify/robots/{dept.pk}/",
        {"kind": "dingtalk", "webhook_url": DING, "is_active": "on", "edit_version": 0},
    )
    assert response.status_code == (302 if status == 200 else 403)
    assert DepartmentRobot.objects.filter(department=dept).exists() == (status == 200)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"kind": "dingtalk", "webhook_url": "http://oapi.dingtalk.com/robot/send?access_token=tok12345"},
            "webhook_url",
        ),
        (
            {"kind": "dingtalk", "webhook_url": "https://example.com/robot/send?access_token=tok12345"},
            "webhook_url",
        ),
        ({"kind": "dingtalk", "webhook_url": DING, "secret": "not-a-secret"}, "secret"),
        ({"kind": "wecom", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "webhook_url"),
        ({"kind": "feishu", "webhook_url": "javascript:alert(1)"}, "webhook_url"),
        ({"kind": "slack", "webhook_url": DING}, "kind"),
    ],
)
def test_invalid_robot_input_gives_field_errors_and_saves_nothing(torg, login, data, field):
    client = _english(login(torg.tech_head))
    response = client.post(f"/notify/robots/{torg.departments['tech'].pk}/", {**data, "edit_version": 0})
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not DepartmentRobot.objects.exists()


def test_robot_secret_is_kept_when_left_empty_and_never_shown(torg, login):
    client = login(torg.tech_head)
    url = f"/notify/robots/{torg.departments['tech'].pk}/"
    secret = "SEC" + "0a" * 32
    client.post(
        url, {"kind": "dingtalk", "webhook_url": DING, "secret": secret, "is_active": "on", "edit_version": 0}
    )
    client.post(url, {"kind": "dingtalk", "webhook_url": DING + "x", "is_active": "on", "edit_version": 1})
    robot = DepartmentRobot.objects.get()
    assert robot.secret == secret and robot.webhook_url.endswith("x")
    page = client.get(url).content.decode()
    assert secret not in page and "tok12345" not in page


def test_a_stale_robot_change_is_refused_with_409_and_shows_both(torg, login):
    """The head and the coordinator change the department's DingTalk robot from the same page."""
    url = f"/notify/robots/{torg.departments['tech'].pk}/"
    head, coordinator = _english(login(torg.tech_head)), _english(login(torg.coordinator))
    data = {"kind": "dingtalk", "webhook_url": DING, "is_active": "on", "edit_version": 0}
    assert head.post(url, data).status_code == 302
    page = head.get(url + "?kind=dingtalk").content.decode()
    assert 'name="edit_version" value="1"' in page
    assert coordinator.post(url, {**data, "webhook_url": DING + "c", "edit_version": 1}).status_code == 302
    before = list(DepartmentRobot.objects.values_list("webhook_url", "is_active", "edit_version"))
    events = Event.objects.filter(name="notify.robot_set").count()
    response = head.post(url, {"kind": "dingtalk", "webhook_url": DING + "h", "edit_version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this since you opened it, so nothing was saved." in page
    assert f'value="{DING}h"' in page  # the head's address stays in the form
    panel = page.split('data-stale="1"', 1)[1].split("</dl>", 1)[0]
    assert "Active" in panel and "yes" in panel and "tok12345" not in panel
    assert 'name="edit_version" value="2"' in page
    assert list(DepartmentRobot.objects.values_list("webhook_url", "is_active", "edit_version")) == before
    assert before == [(DING + "c", True, 2)]
    assert Event.objects.filter(name="notify.robot_set").count() == events
    # A second robot of a kind someone added meanwhile is a stale save too.
    response = coordinator.post(url, data)
    assert response.status_code == 409


def test_only_the_coordinator_sees_deliveries_and_retries(notified, login):
    torg = notified
    Delivery.objects.update(state=D.DEAD, attempts=10, last_error="SMTP 550 Mailbox unavailable")
    dead = Delivery.objects.first()
    for who in ("tech_head", "chair", "outsider", "host"):
        client = login(getattr(torg, who))
        assert client.get("/notify/deliveries/").status_code == 403
        assert client.post("/notify/deliveries/retry/", {"all": "1"}).status_code == 403
    assert not Delivery.objects.exclude(state=D.DEAD).exists()
    client = login(torg.coordinator)
    page = client.get("/notify/deliveries/").content.decode()
    assert f'data-delivery="{dead.pk}"' in page and "Mailbox unavailable" in page
    client.post("/notify/deliveries/retry/", {"delivery": str(dead.pk)})
    assert Delivery.objects.get(pk=dead.pk).state == D.PENDING
    assert Delivery.objects.filter(state=D.DEAD).count() == Delivery.objects.count() - 1
    client.post("/notify/deliveries/retry/", {"all": "1"})
    assert not Delivery.objects.filter(state=D.DEAD).exists()
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {0}


def test_feishu_hook_id_is_masked_on_the_page(torg, login):
    client = login(torg.coordinator)
    url = f"/notify/robots/{torg.departments['market'].pk}/"
    hook = "https://open.feishu.cn/open-apis/bot/v2/hook/0123abcd-secret-hook-9876"
    assert (
        client.post(
            url, {"kind": "feishu", "webhook_url": hook, "is_active": "on", "edit_version": 0}
        ).status_code
        == 302
    )
    page = client.get(url).content.decode()
    assert "secret-hook" not in page and "…9876" in page
    from xietong.core.models import Event

    event = Event.objects.get(name="notify.robot_set")
    assert "secret-hook" not in str(event.data)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_send_a_test_message_reaches_the_group_and_a_refusal_says_why(torg, login, receiver, kind):
    """The head presses 发送测试消息 on a robot: the message arrives at the (local) webhook, signed
    as the vendor requires; when the vendor refuses, the page says so with the vendor's reason."""
    robot = _robot(torg, receiver, kind)
    client = login(torg.tech_head)  # Chinese by default
    page = client.get(f"/notify/robots/{robot.department_id}/").content.decode()
    assert f'action="/notify/robots/test/{robot.pk}/"' in page and "发送测试消息" in page
    response = client.post(f"/notify/robots/test/{robot.pk}/", follow=True)
    assert response.status_code == 200
    assert "测试消息已发送" in response.content.decode()
    assert receiver.rejected == []
    [got] = receiver.received
    assert torg.departments["tech"].name in json.dumps(got["body"], ensure_ascii=False)
    assert Event.objects.filter(name="notify.robot_tested", data__ok=True).count() == 1

    receiver.mode = "500"
    page = client.post(f"/notify/robots/test/{robot.pk}/", follow=True).content.decode()
    assert "测试消息未送达：HTTP 500" in html.unescape(page)


def test_only_who_manages_a_robot_may_send_it_a_test_message(torg, login, receiver):
    robot = _robot(torg, receiver, "dingtalk")  # the tech department's robot
    for who in ("tech_liaison", "outsider", "market_head"):
        assert login(getattr(torg, who)).post(f"/notify/robots/test/{robot.pk}/").status_code == 403
    assert receiver.received == []
    assert not Event.objects.filter(name="notify.robot_tested").exists()
