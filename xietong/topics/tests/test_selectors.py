"""Who sees which topic, the home-page queues, similar topics."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.topics import selectors, services
from xietong.topics.models import Topic

from .conftest import FRI, THU_SUBMIT_OK, WED, advance, make_topic

ALL = [
    "chair",
    "coordinator",
    "host",
    "recorder",
    "tech_head",
    "tech_liaison",
    "tech_deputy",
    "market_head",
    "market_liaison",
    "finance_head",
    "finance_liaison",
    "outsider",
]


def seers(torg, topic):
    return {
        name for name in ALL if selectors.visible_topics(getattr(torg, name)).filter(pk=topic.pk).exists()
    }


@pytest.mark.parametrize("status", ["draft", "in_review", "approved"])
def test_a_topic_before_submission_stays_in_its_department(torg, topic, status):
    if status != "draft":
        topic = advance(torg, topic, status)
    assert seers(torg, topic) == {"tech_head", "tech_liaison", "tech_deputy"}


def test_a_withdrawn_draft_stays_in_its_department(torg, topic):
    services.topic_withdraw(topic=topic, actor=torg.tech_liaison, now=WED)
    assert seers(torg, topic) == {"tech_head", "tech_liaison", "tech_deputy"}


@pytest.mark.parametrize("status", ["submitted", "triaged", "scheduled"])
def test_a_submitted_topic_is_seen_by_the_cycle_and_involved_departments(torg, topic, status):
    topic = advance(torg, topic, status)
    # involved: office (coordinator's department) and finance; market is not involved.
    assert seers(torg, topic) == {
        "chair",
        "coordinator",
        "host",
        "recorder",
        "tech_head",
        "tech_liaison",
        "tech_deputy",
        "finance_head",
        "finance_liaison",
    }


def test_plain_members_see_their_department_submitted_topics(torg):
    topic = make_topic(
        torg,
        actor=torg.market_liaison,
        department=torg.departments["market"],
        departments_involved=[torg.departments["finance"]],
    )
    assert "outsider" not in seers(torg, topic)
    services.topic_send_for_review(topic=topic, actor=torg.market_liaison, now=WED)
    services.topic_approve(topic=topic, actor=torg.market_head, now=WED)
    services.topic_submit(topic=topic, actor=torg.market_liaison, now=THU_SUBMIT_OK)
    assert "outsider" in seers(torg, topic)
    assert "tech_liaison" not in seers(torg, topic)


def test_returned_by_the_coordinator_is_a_draft_again(torg, topic):
    topic = advance(torg, topic, "submitted")
    services.topic_coordinator_return(topic=topic, actor=torg.coordinator, now=FRI, reason="补充")
    assert "coordinator" not in seers(torg, topic)
    assert "tech_liaison" in seers(torg, topic)


def test_anonymous_sees_nothing(torg, topic):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.visible_topics(AnonymousUser()).exists()


def test_topic_list_pages_by_key(torg):
    made = [make_topic(torg, title=f"议题{i}") for i in range(7)]
    page, nxt = selectors.topic_list(torg.tech_liaison, limit=3)
    assert [t.pk for t in page] == [t.pk for t in reversed(made)][:3]
    assert nxt == page[-1].pk
    page2, nxt2 = selectors.topic_list(torg.tech_liaison, limit=3, before_id=nxt)
    assert [t.pk for t in page2] == [t.pk for t in reversed(made)][3:6]
    page3, nxt3 = selectors.topic_list(torg.tech_liaison, limit=3, before_id=nxt2)
    assert len(page3) == 1 and nxt3 is None


def test_topic_list_filters(torg, topic):
    other = make_topic(torg, title="另一个议题")
    advance(torg, other, "in_review")
    assert [t.pk for t in selectors.topic_list(torg.tech_liaison, status="in_review")[0]] == [other.pk]
    assert selectors.topic_list(torg.tech_liaison, department_id=torg.departments["market"].pk)[0] == []
    assert len(selectors.topic_list(torg.tech_liaison, meeting_id=topic.meeting_id)[0]) == 2


# ---- queues ----------------------------------------------------------------------------------


def queue(torg, person, key, now=FRI):
    found = {q["key"]: q for q in selectors.topic_queues_for(person, now=now)}
    return found.get(key)


def test_queues_per_role(torg, topic):
    assert [t.pk for t in queue(torg, torg.tech_liaison, "drafts")["topics"]] == [topic.pk]
    assert queue(torg, torg.tech_head, "review")["topics"] == []
    assert queue(torg, torg.outsider, "drafts") is None
    assert selectors.topic_queues_for(torg.outsider, now=FRI) == []
    topic = advance(torg, topic, "in_review")
    assert [t.pk for t in queue(torg, torg.tech_head, "review")["topics"]] == [topic.pk]
    assert queue(torg, torg.market_head, "review")["topics"] == []
    topic = advance(torg, topic, "approved")
    assert [t.pk for t in queue(torg, torg.tech_liaison, "to_submit")["topics"]] == [topic.pk]
    topic = advance(torg, topic, "submitted")
    q = queue(torg, torg.coordinator, "triage")
    assert [t.pk for t in q["topics"]] == [topic.pk]
    assert q["url"] == "/topics/?status=submitted"
    assert str(q["label"])


def test_queues_include_returned_topics(torg, topic):
    topic = advance(torg, topic, "in_review")
    services.topic_return(topic=topic, actor=torg.tech_head, now=FRI, comment="补充")
    assert [t.head_comment for t in queue(torg, torg.tech_liaison, "drafts")["topics"]] == ["补充"]


def _queue_queries(person):
    with CaptureQueriesContext(connection) as ctx:
        queues = selectors.topic_queues_for(person, now=FRI)
        for q in queues:
            for t in q["topics"]:
                assert t.department.name and t.author.full_name and t.meeting.starts_at
    return len(ctx.captured_queries)


def test_queues_run_in_a_constant_number_of_queries(torg):
    make_topic(torg)
    torg.coordinator.__dict__.pop("_roles_cache", None)
    few = _queue_queries(torg.coordinator)
    torg.tech_liaison.__dict__.pop("_roles_cache", None)
    few_liaison = _queue_queries(torg.tech_liaison)
    for i in range(20):
        made = make_topic(torg, title=f"议题{i}")
        if i % 2:
            advance(torg, made, "submitted")
    torg.coordinator.__dict__.pop("_roles_cache", None)
    torg.tech_liaison.__dict__.pop("_roles_cache", None)
    assert _queue_queries(torg.coordinator) == few
    assert _queue_queries(torg.tech_liaison) == few_liaison
    assert few_liaison <= 5  # roles (2) + drafts + to-submit
    assert len(queue(torg, torg.tech_liaison, "drafts")["topics"]) == 10


# ---- similar topics ----------------------------------------------------------------------------


def test_similar_topics_rank_near_duplicates_first(torg):
    budget = make_topic(
        torg,
        title="年度预算编制口径统一",
        background="各部门预算编制口径不一致，财务汇总困难。",
        collaboration_need="财务部牵头制定统一模板。",
    )
    parking = make_topic(torg)  # 新办公楼停车位不足…
    canteen = make_topic(
        torg,
        title="食堂午餐排队时间过长",
        background="午餐高峰期食堂窗口不足。",
        collaboration_need="后勤增加窗口。",
    )
    found = selectors.similar_topics("办公楼停车位不足\n员工停车难", viewer=torg.tech_liaison)
    assert found[0].pk == parking.pk
    assert budget.pk not in [t.pk for t in found]
    assert canteen.pk not in [t.pk for t in found]
    assert 0 < found[0].similarity <= 1


def test_similar_topics_on_a_topic_page_look_only_at_earlier_topics(torg):
    first = make_topic(torg)
    second = make_topic(torg, title="办公楼停车位仍然不足")
    found = selectors.similar_topics(
        None, exclude_id=second.pk, tokens=second.tokens, viewer=torg.tech_liaison
    )
    assert [t.pk for t in found] == [first.pk]
    assert selectors.similar_topics(None, exclude_id=first.pk, tokens=first.tokens) == []


def test_similar_topics_respect_visibility(torg, topic):
    # a tech draft is not shown to the market liaison
    assert selectors.similar_topics("新办公楼停车位不足", viewer=torg.market_liaison) == []
    assert [t.pk for t in selectors.similar_topics("新办公楼停车位不足", viewer=torg.tech_head)] == [topic.pk]


def test_similar_topics_of_empty_text(torg, topic):
    assert selectors.similar_topics("") == []
    assert selectors.similar_topics("的 了 和") == []


def test_similar_topics_use_two_queries(torg, django_assert_num_queries):
    for i in range(5):
        make_topic(torg, title=f"停车位问题{i}")
    with django_assert_num_queries(2):
        found = selectors.similar_topics("停车位不足")
    assert len(found) == 5
    assert Topic.objects.count() == 5
