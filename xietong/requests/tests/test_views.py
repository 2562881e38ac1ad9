"""The request pages: filing with field-level errors, buttons from the table, 403/404, the lists
with pinned query counts, and the row on 我的待办."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from xietong.requests import services
from xietong.requests.models import CollaborationRequest

from .conftest import MON, TUE, file

pytestmark = pytest.mark.django_db
RS = CollaborationRequest.Status


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(TUE, tick=False):
        yield


def form_data(torg, tech_support, **change):
    data = {
        "request_type": tech_support.pk,
        "to_department": torg.departments["tech"].pk,
        "title": "导出客户数据",
        "content": "请导出上季度客户名单",
        "support_needed": "",
        "expected_by": "2026-03-06",
    }
    data.update(change)
    return data


def test_filing_a_request_through_the_form(torg, tech_support, login):
    client = login(torg.market_liaison)
    assert client.get("/requests/new/").status_code == 200
    response = client.post("/requests/new/", form_data(torg, tech_support))
    request = CollaborationRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/requests/{request.pk}/"
    assert request.requester == torg.market_liaison and request.to_department == torg.departments["tech"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"expected_by": "2026-03-01"}, "expected_by", "期望完成日期早于今天。"),
        ({"to_department": "__market__"}, "to_department", "需求单应提交给其他部门，不能提交给本部门。"),
        ({"content": ""}, "content", "此项为必填项。"),
    ],
)
def test_bad_input_is_shown_beside_the_field_in_chinese_and_nothing_is_saved(
    torg, tech_support, login, change, field, message
):
    if change.get("to_department") == "__market__":
        change = {"to_department": torg.departments["market"].pk}
    response = login(torg.market_liaison).post("/requests/new/", form_data(torg, tech_support, **change))
    assert response.status_code == 400
    assert f'<p class="error" data-field="{field}">{message}</p>' in response.content.decode()
    assert not CollaborationRequest.objects.exists()


def test_the_detail_page_shows_the_buttons_the_table_allows(torg, tech_support, login):
    request = file(torg, tech_support)
    body = login(torg.tech_liaison).get(f"/requests/{request.pk}/").content.decode()
    assert 'data-action="accept"' in body and 'data-action="refuse"' in body
    assert 'data-action="withdraw"' not in body
    body = login(torg.market_liaison).get(f"/requests/{request.pk}/").content.decode()
    assert 'data-action="withdraw"' in body and 'data-action="accept"' not in body
    # A member of the requesting department sees the request, without buttons.
    body = login(torg.market_head).get(f"/requests/{request.pk}/").content.decode()
    assert 'id="actions"' not in body


def test_outsiders_get_404_and_members_acting_outside_their_role_403(torg, tech_support, login):
    request = file(torg, tech_support)
    assert login(torg.finance_liaison).get(f"/requests/{request.pk}/").status_code == 404
    post = {"accept-committed_by": "2026-03-06"}
    assert login(torg.finance_liaison).post(f"/requests/{request.pk}/accept/", post).status_code == 404
    assert login(torg.market_head).post(f"/requests/{request.pk}/accept/", post).status_code == 403
    request.refresh_from_db()
    assert request.status == RS.SUBMITTED


def test_accept_through_the_page_and_a_refusal_without_reason_is_refused(torg, tech_support, login):
    request = file(torg, tech_support)
    client = login(torg.tech_liaison)
    response = client.post(
        f"/requests/{request.pk}/refuse/", {"refuse-category": "no_resources", "refuse-reason": ""}
    )
    assert response.status_code == 400
    assert 'data-field="reason"' in response.content.decode()
    response = client.post(f"/requests/{request.pk}/accept/", {"accept-committed_by": "2026-03-06"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RS.ACCEPTED
    # The same step again: the state refuses it, shown on the page.
    response = client.post(
        f"/requests/{request.pk}/refuse/", {"refuse-category": "other", "refuse-reason": "重复"}
    )
    assert response.status_code == 400
    assert "已受理，办理中" in response.content.decode()


@pytest.mark.parametrize("box", ["outgoing", "incoming"])
def test_lists_pin_their_query_count(torg, tech_support, login, box, django_assert_num_queries):
    def load(n):
        for i in range(n):
            file(torg, tech_support, now=MON + timedelta(minutes=i), title=f"需求{i}")

    viewer = torg.market_liaison if box == "outgoing" else torg.tech_liaison
    client = login(viewer)
    load(2)
    client.get(f"/requests/?box={box}")  # warm the session and content types
    # session, user, roles, the page; the same however many rows
    with django_assert_num_queries(4) as few:
        body = client.get(f"/requests/?box={box}").content.decode()
    assert body.count("data-request=") == 2
    load(5)
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get(f"/requests/?box={box}").content.decode()
    assert body.count("data-request=") == 7


def test_lists_page_by_keyset(torg, tech_support, login):
    for i in range(3):
        file(torg, tech_support, now=MON + timedelta(minutes=i), title=f"需求{i}")
    newest = CollaborationRequest.objects.order_by("-id").first()
    body = login(torg.market_liaison).get(f"/requests/?box=outgoing&before={newest.pk}").content.decode()
    assert body.count("data-request=") == 2
    assert f'data-request="{newest.pk}"' not in body


def test_my_desk_lists_requests_awaiting_my_departments_answer(torg, tech_support, login):
    request = file(torg, tech_support)
    body = login(torg.tech_liaison).get("/").content.decode()
    assert 'id="requests-to-answer"' in body and f"/requests/{request.pk}/" in body
    assert 'id="requests-to-answer"' not in login(torg.finance_liaison).get("/").content.decode()
    services.request_accept(request=request, actor=torg.tech_head, now=TUE, committed_by=request.expected_by)
    assert 'id="requests-to-answer"' not in login(torg.tech_liaison).get("/").content.decode()


def test_handing_on_through_the_page_goes_back_to_the_inbox(torg, tech_support, login):
    request = file(torg, tech_support)
    client = login(torg.tech_liaison)
    bad = client.post(
        f"/requests/{request.pk}/reassign/", {"reassign-to_department": torg.departments["finance"].pk}
    )
    assert bad.status_code == 400 and 'data-field="reason"' in bad.content.decode()
    response = client.post(
        f"/requests/{request.pk}/reassign/",
        {"reassign-to_department": torg.departments["finance"].pk, "reassign-reason": "属于财务数据"},
    )
    assert response.status_code == 302 and response["Location"] == "/requests/?box=incoming"
    assert client.get(f"/requests/{request.pk}/").status_code == 404
    body = login(torg.finance_liaison).get(f"/requests/{request.pk}/").content.decode()
    assert 'data-event="request.reassigned"' in body and "已转其他部门办理" in body


def test_the_detail_page_shows_the_response_duty_with_its_clause(torg, tech_support, login):
    request = file(torg, tech_support)
    body = login(torg.tech_liaison).get(f"/requests/{request.pk}/").content.decode()
    assert 'data-duty="request_response" data-state="pending"' in body
    assert "响应跨部门协作需求单" in body and "四、2" in body and "2026-03-03 10:00" in body
