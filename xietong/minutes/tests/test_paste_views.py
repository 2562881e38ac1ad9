from __future__ import annotations

import pytest
import time_machine

from xietong.actions.models import ActionItem
from xietong.core.errors import DomainError, Forbidden
from xietong.minutes import services
from xietong.records.models import Decision
from xietong.records.tests.helpers import DURING, held_meeting

GOOD = "一、停车位\n[提交停车位改造方案](负责人:周技术,截止日期:2026-03-20)\n[核算预算]（负责人：陈财务，截止日期：2026-03-27）\n"
BAD = GOOD + "[无人认领](负责人:张三,截止日期:2026-03-20)\n[日期错](负责人:周技术,截止日期:2026-02-30)\n"
# The parser accepts the meeting's own date; decision_create wants a deadline after it.
REFUSED = GOOD + "[当天完成](负责人:王市场,截止日期:2026-03-09)\n"


def _en(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def meeting(torg):
    return held_meeting(torg)


def _state():
    return (
        list(Decision.objects.order_by("id").values_list("id", "text")),
        list(ActionItem.objects.order_by("id").values_list("id", "title")),
    )


def _url(meeting):
    return f"/minutes/meeting/{meeting.pk}/paste/"


def test_check_lists_proposed_items_and_problem_lines(torg, meeting, login):
    client = _en(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        response = client.post(_url(meeting), {"text": BAD, "action": "check"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "提交停车位改造方案" in page and "周技术" in page and "2026-03-20" in page
    assert torg.departments["tech"].name in page and torg.departments["finance"].name in page
    assert 'data-line="4"' in page and 'data-line="5"' in page
    assert "Nobody is called “张三”." in page
    assert "is not a real date" in page
    assert 'value="confirm"' not in page  # nothing to confirm while lines are unreadable
    assert _state() == ([], [])


def test_confirm_creates_decisions_and_action_items(torg, meeting, login):
    client = _en(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        page = client.post(_url(meeting), {"text": GOOD, "action": "check"}).content.decode()
        assert 'value="confirm"' in page
        response = client.post(_url(meeting), {"text": GOOD, "action": "confirm"})
    assert response.status_code == 302
    decisions = list(Decision.objects.filter(meeting=meeting).select_related("department").order_by("id"))
    assert [(d.text, d.responsible_id, d.department, str(d.due_on)) for d in decisions] == [
        ("提交停车位改造方案", torg.tech_head.pk, torg.departments["tech"], "2026-03-20"),
        ("核算预算", torg.finance_head.pk, torg.departments["finance"], "2026-03-27"),
    ]
    items = list(ActionItem.objects.filter(meeting=meeting).order_by("id"))
    assert [(a.owner_id, str(a.due_on)) for a in items] == [
        (torg.tech_head.pk, "2026-03-20"),
        (torg.finance_head.pk, "2026-03-27"),
    ]


def test_confirm_with_a_refused_item_saves_nothing(torg, meeting, login):
    client = _en(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        response = client.post(_url(meeting), {"text": REFUSED, "action": "confirm"})
    assert response.status_code == 400
    assert "Line 4:" in response.content.decode()
    assert _state() == ([], [])


def test_confirm_with_unparsed_lines_saves_nothing(torg, meeting, login):
    client = _en(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        response = client.post(_url(meeting), {"text": BAD, "action": "confirm"})
    assert response.status_code == 400
    assert _state() == ([], [])


def test_empty_and_html_input(torg, meeting, login):
    client = _en(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        assert client.post(_url(meeting), {"text": "", "action": "check"}).status_code == 400
        text = "[<script>alert(1)</script>](负责人:周技术,截止日期:2026-03-20)"
        page = client.post(_url(meeting), {"text": text, "action": "check"}).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_get_shows_form_to_recorder_and_link_on_minutes_page(torg, meeting, login):
    client = _en(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        assert client.get(_url(meeting)).status_code == 200
        assert _url(meeting) in client.get(f"/minutes/meeting/{meeting.pk}/").content.decode()


@pytest.mark.parametrize("who", ["coordinator", "host", "chair", "tech_head", "tech_liaison", "outsider"])
def test_only_the_recorder(torg, meeting, login, who):
    client = login(getattr(torg, who))
    with time_machine.travel(DURING, tick=False):
        assert client.get(_url(meeting)).status_code == 403
        assert client.post(_url(meeting), {"text": GOOD, "action": "confirm"}).status_code == 403
    assert _state() == ([], [])


def test_service_refusals(torg, meeting):
    with pytest.raises(Forbidden):
        services.minutes_paste_import(meeting=meeting, text=GOOD, actor=torg.host, now=DURING)
    with pytest.raises(DomainError) as err:
        services.minutes_paste_import(meeting=meeting, text="只有正文", actor=torg.recorder, now=DURING)
    assert err.value.code == "no_items"
    with pytest.raises(DomainError) as err:
        services.minutes_paste_import(meeting=meeting, text=BAD, actor=torg.recorder, now=DURING)
    assert err.value.code == "unparsed_lines"
    with pytest.raises(DomainError) as err:
        services.minutes_paste_import(meeting=meeting, text=REFUSED, actor=torg.recorder, now=DURING)
    assert err.value.field == "text"
    assert _state() == ([], [])
    decisions = services.minutes_paste_import(meeting=meeting, text=GOOD, actor=torg.recorder, now=DURING)
    assert len(decisions) == 2 and ActionItem.objects.count() == 2
