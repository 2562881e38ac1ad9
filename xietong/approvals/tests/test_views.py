"""The approval pages: filing with field-level errors, buttons from the table, 403/404, lists."""

from __future__ import annotations

import pytest
import time_machine

from xietong.approvals import services
from xietong.approvals.bundled import bundled_template
from xietong.approvals.models import Approval

from .conftest import MON, TUE, file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(TUE, tick=False):
        yield


def en(client):
    client.cookies["django_language"] = "en"
    return client


def test_filing_an_approval_through_the_form(torg, purchase, login):
    client = login(torg.tech_liaison)
    page = client.get(f"/approvals/templates/{purchase.pk}/apply/")
    assert page.status_code == 200
    response = client.post(
        f"/approvals/templates/{purchase.pk}/apply/",
        {"title": "采购示波器", "amount": "80000", "purpose": "测试"},
    )
    approval = Approval.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/approvals/{approval.pk}/"
    assert [s["key"] for s in approval.route] == ["head", "finance", "ceo"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-5", "金额不能为负数。"), ("一万", "金额必须是以元为单位的数字。"), ("", "请填写金额（元）。")],
)
def test_a_bad_amount_is_shown_beside_the_field_in_chinese_and_nothing_is_saved(
    torg, purchase, login, amount, message
):
    client = login(torg.tech_liaison)
    response = client.post(
        f"/approvals/templates/{purchase.pk}/apply/", {"title": "采购", "amount": amount, "purpose": "测试"}
    )
    assert response.status_code == 400
    assert f'<p class="error" data-field="amount">{message}</p>' in response.content.decode()
    assert not Approval.objects.exists()


def test_the_detail_page_shows_the_buttons_the_table_allows(torg, purchase, login):
    approval = file(torg, purchase, 80_000)
    body = en(login(torg.tech_head)).get(f"/approvals/{approval.pk}/").content.decode()
    for action in ("approve", "return", "reject", "transfer"):
        assert f'data-action="{action}"' in body
    assert 'data-action="withdraw"' not in body
    body = en(login(torg.tech_liaison)).get(f"/approvals/{approval.pk}/").content.decode()
    assert 'data-action="withdraw"' in body and 'data-action="approve"' not in body


def test_outsiders_get_404_and_a_viewer_off_the_step_403(torg, purchase, login):
    approval = file(torg, purchase, 80_000)
    assert login(torg.outsider).get(f"/approvals/{approval.pk}/").status_code == 404
    assert login(torg.outsider).post(f"/approvals/{approval.pk}/approve/", {}).status_code == 404
    # The coordinator may read every approval but is not on its route.
    response = login(torg.coordinator).post(f"/approvals/{approval.pk}/approve/", {})
    assert response.status_code == 403
    assert Approval.objects.get().tasks.get().state == "pending"


def test_approving_and_rejecting_through_the_page(torg, purchase, login):
    approval = file(torg, purchase, 80_000)
    client = login(torg.tech_head)
    response = client.post(f"/approvals/{approval.pk}/reject/", {"reject-comment": ""})
    assert response.status_code == 400
    assert 'data-field="comment"' in response.content.decode()
    assert client.post(f"/approvals/{approval.pk}/approve/", {"approve-comment": "同意"}).status_code == 302
    assert Approval.objects.get().current_step_name == "财务部审核"
    # A second decision by the same approver: told on the page, nothing changes.
    response = client.post(f"/approvals/{approval.pk}/approve/", {"comment": ""})
    assert response.status_code in (400, 403)


def test_the_print_view_has_every_signature_with_its_time(torg, purchase, login):
    approval = file(torg, purchase, 80_000)
    services.approval_approve(approval=approval, actor=torg.tech_head, now=MON, comment="同意")
    body = login(torg.tech_liaison).get(f"/approvals/{approval.pk}/print/").content.decode()
    assert "部门负责人审批" in body and "周技术" in body and "2026-03-02 10:00" in body


def test_mine_lists_the_current_step_and_its_holder(torg, purchase, login, django_assert_num_queries):
    for _ in range(3):
        file(torg, purchase, 80_000)
    client = login(torg.tech_liaison)
    client.get("/approvals/mine/")  # warm the session and the navigation's caches
    with django_assert_num_queries(5):
        body = client.get("/approvals/mine/").content.decode()
    assert body.count("部门负责人审批") == 3 and body.count("周技术") == 3


def test_todo_lists_the_approvers_pending_steps(torg, purchase, login, django_assert_num_queries):
    for _ in range(3):
        file(torg, purchase, 80_000)
    client = login(torg.tech_head)
    client.get("/approvals/")
    with django_assert_num_queries(4):
        body = client.get("/approvals/").content.decode()
    assert body.count('data-approval="') == 3


def test_the_template_editor_shows_problems_on_the_field(torg, activity, purchase, login):
    client = en(login(torg.coordinator))
    response = client.post(
        f"/approvals/templates/{purchase.pk}/",
        {"text": '[[fields]]\nname = "amount"\ntype = "amount"\n', "reason": "x"},
    )
    assert response.status_code == 400
    assert "The route is empty" in response.content.decode()
    assert purchase.versions.count() == 1
    response = client.post(
        f"/approvals/templates/{purchase.pk}/",
        {
            "text": bundled_template("equipment-purchase").replace("transfer = true", "transfer = false"),
            "reason": "x",
        },
    )
    assert response.status_code == 302 and purchase.versions.count() == 2
    assert (
        login(torg.tech_head)
        .post(f"/approvals/templates/{purchase.pk}/", {"text": "", "reason": ""})
        .status_code
        == 403
    )


def test_the_regulation_page_shows_seed03s_blank_and_filled_amounts(torg, login):
    from xietong.policy.services import policy_install_preset

    policy_install_preset(name="seed03-activity", now=MON)
    body = login(torg.coordinator).get("/policy/?key=activity-cooperation").content.decode()
    assert "财务部参与审批的金额起点" in body
    assert "四、(一)" in body


def test_my_todo_has_rows_to_approve_and_returned_to_me(torg, purchase, login):
    approval = file(torg, purchase, 80_000)
    body = login(torg.tech_head).get("/").content.decode()
    assert 'id="to-approve"' in body and f'href="/approvals/{approval.pk}/"' in body
    assert 'id="returned-approvals"' not in login(torg.tech_liaison).get("/").content.decode()
    services.approval_return(approval=approval, actor=torg.tech_head, now=TUE, comment="补充报价")
    body = login(torg.tech_liaison).get("/").content.decode()
    assert 'id="returned-approvals"' in body and "测试设备采购" in body
    assert 'id="to-approve"' not in login(torg.tech_head).get("/").content.decode()


def test_resubmitting_and_transferring_through_the_pages(torg, purchase, login):
    approval = file(torg, purchase, 80_000)
    client = login(torg.tech_head)
    response = client.post(f"/approvals/{approval.pk}/transfer/", {"transfer-to": torg.tech_deputy.pk})
    assert response.status_code == 302
    assert list(Approval.objects.get().tasks.values_list("state", flat=True)) == ["transferred", "pending"]
    client = login(torg.tech_deputy)
    assert client.post(f"/approvals/{approval.pk}/return/", {"return-comment": "金额有误"}).status_code == 302
    client = login(torg.tech_liaison)
    assert client.get(f"/approvals/{approval.pk}/resubmit/").status_code == 200
    response = client.post(
        f"/approvals/{approval.pk}/resubmit/", {"title": "测试设备采购", "amount": "8000", "purpose": "测试"}
    )
    assert response.status_code == 302
    approval = Approval.objects.get()
    assert (approval.status, approval.round, [s["key"] for s in approval.route]) == ("pending", 2, ["head"])
    body = client.get(f"/approvals/{approval.pk}/").content.decode()
    assert body.count('data-event="') == 4  # submitted, transferred, returned, resubmitted
