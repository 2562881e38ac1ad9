"""Who may open each kind of object and who may act on it, under both regulations.

For every object type: an outsider asking for its page gets 404 (they learn nothing about it),
a member who may read it but not take a step gets 403 when they try, and the person the step
belongs to gets the page.
"""

from __future__ import annotations

import pytest
from django.http import Http404

from xietong.actions.models import ActionItem
from xietong.core.errors import Forbidden
from xietong.desk.testing import build_test_org
from xietong.meetings.tests.factories import confirmed_meeting, make_topic
from xietong.notify.models import DepartmentRobot
from xietong.notify.selectors import get_robot_for_user
from xietong.obligations.models import Obligation
from xietong.obligations.selectors import get_obligation_for_user
from xietong.records.tests.helpers import decide

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def org(request, db):
    return build_test_org(preset=request.param)


@pytest.fixture
def meeting(org):
    return confirmed_meeting(org, topics=1)


def _status(login, person, url, *, post=False):
    client = login(person)
    return (client.post(url, {}) if post else client.get(url)).status_code


def test_meeting(org, meeting, login):
    url = f"/meetings/{meeting.pk}/"
    assert _status(login, org.outsider, url) == 404
    assert _status(login, org.tech_head, f"{url}cancel/", post=True) == 403
    assert _status(login, org.coordinator, url) == 200


def test_topic(org, meeting, login):
    topic = make_topic(org, meeting, title="只在技术部", involved=())
    url = f"/topics/{topic.pk}/"
    assert _status(login, org.outsider, url) == 404
    assert _status(login, org.host, f"{url}edit/") == 403
    assert _status(login, org.host, f"{url}send-review/", post=True) == 403
    assert _status(login, org.tech_liaison, url) == 200


def test_agenda(org, meeting, login):
    item = meeting.agenda.items.first()
    assert _status(login, org.outsider, f"/meetings/{meeting.pk}/") == 404
    assert _status(login, org.tech_head, f"/agenda/meeting/{meeting.pk}/") == 403
    assert _status(login, org.tech_head, f"/agenda/item/{item.pk}/move/", post=True) == 403
    assert _status(login, org.coordinator, f"/agenda/meeting/{meeting.pk}/") == 200


def test_meeting_record(org, meeting, login):
    url = f"/records/meeting/{meeting.pk}/"
    assert _status(login, org.outsider, url) == 404
    assert _status(login, org.chair, url) == 200  # the leadership group reads the record
    assert _status(login, org.chair, f"{url}close/", post=True) == 403
    assert _status(login, org.recorder, url) == 200


def test_action_item(org, meeting, login):
    item = ActionItem.objects.get(decision=decide(org, meeting))
    url = f"/actions/{item.pk}/"
    assert _status(login, org.outsider, url) == 404
    assert _status(login, org.chair, url) == 200  # the leadership group follows every item
    assert _status(login, org.chair, f"{url}complete/", post=True) == 403
    assert _status(login, org.tech_head, url) == 200


def test_minutes(org, meeting, login):
    url = f"/minutes/meeting/{meeting.pk}/"
    assert _status(login, org.outsider, url) == 404
    assert _status(login, org.chair, url) == 200
    assert _status(login, org.chair, f"{url}draft/", post=True) == 403
    assert _status(login, org.recorder, url) == 200


def test_live_room(org, meeting, login):
    assert _status(login, org.outsider, f"/live/{meeting.pk}/speaking/") == 404
    assert _status(login, org.tech_head, f"/live/{meeting.pk}/desk/") == 403
    assert _status(login, org.recorder, f"/live/{meeting.pk}/desk/") == 200


def test_obligation(org, meeting, login):
    duty = Obligation.objects.filter(responsible=org.coordinator).first()
    assert duty is not None
    with pytest.raises(Http404):
        get_obligation_for_user(org.outsider, duty.pk)
    assert get_obligation_for_user(org.chair, duty.pk) == duty  # escalations reach the leadership
    assert _status(login, org.chair, f"/obligations/{duty.pk}/waive/") == 403
    assert _status(login, org.coordinator, f"/obligations/{duty.pk}/waive/") == 200


def test_group_robot(org, login):
    robot = DepartmentRobot.objects.create(
        department=org.departments["tech"],
        kind="wecom",
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
        secret="",
        updated_at=org.series.policy.versions.first().created_at,
    )
    with pytest.raises(Forbidden):
        get_robot_for_user(org.market_head, robot.pk)
    assert _status(login, org.outsider, f"/notify/robots/remove/{robot.pk}/", post=True) == 403
    assert _status(login, org.tech_head, f"/notify/robots/remove/{robot.pk}/", post=True) == 302
    assert not DepartmentRobot.objects.filter(pk=robot.pk).exists()
