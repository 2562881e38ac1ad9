from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import docx
import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.utils import translation
from docx.oxml.ns import qn
from docx.shared import Mm

from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes import services
from xietong.minutes.models import Minutes

from .minutes_samples import BODY

AFTER = sh(2026, 3, 9, 11, 0)  # after the meeting (ends 10:30), before the 2-hour deadline
LATE = sh(2026, 3, 9, 13, 0)


def _en(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def meeting(torg):
    return published_meeting(torg, topics=2)


def _invitee(torg, meeting):
    staff = {torg.recorder.pk, torg.host.pk, torg.coordinator.pk, torg.chair.pk}
    rsvp = (
        Rsvp.objects.filter(meeting=meeting).exclude(invitee_id__in=staff).select_related("invitee").first()
    )
    return rsvp.invitee


def _draft(torg, meeting, now=AFTER):
    return services.minutes_draft(meeting=meeting, actor=torg.recorder, now=now)


def _approved(torg, meeting, now=AFTER):
    m = _draft(torg, meeting, now)
    m = services.minutes_submit(minutes=m, actor=torg.recorder, now=now)
    return services.minutes_approve(minutes=m, actor=torg.host, now=now)


def _state():
    return list(Minutes.objects.order_by("id").values_list("id", "status", "body", "edit_version"))


# ---- the meeting's minutes page -----------------------------------------------------------


def test_recorder_drafts_and_sees_deadline_with_clause(torg, meeting, login):
    client = _en(login(torg.recorder))
    with time_machine.travel(AFTER, tick=False):
        page = client.get(f"/minutes/meeting/{meeting.pk}/").content.decode()
        assert f"/minutes/meeting/{meeting.pk}/draft/" in page
        clause = meeting.policy_version.rules.get("minutes_deadline").clause
        assert clause in page and "2026-03-09 12:30" in page
        response = client.post(f"/minutes/meeting/{meeting.pk}/draft/")
    assert response.status_code == 302
    minutes = Minutes.objects.get(meeting=meeting)
    assert minutes.status == "draft"
    with time_machine.travel(AFTER, tick=False):
        page = client.get(f"/minutes/meeting/{meeting.pk}/").content.decode()
    assert 'name="body"' in page and f'name="edit_version" value="{minutes.edit_version}"' in page
    assert 'data-late="1"' not in page


def test_late_state_comes_from_the_ledger(torg, meeting, login):
    _draft(torg, meeting)
    with time_machine.travel(LATE, tick=False):
        page = _en(login(torg.recorder)).get(f"/minutes/meeting/{meeting.pk}/").content.decode()
    assert 'data-late="1"' in page


def test_draft_get_is_405_and_wrong_role_is_403(torg, meeting, login):
    with time_machine.travel(AFTER, tick=False):
        assert login(torg.recorder).get(f"/minutes/meeting/{meeting.pk}/draft/").status_code == 405
        for person in ("host", "coordinator", "outsider"):
            assert (
                login(getattr(torg, person)).post(f"/minutes/meeting/{meeting.pk}/draft/").status_code == 403
            )
    assert not Minutes.objects.exists()


def test_save_then_stale_save_keeps_the_users_text(torg, meeting, login):
    minutes = _draft(torg, meeting)
    client = _en(login(torg.recorder))
    with time_machine.travel(AFTER, tick=False):
        ok = client.post(
            f"/minutes/{minutes.pk}/save/", {"body": "第一次保存", "edit_version": minutes.edit_version}
        )
        assert ok.status_code == 302
        stale = client.post(
            f"/minutes/{minutes.pk}/save/", {"body": "我的<b>修改</b>", "edit_version": minutes.edit_version}
        )
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'id="stale"' in page
    assert "我的&lt;b&gt;修改&lt;/b&gt;" in page  # the user's text, escaped, kept in the form
    assert 'id="saved-text"' in page and "第一次保存" in page
    minutes.refresh_from_db()
    assert minutes.body == "第一次保存" and minutes.edit_version == 2
    assert f'name="edit_version" value="{minutes.edit_version}"' in page


def test_save_bad_input_and_wrong_role(torg, meeting, login):
    minutes = _draft(torg, meeting)
    before = _state()
    with time_machine.travel(AFTER, tick=False):
        bad = _en(login(torg.recorder)).post(f"/minutes/{minutes.pk}/save/", {"body": "", "edit_version": 1})
        assert bad.status_code == 400 and 'data-field="body"' in bad.content.decode()
        long = login(torg.recorder).post(
            f"/minutes/{minutes.pk}/save/", {"body": "x" * 50001, "edit_version": 1}
        )
        assert long.status_code == 400
        for person in ("host", "coordinator", "outsider"):
            r = login(getattr(torg, person)).post(
                f"/minutes/{minutes.pk}/save/", {"body": "改", "edit_version": 1}
            )
            assert r.status_code == 403
        assert login(torg.recorder).get(f"/minutes/{minutes.pk}/save/").status_code == 405
    assert _state() == before


def test_submit_return_with_comment_then_approve(torg, meeting, login):
    minutes = _draft(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        assert login(torg.host).post(f"/minutes/{minutes.pk}/submit/").status_code == 403
        assert login(torg.recorder).post(f"/minutes/{minutes.pk}/submit/").status_code == 302
        host = _en(login(torg.host))
        page = host.get(f"/minutes/meeting/{meeting.pk}/").content.decode()
        assert f"/minutes/{minutes.pk}/approve/" in page and f"/minutes/{minutes.pk}/return/" in page
        empty = host.post(f"/minutes/{minutes.pk}/return/", {"comment": ""})
        assert empty.status_code == 400 and 'data-field="comment"' in empty.content.decode()
        assert (
            login(torg.recorder).post(f"/minutes/{minutes.pk}/return/", {"comment": "改"}).status_code == 403
        )
        assert login(torg.recorder).post(f"/minutes/{minutes.pk}/approve/").status_code == 403
        minutes.refresh_from_db()
        assert minutes.status == "in_review"
        host = login(torg.host)  # one client: log the host in again
        assert host.post(f"/minutes/{minutes.pk}/return/", {"comment": "请补充<出席>"}).status_code == 302
        minutes.refresh_from_db()
        assert minutes.status == "returned"
        page = _en(login(torg.recorder)).get(f"/minutes/meeting/{meeting.pk}/").content.decode()
        assert "请补充&lt;出席&gt;" in page and 'name="body"' in page
        login(torg.recorder).post(f"/minutes/{minutes.pk}/submit/")
        assert login(torg.host).post(f"/minutes/{minutes.pk}/approve/").status_code == 302
    minutes.refresh_from_db()
    assert minutes.status == "approved"


def test_approved_is_read_only_and_correction_makes_a_new_version(torg, meeting, login):
    minutes = _approved(torg, meeting)
    client = _en(login(torg.recorder))
    with time_machine.travel(AFTER, tick=False):
        page = client.get(f"/minutes/meeting/{meeting.pk}/").content.decode()
        assert 'name="body"' not in page and f"/minutes/{minutes.pk}/correct/" in page
        saved = client.post(
            f"/minutes/{minutes.pk}/save/", {"body": "改", "edit_version": minutes.edit_version}
        )
        assert saved.status_code == 400
        assert Minutes.objects.get(pk=minutes.pk).body == minutes.body
        empty = client.post(f"/minutes/{minutes.pk}/correct/", {"reason": ""})
        assert empty.status_code == 400 and 'data-field="reason"' in empty.content.decode()
        assert login(torg.host).post(f"/minutes/{minutes.pk}/correct/", {"reason": "错字"}).status_code == 403
        assert Minutes.objects.count() == 1
        assert (
            _en(login(torg.recorder)).post(f"/minutes/{minutes.pk}/correct/", {"reason": "错字"}).status_code
            == 302
        )
        v2 = Minutes.objects.get(meeting=meeting, number=2)
        page = login(torg.recorder).get(f"/minutes/meeting/{meeting.pk}/").content.decode()
        assert 'data-version="1"' in page and 'data-version="2"' in page and "错字" in page
        assert login(torg.recorder).get(f"/minutes/{minutes.pk}/").status_code == 200
        assert login(torg.recorder).get(f"/minutes/{v2.pk}/").status_code == 200


def test_visibility_of_drafts_and_approved(torg, meeting, login):
    minutes = _draft(torg, meeting)
    invitee = _invitee(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        for person in (torg.recorder, torg.host, torg.coordinator):
            assert login(person).get(f"/minutes/{minutes.pk}/").status_code == 200
        for person in (invitee, torg.chair, torg.outsider):
            assert login(person).get(f"/minutes/{minutes.pk}/").status_code == 404
            assert login(person).get(f"/minutes/{minutes.pk}/print/").status_code == 404
            assert login(person).get(f"/minutes/{minutes.pk}/minutes.docx").status_code == 404
        page = login(invitee).get(f"/minutes/meeting/{meeting.pk}/").content.decode()
        assert minutes.body[:20] not in page
    services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER)
    services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER)
    with time_machine.travel(AFTER, tick=False):
        for person in (invitee, torg.chair):
            assert login(person).get(f"/minutes/{minutes.pk}/").status_code == 200
            assert login(person).get(f"/minutes/meeting/{meeting.pk}/").status_code == 200
        assert login(torg.outsider).get(f"/minutes/{minutes.pk}/").status_code == 404
        assert login(torg.outsider).get(f"/minutes/meeting/{meeting.pk}/").status_code == 404


# ---- print and .docx ------------------------------------------------------------------------


def test_print_view_is_a4_and_escapes(torg, meeting, login):
    minutes = _draft(torg, meeting)
    services.minutes_save(
        minutes=minutes, body="标题\n<script>x</script>", expected_version=1, actor=torg.recorder, now=AFTER
    )
    with time_machine.travel(AFTER, tick=False):
        page = login(torg.recorder).get(f"/minutes/{minutes.pk}/print/").content.decode()
    # The A4 page layout is the print style sheet's (no inline style under the CSP).
    assert "xietong/print.css" in page
    assert "size: A4" in Path(finders.find("xietong/print.css")).read_text()
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_docx_download_reads_back(torg, meeting, login):
    minutes = _approved(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        response = login(torg.chair).get(f"/minutes/{minutes.pk}/minutes.docx")
    assert response.status_code == 200
    document = docx.Document(BytesIO(response.content))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) <= Mm(0.1) and abs(section.page_height - Mm(297)) <= Mm(0.1)
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == minutes.body.splitlines()[0]
    assert any(t.startswith("一、") for t in texts) and any(t.startswith("二、") for t in texts)
    assert "三、下次会议" in texts or any(t.endswith("、下次会议") for t in texts)
    fonts = {r._element.rPr.rFonts.get(qn("w:eastAsia")) for p in document.paragraphs for r in p.runs}
    assert "方正小标宋简体" in fonts and "仿宋_GB2312" in fonts
    # The sign-off: approved by the host, who also reviews; the recorder wrote it.
    assert "签发：孙主持　　审核：孙主持　　记录：李记录" in texts
    record = texts[-1]
    assert record.startswith("分送：会议领导小组，") and "技术部" in record and record.endswith("。")


def test_docx_file_name_from_the_meeting_title_rfc5987(torg, meeting, login):
    minutes = _approved(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        response = login(torg.chair).get(f"/minutes/{minutes.pk}/minutes.docx")
    name = "跨科室周例会纪要（2026-03-09）.docx"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"minutes-{meeting.pk}-v1.docx\"; filename*=UTF-8''{quote(name)}"
    )
    # A correction is named with its version; English readers get an English name.
    services.minutes_correct(minutes=minutes, reason="错字", actor=torg.recorder, now=AFTER)
    second = Minutes.objects.get(meeting=meeting, number=2)
    with time_machine.travel(AFTER, tick=False):
        response = _en(login(torg.recorder)).get(f"/minutes/{second.pk}/minutes.docx")
    assert response["Content-Disposition"].endswith(
        "UTF-8''" + quote("跨科室周例会 minutes (2026-03-09, version 2).docx")
    )
    assert f'filename="minutes-{meeting.pk}-v2.docx"' in response["Content-Disposition"]


def _written(torg, meeting):
    minutes = _draft(torg, meeting)
    return services.minutes_save(
        minutes=minutes, body=BODY, expected_version=1, actor=torg.recorder, now=AFTER
    )


def test_docx_and_print_view_share_the_official_structure(torg, meeting, login):
    minutes = _written(torg, meeting)
    client = login(torg.recorder)
    with time_machine.travel(AFTER, tick=False):
        document = docx.Document(BytesIO(client.get(f"/minutes/{minutes.pk}/minutes.docx").content))
        page = client.get(f"/minutes/{minutes.pk}/print/").content.decode()
    texts = [p.text for p in document.paragraphs]
    headings = [
        "一、停车位改造",
        "（一）议定事项",
        "1.提交停车位改造方案（负责部门：技术部；负责人：周技术；完成时限：2026年3月20日）。",
        "（1）涉及资源：资金，50,000元",
        "（二）任务分工",
        "二、宣传物料",
        "三、下次会议",
    ]
    for text in headings:
        assert text in texts, text
        assert text in page, text
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == ["序号", "任务", "负责部门", "负责人", "完成时限"]
    assert '<th scope="col">负责部门</th>' in page and "<td>周技术</td>" in page
    assert 'data-level="4"' in page and 'class="doc-title"' in page
    # A draft is not issued yet: a blank to sign on.
    assert "签发：　　　　" in page and "审核：孙主持" in page
    for raw in ("](", "负责人:", "负责人：陈财务，截止日期"):
        assert raw not in page and not any(raw in t for t in texts)
    assert 'lang="zh-CN"' in page


def test_minutes_drafted_in_english_keep_their_language(torg, meeting, login):
    with translation.override("en"):
        minutes = _approved(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        page = login(torg.chair).get(f"/minutes/{minutes.pk}/print/").content.decode()
    assert "Next meeting" in page and "Issued by: 孙主持" in page and 'lang="en-US"' in page
    assert "Next meeting: " not in page  # its own section, not the draft's label


# ---- archive --------------------------------------------------------------------------------


def _another_approved(torg, meeting, days):
    other = Meeting.objects.create(
        policy_version=meeting.policy_version,
        title=f"周例会+{days}",
        starts_at=meeting.starts_at + timedelta(days=days),
        ends_at=meeting.ends_at + timedelta(days=days),
        host=torg.host,
        recorder=torg.recorder,
        status=Meeting.Status.HELD,
    )
    at = other.ends_at
    return Minutes.objects.create(
        meeting=other, number=1, body="纪要", status="approved", drafted_at=at, updated_at=at, approved_at=at
    )


def test_archive_groups_by_year_month_week_with_links(torg, meeting, login):
    first = _approved(torg, meeting)
    services.minutes_correct(minutes=first, reason="错字", actor=torg.recorder, now=AFTER)
    later = _another_approved(torg, meeting, 28)  # 2026-04-06, ISO week 15
    with time_machine.travel(AFTER, tick=False):
        page = _en(login(torg.coordinator)).get("/minutes/archive/?year=2026").content.decode()
        assert 'data-year="2026"' in page
        assert 'data-month="3"' in page and 'data-month="4"' in page
        assert 'data-week="11"' in page and 'data-week="15"' in page
        assert f"/minutes/{first.pk}/" in page and f"/minutes/{later.pk}/" in page
        assert f"/meetings/{meeting.pk}/" in page
        march = login(torg.coordinator).get("/minutes/archive/?year=2026&month=3").content.decode()
        assert f"/minutes/{first.pk}/" in march and f"/minutes/{later.pk}/" not in march
        assert (
            f"/minutes/{later.pk}/"
            not in login(torg.coordinator).get("/minutes/archive/?year=2025").content.decode()
        )
        assert (
            f"/minutes/{first.pk}/"
            in login(_invitee(torg, meeting)).get("/minutes/archive/?year=2026").content.decode()
        )
        outsider = login(torg.outsider).get("/minutes/archive/?year=2026").content.decode()
        assert f"/minutes/{first.pk}/" not in outsider
        assert login(torg.coordinator).get("/minutes/archive/?year=abc").status_code == 200


def test_archive_query_count_does_not_grow(torg, meeting, login, django_assert_max_num_queries):
    _approved(torg, meeting)
    client = login(torg.coordinator)
    with time_machine.travel(AFTER, tick=False):
        client.get("/minutes/archive/?year=2026")
        with django_assert_max_num_queries(8) as small:
            client.get("/minutes/archive/?year=2026")
        for days in (7, 14, 21, 35):
            _another_approved(torg, meeting, days)
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = client.get("/minutes/archive/?year=2026").content.decode()
    assert page.count("data-minutes=") == 5
