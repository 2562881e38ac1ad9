"""What the topic page says: each action's own success message (never a generic "done"), and the
coordinator's two reason boxes each labelled with what they are for."""

import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from .conftest import FRI, THU_EARLY, WED, advance

# (action, status before, who acts, form data, the message in Chinese)
ACTIONS = [
    ("send_review", "draft", "tech_liaison", {}, "已提交科室负责人审核。"),
    ("approve", "in_review", "tech_head", {"approve-comment": ""}, "已审核通过。"),
    ("return", "in_review", "tech_head", {"return-comment": "补充预算"}, "已退回联络员。"),
    ("coordinator_return", "submitted", "coordinator", {"creturn-reason": "材料不全"}, "已退回科室。"),
    ("reject", "submitted", "coordinator", {"reject-reason": "不属于跨科室事项"}, "已驳回。"),
]


@pytest.mark.parametrize(("action", "status", "person", "data", "said"), ACTIONS)
def test_each_action_says_what_it_did(torg, login, topic, action, status, person, data, said):
    if status != "draft":
        advance(torg, topic, status)
    when = {"draft": WED, "in_review": THU_EARLY}.get(status, FRI)
    with time_machine.travel(when, tick=False):
        response = login(getattr(torg, person)).post(reverse(f"topics:{action}", args=[topic.pk]), data)
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [said]
    assert "操作成功。" not in shown


def test_the_triage_panel_labels_its_two_reason_boxes(torg, login, topic):
    advance(torg, topic, "submitted")
    with time_machine.travel(FRI, tick=False):
        html = login(torg.coordinator).get(reverse("topics:detail", args=[topic.pk])).content.decode()
    labels = {
        name: re.search(rf'<label for="id_{name}-reason">([^<]*)', html).group(1).strip()
        for name in ("creturn", "reject")
    }
    assert labels == {"creturn": "退回科室的原因", "reject": "驳回的原因"}
