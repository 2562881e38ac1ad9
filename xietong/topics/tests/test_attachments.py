"""Topic materials (议题资料): who may attach/remove, limits, the download, the pages."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.core.tests.uploadsamples import EXE, HTML, OLE2, SVG, docx_bytes, xlsx_bytes
from xietong.records import services as records
from xietong.records.tests.helpers import DURING, held_meeting, items_of, settle_items
from xietong.topics import services
from xietong.topics.models import Topic, TopicAttachment

from .conftest import FRI, THU_EARLY, WED, advance

S = Topic.Status
PDF = b"%PDF-1.4 minimal test file\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(name="停车场租赁方案.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def attach(topic, actor, *, now=WED, **kwargs):
    return services.topic_attach(topic=topic, upload=upload(**kwargs), actor=actor, now=now)


# ---- services: who may ----------------------------------------------------------------------


def test_liaison_attaches_a_file_to_a_draft(torg, topic, media):
    a = attach(topic, torg.tech_liaison)
    assert (a.name, a.size, a.content_type) == ("停车场租赁方案.pdf", len(PDF), "application/pdf")
    assert a.uploaded_by == torg.tech_liaison and a.uploaded_at == WED
    assert a.file.name.startswith("topics/") and a.file.name.endswith(".pdf")
    assert "停车场" not in a.file.name  # stored under a generated name
    assert (media / a.file.name).read_bytes() == PDF
    event = Event.objects.get(name="topic.attachment_added")
    assert event.subject_id == topic.pk and event.data["file"] == "停车场租赁方案.pdf"


def test_head_attaches_while_reviewing(torg, topic):
    topic = advance(torg, topic, "in_review")
    assert attach(topic, torg.tech_head, now=THU_EARLY).uploaded_by == torg.tech_head


@pytest.mark.parametrize(
    "who", ["market_liaison", "finance_head", "outsider", "recorder", "host", "coordinator"]
)
def test_others_may_not_attach_to_a_draft(torg, topic, who):
    with pytest.raises(Forbidden):
        attach(topic, getattr(torg, who))
    assert not TopicAttachment.objects.exists()


def test_department_may_not_attach_once_submitted(torg, topic):
    topic = advance(torg, topic, "submitted")
    with pytest.raises(DomainError) as err:
        attach(topic, torg.tech_liaison, now=FRI)
    assert err.value.code == "wrong_state"
    assert not TopicAttachment.objects.exists()


@pytest.mark.parametrize("status", ["submitted", "triaged", "scheduled"])
def test_coordinator_attaches_after_submission(torg, topic, status):
    topic = advance(torg, topic, status)
    assert attach(topic, torg.coordinator, now=FRI).topic_id == topic.pk


def test_nobody_attaches_to_a_withdrawn_topic(torg, topic):
    services.topic_withdraw(topic=topic, actor=torg.tech_liaison, now=WED)
    for actor in (torg.tech_liaison, torg.coordinator):
        with pytest.raises((DomainError, Forbidden)):
            attach(topic, actor)
    assert not TopicAttachment.objects.exists()


def test_coordinator_may_not_attach_once_the_meeting_is_held(torg):
    meeting = held_meeting(torg, topics=1)
    topic = items_of(meeting)[0].topic
    a = attach(topic, torg.coordinator, now=DURING)  # during the meeting: still allowed
    settle_items(torg, meeting)
    records.record_close(meeting=meeting, actor=torg.recorder, now=DURING)
    topic.refresh_from_db()
    with pytest.raises(DomainError) as err:
        attach(topic, torg.coordinator, now=DURING)
    assert err.value.code in ("meeting_held", "wrong_state")
    with pytest.raises(DomainError):
        services.topic_attachment_remove(attachment=a, actor=torg.coordinator, now=DURING)
    assert list(TopicAttachment.objects.all()) == [a]


# ---- services: limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("run.exe", PDF, "file_type"),
        ("page.html", b"<script>alert(1)</script>", "file_type"),
        ("README", PDF, "file_name_invalid"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_bad_files_are_refused_with_a_field_error(torg, topic, name, content, code):
    with pytest.raises(DomainError) as err:
        attach(topic, torg.tech_liaison, name=name, content=content)
    assert (err.value.code, err.value.field) == (code, "file")
    assert not TopicAttachment.objects.exists()


def test_size_and_count_caps_come_from_the_settings(torg, topic, settings, media):
    settings.TOPIC_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(DomainError) as err:
        attach(topic, torg.tech_liaison, content=b"x" * 11)
    assert err.value.code == "file_too_large"
    settings.TOPIC_ATTACHMENT_MAX_BYTES = 64 * 1024
    settings.TOPIC_ATTACHMENT_MAX_COUNT = 2
    attach(topic, torg.tech_liaison)
    attach(topic, torg.tech_liaison, name="b.docx", content=docx_bytes())
    with pytest.raises(DomainError) as err:
        attach(topic, torg.tech_liaison, name="c.xlsx", content=xlsx_bytes())
    assert err.value.code == "too_many_files"
    assert TopicAttachment.objects.count() == 2
    assert len(list((media / "topics").rglob("*.*"))) == 2  # the refused file was not stored


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe.pdf", EXE),
        ("notepad.pdf", EXE),
        ("pic.png", SVG),
        ("readme.txt", HTML),
        ("evil.html.pdf", HTML),
        ("方案.docx", PDF),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(torg, topic, media, name, content):
    with pytest.raises(DomainError) as err:
        attach(topic, torg.tech_liaison, name=name, content=content)
    assert (err.value.code, err.value.field) == ("file_content", "file")
    assert name in str(err.value)
    assert not TopicAttachment.objects.exists()
    assert not Event.objects.filter(name="topic.attachment_added").exists()
    assert not list(media.rglob("*.*"))


def test_extensions_come_from_the_settings_and_ignore_case(torg, topic, settings):
    assert attach(topic, torg.tech_liaison, name="方案.WPS", content=OLE2).name == "方案.WPS"
    settings.TOPIC_ATTACHMENT_EXTENSIONS = [".txt"]
    with pytest.raises(DomainError):
        attach(topic, torg.tech_liaison, name="方案.pdf")


def test_the_name_loses_folders_and_is_cut_to_fit(torg, topic):
    assert attach(topic, torg.tech_liaison, name="C:\\Users\\张三\\方案.pdf").name == "方案.pdf"
    long = attach(topic, torg.tech_liaison, name="长" * 300 + ".pdf").name
    assert len(long) == 200 and long.endswith(".pdf")


def test_remove_deletes_the_row_and_the_file(torg, topic, media, django_capture_on_commit_callbacks):
    a = attach(topic, torg.tech_liaison)
    path = media / a.file.name
    with pytest.raises(Forbidden):
        services.topic_attachment_remove(attachment=a, actor=torg.market_liaison, now=WED)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_attachment_remove(attachment=a, actor=torg.tech_head, now=WED)
    assert not TopicAttachment.objects.exists()
    assert not path.exists()
    assert Event.objects.filter(name="topic.attachment_removed", subject_id=topic.pk).exists()


# ---- views --------------------------------------------------------------------------------------


@pytest.fixture
def en(login):
    def _login(person):
        client = login(person)
        client.cookies["django_language"] = "en"
        return client

    return _login


def test_upload_form_on_the_page_and_upload_through_it(torg, topic, en):
    client = en(torg.tech_liaison)
    with time_machine.travel(WED, tick=False):
        page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
        assert 'id="form-attach"' in page and 'enctype="multipart/form-data"' in page
        response = client.post(reverse("topics:attach", args=[topic.pk]), {"file": upload()})
    assert response.status_code == 302
    a = TopicAttachment.objects.get()
    with time_machine.travel(WED, tick=False):
        page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert "停车场租赁方案.pdf" in page and reverse("topics:attachment", args=[a.pk]) in page


def test_upload_refusals_in_the_view(torg, topic, en):
    url = reverse("topics:attach", args=[topic.pk])
    with time_machine.travel(WED, tick=False):
        bad = en(torg.tech_liaison).post(url, {"file": upload(name="x.exe")})
        assert bad.status_code == 400
        assert 'data-field="file"' in bad.content.decode()
        missing = en(torg.tech_liaison).post(url, {})
        assert missing.status_code == 400
        # An outsider does not even see the topic; a coordinator sees no drafts.
        assert en(torg.outsider).post(url, {"file": upload()}).status_code == 404
        assert en(torg.coordinator).post(url, {"file": upload()}).status_code == 404
    assert not TopicAttachment.objects.exists()


def test_an_executable_named_pdf_is_a_field_error_naming_the_file(torg, topic, en, media):
    with time_machine.travel(WED, tick=False):
        response = en(torg.tech_liaison).post(
            reverse("topics:attach", args=[topic.pk]), {"file": upload(name="通知.pdf", content=EXE)}
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="file"' in page
    assert "The content of “通知.pdf” does not match its extension .pdf; it cannot be uploaded." in page
    assert not TopicAttachment.objects.exists()
    assert not list(media.rglob("*.*"))


def test_upload_by_a_reader_who_may_not_attach_is_403(torg, topic, en):
    topic = advance(torg, topic, "triaged")
    with time_machine.travel(FRI, tick=False):
        response = en(torg.recorder).post(reverse("topics:attach", args=[topic.pk]), {"file": upload()})
    assert response.status_code == 403
    assert not TopicAttachment.objects.exists()


def test_remove_through_the_view(torg, topic, en):
    a = attach(topic, torg.tech_liaison)
    url = reverse("topics:attachment_remove", args=[a.pk])
    with time_machine.travel(WED, tick=False):
        assert en(torg.market_liaison).post(url).status_code == 404
        assert TopicAttachment.objects.exists()
        assert en(torg.tech_liaison).post(url).status_code == 302
    assert not TopicAttachment.objects.exists()


def test_download_streams_with_the_original_chinese_name(torg, topic, en):
    a = attach(topic, torg.tech_liaison)
    with time_machine.travel(WED, tick=False):
        response = en(torg.tech_head).get(reverse("topics:attachment", args=[a.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    response.close()
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('停车场租赁方案.pdf')}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_follows_the_topic_page_rule(torg, topic, en):
    a = attach(topic, torg.tech_liaison)
    url = reverse("topics:attachment", args=[a.pk])
    with time_machine.travel(WED, tick=False):
        # A draft is seen only inside its department.
        assert en(torg.market_liaison).get(url).status_code == 404
        assert en(torg.coordinator).get(url).status_code == 404
        assert en(torg.outsider).get(url).status_code == 404
    topic = advance(torg, topic, "submitted")
    with time_machine.travel(FRI, tick=False):
        response = en(torg.coordinator).get(url)
        assert response.status_code == 200
        # Consume the stream through the test client's wrapper (closing the response directly
        # would fire request_finished and close the test's database connection).
        assert b"".join(response.streaming_content)
        assert en(torg.outsider).get(url).status_code == 404


def test_html_in_a_file_name_is_shown_escaped(torg, topic, en):
    attach(topic, torg.tech_liaison, name="<img src=x onerror=alert(1)>.pdf")
    with time_machine.travel(WED, tick=False):
        page = en(torg.tech_liaison).get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in page


def test_the_agenda_lists_the_materials(torg, en):
    meeting = held_meeting(torg, topics=1)
    topic = items_of(meeting)[0].topic
    a = attach(topic, torg.coordinator, now=FRI)
    with time_machine.travel(FRI, tick=False):
        page = en(torg.coordinator).get(reverse("agenda:builder", args=[meeting.pk])).content.decode()
    assert reverse("topics:attachment", args=[a.pk]) in page
    assert a.name in page


# ---- dealt with at the meeting (called by the records app) --------------------------------------


def test_mark_done_and_reopen_only_by_the_meetings_recorder_or_host(torg):
    meeting = held_meeting(torg, topics=1)
    topic = items_of(meeting)[0].topic
    for who in ("coordinator", "tech_liaison", "chair", "outsider"):
        with pytest.raises(Forbidden):
            services.topic_mark_done(topic=topic, outcome="decided", actor=getattr(torg, who), now=DURING)
    with pytest.raises(DomainError) as err:
        services.topic_reopen(topic=topic, actor=torg.recorder, now=DURING)
    assert err.value.code == "wrong_state"
    done = services.topic_mark_done(topic=topic, outcome="closed", actor=torg.host, now=DURING)
    assert done.status == S.DONE
    with pytest.raises(DomainError):
        services.topic_mark_done(topic=topic, outcome="decided", actor=torg.recorder, now=DURING)
    assert services.topic_reopen(topic=topic, actor=torg.recorder, now=DURING).status == S.SCHEDULED
