"""The topic pages: list, draft, edit, detail, the action buttons, the similar-topics fragment."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xietong.core.models import Event
from xietong.obligations.models import Obligation
from xietong.topics import services
from xietong.topics.models import Topic

from .conftest import FRI, THU_EARLY, THU_SUBMIT_LATE, THU_SUBMIT_OK, WED, advance, make_topic, sh

S = Topic.Status


@pytest.fixture
def en(login):
    """login(person) with the English UI, so texts can be asserted without the .po file."""

    def _login(person):
        client = login(person)
        client.cookies["django_language"] = "en"
        return client

    return _login


def form_data(torg, **overrides):
    data = {
        "department": torg.departments["tech"].pk,
        "series": torg.series.pk,
        "title": "新办公楼停车位不足",
        "background": "员工停车位严重不足。",
        "collaboration_need": "办公室协调物业。",
        "departments_involved": [torg.departments["office"].pk],
        "expected_outcome": "两周内解决。",
        "initial_solution": "租用周边停车场。",
        "w_what": "停车难",
    }
    data.update(overrides)
    return data


# ---- list ----------------------------------------------------------------------------------------


def test_list_shows_visible_topics_only(torg, en, topic):
    with time_machine.travel(WED, tick=False):
        page = en(torg.tech_liaison).get(reverse("topics:list"))
        assert page.status_code == 200
        assert topic.title in page.content.decode()
        assert topic.title not in en(torg.market_liaison).get(reverse("topics:list")).content.decode()


def test_list_filters_by_status_department_and_meeting(torg, en, topic):
    other = advance(torg, make_topic(torg, title="食堂排队问题"), "in_review")
    client = en(torg.tech_head)
    with time_machine.travel(WED, tick=False):
        html = client.get(reverse("topics:list"), {"status": "in_review"}).content.decode()
        assert other.title in html and topic.title not in html
        html = client.get(
            reverse("topics:list"), {"department": torg.departments["market"].pk}
        ).content.decode()
        assert other.title not in html and topic.title not in html
        html = client.get(reverse("topics:list"), {"meeting": topic.meeting_id}).content.decode()
        assert other.title in html and topic.title in html
        # nonsense filters are ignored, not an error
        assert (
            client.get(reverse("topics:list"), {"status": "x", "meeting": "abc", "before": "z"}).status_code
            == 200
        )


def test_list_pages_by_key(torg, en):
    for i in range(53):
        make_topic(torg, title=f"议题编号{i:02d}")
    client = en(torg.tech_liaison)
    with time_machine.travel(WED, tick=False):
        first = client.get(reverse("topics:list"))
        html = first.content.decode()
        assert "议题编号52" in html and "议题编号03" in html and "议题编号02" not in html
        import re

        (nxt,) = re.findall(r'href="(\?before=\d+)"', html)
        second = client.get(reverse("topics:list") + nxt).content.decode()
        assert "议题编号02" in second and "议题编号00" in second and "议题编号03" not in second


def _list_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("topics:list")).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(torg, en, django_assert_max_num_queries):
    client = en(torg.coordinator)
    for i in range(3):
        advance(torg, make_topic(torg, title=f"议题{i}"), "submitted")
    with time_machine.travel(FRI, tick=False):
        few = _list_queries(client)
        for i in range(30):
            advance(torg, make_topic(torg, title=f"更多议题{i}"), "triaged")
        assert _list_queries(client) == few
        with django_assert_max_num_queries(8):
            client.get(reverse("topics:list"))


# ---- create / edit ---------------------------------------------------------------------------------


def test_create_page_shows_target_meeting_and_cutoffs_with_clauses(torg, en):
    with time_machine.travel(WED, tick=False):
        page = en(torg.tech_liaison).get(reverse("topics:create"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026-03-09 09:00" in html
    assert "2026-03-05 15:00" in html and "第五条(二)4" in html
    assert "2026-03-05 12:00" in html and "第五条(三)2" in html
    assert "第六条1" in html
    assert 'hx-post="/topics/similar/"' in html
    # nothing was scheduled by looking at the form
    from xietong.meetings.models import Meeting

    assert not Meeting.objects.exists()


def test_create_page_does_not_offer_the_own_department_as_involved(torg, en):
    with time_machine.travel(WED, tick=False):
        html = en(torg.tech_liaison).get(reverse("topics:create")).content.decode()
    involved = html.split('id="id_departments_involved"')[1].split("</div>\n</div>")[0]
    assert "市场部" in involved and "财务部" in involved and "技术部" not in involved


def test_create_page_warns_when_the_cutoff_has_passed(torg, en):
    with time_machine.travel(THU_SUBMIT_LATE, tick=False):
        html = en(torg.tech_liaison).get(reverse("topics:create")).content.decode()
    assert "recorded as late" in html


def test_create_page_after_the_agenda_cutoff_shows_the_following_meeting(torg, en):
    with time_machine.travel(FRI, tick=False):
        html = en(torg.tech_liaison).get(reverse("topics:create")).content.decode()
    assert "2026-03-16 09:00" in html
    assert "recorded as late" not in html


@pytest.mark.parametrize("persona", ["tech_head", "coordinator", "outsider", "host"])
def test_create_page_forbidden_outside_liaison_role(torg, en, persona):
    client = en(getattr(torg, persona))
    assert client.get(reverse("topics:create")).status_code == 403
    assert client.post(reverse("topics:create"), form_data(torg)).status_code == 403
    assert not Topic.objects.exists()


def test_create_posts_a_draft(torg, en):
    with time_machine.travel(WED, tick=False):
        response = en(torg.tech_liaison).post(reverse("topics:create"), form_data(torg))
    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("topics:detail", args=[topic.pk])
    assert topic.status == S.DRAFT
    assert topic.w_what == "停车难"
    assert topic.meeting.starts_at == sh(2026, 3, 9, 9, 0)


def test_create_a_liaison_may_not_post_for_another_department(torg, en):
    with time_machine.travel(WED, tick=False):
        response = en(torg.tech_liaison).post(
            reverse("topics:create"), form_data(torg, department=torg.departments["market"].pk)
        )
    assert response.status_code == 200
    assert 'data-field="department"' in response.content.decode()
    assert not Topic.objects.exists()


def test_create_shows_field_level_errors_and_saves_nothing(torg, en):
    data = form_data(torg, title="", departments_involved=[], expected_outcome="x" * 2001)
    with time_machine.travel(WED, tick=False):
        response = en(torg.tech_liaison).post(reverse("topics:create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("title", "departments_involved", "expected_outcome"):
        assert f'data-field="{field}"' in html
    assert html.count('class="error"') == 3
    assert 'data-field="title"' in html
    assert "Name at least one department this topic involves." in html
    assert not Topic.objects.exists()


def test_edit_a_draft(torg, en, topic):
    client = en(torg.tech_liaison)
    with time_machine.travel(WED, tick=False):
        assert client.get(reverse("topics:edit", args=[topic.pk])).status_code == 200
        response = client.post(
            reverse("topics:edit", args=[topic.pk]),
            form_data(torg, title="改过的标题", edit_version=topic.edit_version),
        )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.title == "改过的标题"
    assert topic.edit_version == 2


def test_edit_refused(torg, en, topic):
    with time_machine.travel(WED, tick=False):
        assert en(torg.tech_head).get(reverse("topics:edit", args=[topic.pk])).status_code == 403
        assert (
            en(torg.tech_head).post(reverse("topics:edit", args=[topic.pk]), form_data(torg)).status_code
            == 403
        )
        assert en(torg.market_liaison).get(reverse("topics:edit", args=[topic.pk])).status_code == 404
        advance(torg, topic, "in_review")
        response = en(torg.tech_liaison).post(
            reverse("topics:edit", args=[topic.pk]), form_data(torg, title="x")
        )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.title != "x"


def _hidden_version(html: str) -> int:
    return int(re.search(r'name="edit_version" value="(\d+)"', html).group(1))


def test_a_stale_edit_is_refused_with_409_and_keeps_both_texts(torg, en, topic):
    """Two tabs open the draft; the first saves; the second's save is refused, nothing written."""
    url = reverse("topics:edit", args=[topic.pk])
    first, second = en(torg.tech_liaison), en(torg.tech_liaison)
    with time_machine.travel(WED, tick=False):
        opened = _hidden_version(second.get(url).content.decode())
        assert opened == topic.edit_version == 1
        saved = first.post(url, form_data(torg, title="第一位编辑的标题", edit_version=1))
        assert saved.status_code == 302
        response = second.post(url, form_data(torg, background="第二位编辑的背景。", edit_version=opened))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this since you opened it, so nothing was saved." in html
    # Both texts: this editor's own in the form, the title saved in the meantime beside it.
    assert "第二位编辑的背景。</textarea>" in html
    assert 'value="新办公楼停车位不足"' in html
    assert 'data-stale="1"' in html and "第一位编辑的标题" in html
    topic.refresh_from_db()
    assert (topic.title, topic.background, topic.edit_version) == (
        "第一位编辑的标题",
        "员工停车位严重不足。",
        2,
    )
    assert Event.objects.filter(name="topic.updated", subject_id=topic.pk).count() == 1
    # The page carries the current version: saving the merged text again is accepted.
    assert _hidden_version(html) == 2
    with time_machine.travel(WED, tick=False):
        merged = second.post(
            url, form_data(torg, title="第一位编辑的标题", background="第二位编辑的背景。", edit_version=2)
        )
    assert merged.status_code == 302
    topic.refresh_from_db()
    assert (topic.title, topic.background, topic.edit_version) == (
        "第一位编辑的标题",
        "第二位编辑的背景。",
        3,
    )


def test_an_edit_without_its_version_is_not_saved(torg, en, topic):
    with time_machine.travel(WED, tick=False):
        response = en(torg.tech_liaison).post(
            reverse("topics:edit", args=[topic.pk]), form_data(torg, title="x")
        )
    assert response.status_code == 200  # the form again, as for any invalid form
    topic.refresh_from_db()
    assert (topic.title, topic.edit_version) == ("新办公楼停车位不足，需行政与保卫协调", 1)


# ---- detail ------------------------------------------------------------------------------------


def test_detail_shows_the_topic_its_duties_and_actions(torg, en, topic):
    with time_machine.travel(WED, tick=False):
        page = en(torg.tech_liaison).get(reverse("topics:detail", args=[topic.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (topic.background, topic.collaboration_need, topic.expected_outcome, topic.initial_solution):
        assert text in html
    assert "财务部" in html and "办公室" in html
    assert "第五条(二)4" in html and "2026-03-05 15:00" in html
    assert reverse("topics:send_review", args=[topic.pk]) in html
    assert reverse("topics:edit", args=[topic.pk]) in html
    assert reverse("topics:approve", args=[topic.pk]) not in html
    assert reverse("topics:withdraw", args=[topic.pk]) in html
    assert reverse("topics:submit", args=[topic.pk]) not in html


def test_detail_is_404_for_those_who_may_not_see_it(torg, en, topic):
    for persona in ("market_liaison", "outsider", "coordinator", "chair"):
        assert en(getattr(torg, persona)).get(reverse("topics:detail", args=[topic.pk])).status_code == 404


def test_detail_shows_late_steps_from_the_ledger(torg, en, topic):
    topic = advance(torg, topic, "approved")
    services.topic_submit(topic=topic, actor=torg.tech_liaison, now=THU_SUBMIT_LATE)
    with time_machine.travel(FRI, tick=False):
        html = en(torg.tech_liaison).get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert "late — 第五条(二)4 (due 2026-03-05 15:00)" in html


def test_detail_shows_the_deferral_reason_to_the_submitter(torg, en, topic):
    from xietong.meetings.services import series_meeting_after

    topic = advance(torg, topic, "triaged")
    nxt = series_meeting_after(meeting=topic.meeting, now=FRI)
    services.topic_defer(topic=topic, to_meeting=nxt, reason="本周议程已满", actor=torg.coordinator, now=FRI)
    with time_machine.travel(FRI, tick=False):
        html = en(torg.tech_liaison).get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert "本周议程已满" in html
    assert "Deferred to a later meeting" in html
    assert "2026-03-16 09:00" in html


def test_detail_shows_similar_earlier_topics(torg, en):
    first = make_topic(torg)
    advance(torg, first, "submitted")
    second = make_topic(torg, title="办公楼停车位依然不足", now=FRI)
    with time_machine.travel(FRI, tick=False):
        page = en(torg.tech_liaison).get(reverse("topics:detail", args=[second.pk]))
    html = page.content.decode()
    assert html.count("data-topic=") == 1
    assert f'data-topic="{first.pk}"' in html


def test_xss_in_a_title_is_escaped(torg, en):
    evil = '<script>alert("x")</script>'
    topic = make_topic(torg, title=evil + "停车位", background="<img src=x onerror=alert(1)>停车")
    client = en(torg.tech_liaison)
    with time_machine.travel(WED, tick=False):
        pages = [
            client.get(reverse("topics:list")),
            client.get(reverse("topics:detail", args=[topic.pk])),
            client.post(reverse("topics:similar"), {"title": "停车位", "background": ""}),
        ]
    for page in pages:
        html = page.content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;" in html


# ---- actions over HTTP ----------------------------------------------------------------------------


def test_actions_walk_the_whole_cycle(torg, en, topic):
    def post(person, name, data=None, at=WED):
        with time_machine.travel(at, tick=False):
            return en(person).post(reverse(f"topics:{name}", args=[topic.pk]), data or {})

    assert post(torg.tech_liaison, "send_review").status_code == 302
    assert post(torg.tech_head, "approve", {"approve-comment": "同意"}, at=THU_EARLY).status_code == 302
    response = post(torg.tech_liaison, "submit", at=THU_SUBMIT_LATE)
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.status, topic.head_comment) == (S.SUBMITTED, "同意")
    with time_machine.travel(FRI, tick=False):
        html = en(torg.tech_liaison).get(response["Location"]).content.decode()
    assert "Recorded as late — 第五条(二)4" in html
    response = post(
        torg.coordinator,
        "triage",
        {"triage-category": "resource", "triage-priority": "1", "triage-budget_minutes": "20"},
        at=FRI,
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.status, topic.category, topic.priority, topic.budget_minutes) == (
        S.TRIAGED,
        "resource",
        1,
        20,
    )
    assert post(torg.tech_liaison, "withdraw", {"withdraw-reason": "已解决"}, at=FRI).status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.WITHDRAWN


def test_triage_form_defaults_the_budget_and_checks_the_cap(torg, en, topic):
    advance(torg, topic, "submitted")
    client = en(torg.coordinator)
    with time_machine.travel(FRI, tick=False):
        page = client.get(reverse("topics:detail", args=[topic.pk]))
        assert 'name="triage-budget_minutes" value="15"' in page.content.decode()
        response = client.post(
            reverse("topics:triage", args=[topic.pk]),
            {"triage-category": "", "triage-priority": "1", "triage-budget_minutes": "500"},
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="category"' in html and 'data-field="budget_minutes"' in html
    assert 'data-field="priority"' not in html
    topic.refresh_from_db()
    assert topic.status == S.SUBMITTED


@pytest.mark.parametrize(
    ("name", "status", "person", "field"),
    [
        ("return", "in_review", "tech_head", "return-comment"),
        ("coordinator_return", "submitted", "coordinator", "creturn-reason"),
        ("reject", "submitted", "coordinator", "reject-reason"),
    ],
)
def test_a_reason_is_required(torg, en, topic, name, status, person, field):
    advance(torg, topic, status)
    with time_machine.travel(FRI, tick=False):
        response = en(getattr(torg, person)).post(reverse(f"topics:{name}", args=[topic.pk]), {field: "  "})
        assert response.status_code == 400
        assert f'data-field="{field.split("-")[1]}"' in response.content.decode()
        topic.refresh_from_db()
        assert topic.status == status
        response = en(getattr(torg, person)).post(reverse(f"topics:{name}", args=[topic.pk]), {field: "理由"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == ("rejected" if name == "reject" else "draft")


def test_wrong_state_is_a_message_not_a_change(torg, en, topic):
    with time_machine.travel(WED, tick=False):
        client = en(torg.tech_liaison)
        response = client.post(reverse("topics:submit", args=[topic.pk]), HTTP_REFERER="/topics/")
        assert response.status_code == 302
        page = client.get("/topics/")
    assert "This step is not possible" in page.content.decode()
    topic.refresh_from_db()
    assert topic.status == S.DRAFT


def test_a_submission_outside_the_topic_window_shows_why(torg, en, topic):
    topic = advance(torg, topic, "approved")
    with time_machine.travel(FRI, tick=False):
        client = en(torg.tech_liaison)
        response = client.post(reverse("topics:submit", args=[topic.pk]), HTTP_REFERER="/topics/")
        assert response.status_code == 302
        page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert "The topic window for this meeting closed at 2026-03-05 17:00 (第六条1)." in page
    topic.refresh_from_db()
    assert topic.status == S.APPROVED


ACTIONS = {
    # name: (status, allowed personas, POST data)
    "send_review": ("draft", {"tech_liaison"}, {}),
    "approve": ("in_review", {"tech_head"}, {}),
    "return": ("in_review", {"tech_head"}, {"return-comment": "补充"}),
    "submit": ("approved", {"tech_liaison"}, {}),
    "triage": (
        "submitted",
        {"coordinator"},
        {"triage-category": "issue", "triage-priority": "2", "triage-budget_minutes": "15"},
    ),
    "coordinator_return": ("submitted", {"coordinator"}, {"creturn-reason": "补充"}),
    "reject": ("submitted", {"coordinator"}, {"reject-reason": "不属于"}),
    "withdraw": ("triaged", {"tech_liaison"}, {}),
}

PERSONAS = [
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


@pytest.mark.parametrize("name", list(ACTIONS))
def test_http_permission_matrix(torg, en, topic, name):
    status, allowed, data = ACTIONS[name]
    if status != "draft":
        topic = advance(torg, topic, status)
    url = reverse(f"topics:{name}", args=[topic.pk])
    duties = list(Obligation.objects.values_list("pk", "state"))
    # A topic is submitted inside the topic window (第六条1); the other steps on Friday.
    with time_machine.travel(THU_SUBMIT_OK if name == "submit" else FRI, tick=False):
        assert en(torg.tech_liaison).get(url).status_code == 405
        for persona in PERSONAS:
            if persona in allowed:
                continue
            assert en(getattr(torg, persona)).post(url, data).status_code == 403, persona
            topic.refresh_from_db()
            assert topic.status == status, persona
            assert list(Obligation.objects.values_list("pk", "state")) == duties
        for persona in allowed:
            assert en(getattr(torg, persona)).post(url, data).status_code == 302
    topic.refresh_from_db()
    assert topic.status != status


def test_anonymous_is_sent_to_login(torg, client, topic):
    response = client.get(reverse("topics:detail", args=[topic.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(reverse("topics:submit", args=[topic.pk]))
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.DRAFT


# ---- similar fragment ------------------------------------------------------------------------------


def test_similar_fragment(torg, en):
    parking = make_topic(torg)
    make_topic(torg, title="年度预算编制口径统一", background="预算口径", collaboration_need="财务")
    client = en(torg.tech_liaison)
    with time_machine.travel(WED, tick=False):
        response = client.post(
            reverse("topics:similar"),
            {"title": "办公楼停车位紧张", "background": "员工停车难"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("data-topic=") == 1 and f'data-topic="{parking.pk}"' in html
        assert "<html" not in html
        assert parking.title in html and "Draft" in html
        assert "data-topic=" not in client.get(reverse("topics:similar"), {"title": "食堂"}).content.decode()
        # while editing, the topic itself is left out
        response = client.post(reverse("topics:similar"), {"title": parking.title, "exclude": parking.pk})
        assert "data-topic=" not in response.content.decode()
        assert client.get(reverse("topics:similar")).content.decode().strip() == ""
