"""Error pages (400, 403, 404, 500, a form without its CSRF token) in the product's frame and the
person's language: what went wrong, the reason when there is one, and a way back."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from xietong.core.error_pages import server_error

pytestmark = pytest.mark.urls("xietong.core.tests.urls_errors")

TEXTS = {
    "zh-hans": {
        "brand": "协同",
        "home": "回到我的待办",
        "back": "返回上一页",
        "nav": "我的待办",
        "404": ("页面不存在", "该页面不存在，或您无权查看。"),
        "403": ("您无权进行此操作", "只有执行小组组长、领导小组和科室负责人可以查看督办台账。"),
        "400": ("无法显示此内容", "该会议已无法修改。"),
        "400 django": ("请求无法处理", "请求中有无效的内容。请返回，刷新页面后重试。"),
        "500": ("系统出错了", "服务器未能完成此请求。错误已记录，请稍后再试。"),
        "csrf": ("表单未能提交", "表单所在的页面已过期"),
    },
    "en": {
        "brand": "Xietong",
        "home": "Go to my to-do list",
        "back": "Back to the previous page",
        "nav": "My to-do",
        "404": ("Page not found", "This page does not exist, or it is not open to you."),
        "403": (
            "You may not do this",
            "Only the coordinator, the leadership group and department heads follow the ledger.",
        ),
        "400": ("This cannot be shown", "This meeting can no longer be changed."),
        "400 django": (
            "The request could not be processed",
            "Something in the request was not valid. Go back, reload the page and try again.",
        ),
        "500": (
            "Something went wrong",
            "The server could not complete this request. The error has been logged; try again later.",
        ),
        "csrf": ("The form could not be sent", "The page the form came from has expired"),
    },
}

LANGUAGES = list(TEXTS)


def client_for(person, language: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if person is not None:
        client.force_login(person)
    client.cookies["django_language"] = language
    return client


def page_parts(response) -> dict:
    html = response.content.decode()
    error = re.search(
        r'<section class="card narrow" id="error" data-status="(\d+)">(.*?)</section>', html, re.S
    )
    assert error, html[:500]
    body = error.group(2)
    return {
        "html": html,
        "status": int(error.group(1)),
        "title": re.search(r"<h1>(.*?)</h1>", body, re.S).group(1).strip(),
        "reason": re.search(r'<p id="error-reason">(.*?)</p>', body, re.S).group(1).strip(),
        "way back": re.search(r'<div class="actions" id="error-way-back">(.*?)</div>', body, re.S).group(1),
        "nav": '<nav class="main">' in html,
        "brand": re.search(r'<a class="brand" href="/">(.*?)</a>', html).group(1),
    }


def assert_error_page(response, status: int, language: str, key: str, *, nav: bool = True) -> dict:
    texts = TEXTS[language]
    assert response.status_code == status
    parts = page_parts(response)
    title, reason = texts[key]
    assert parts["status"] == status
    assert parts["title"] == title
    assert parts["reason"].replace("&#39;", "'").startswith(reason)
    assert parts["brand"] == texts["brand"]
    assert parts["nav"] is nav
    assert f'<a class="button primary" href="/">{texts["home"]}</a>' in parts["way back"]
    return parts


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_page_that_does_not_exist(torg, language):
    response = client_for(torg.tech_liaison, language).get(
        "/meetings/999999/", HTTP_REFERER="http://testserver/meetings/"
    )
    parts = assert_error_page(response, 404, language, "404")
    back = TEXTS[language]["back"]
    assert f'<a class="button" href="http://testserver/meetings/">{back}</a>' in parts["way back"]
    assert TEXTS[language]["nav"] in parts["html"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refusal_shows_its_own_reason(torg, language):
    response = client_for(torg.tech_liaison, language).get("/obligations/")
    assert_error_page(response, 403, language, "403")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_service_refusal_on_a_page_shows_its_message(torg, language):
    response = client_for(torg.tech_liaison, language).get("/test-errors/refused/")
    assert_error_page(response, 400, language, "400")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_request_says_what_to_do(torg, language):
    response = client_for(torg.tech_liaison, language).get("/test-errors/suspicious/")
    parts = assert_error_page(response, 400, language, "400 django")
    assert "header" not in parts["reason"]  # the technical cause stays in the log


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_server_error_shows_the_frame_without_reading_the_database(torg, language, caplog):
    client = client_for(torg.tech_liaison, language, raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/test-errors/broken/")
    parts = assert_error_page(response, 500, language, "500", nav=False)
    assert "a bug" not in parts["html"]
    assert any(r.exc_info for r in caplog.records if r.name == "django.request")  # 5xx keep theirs


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_without_its_token_is_explained(torg, language):
    client = client_for(torg.tech_liaison, language, enforce_csrf_checks=True)
    response = client.post(
        "/lang/", {"language": "en", "next": "/"}, HTTP_REFERER="http://testserver/topics/"
    )
    parts = assert_error_page(response, 403, language, "csrf")
    assert 'href="http://testserver/topics/"' in parts["way back"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_someone_not_logged_in_gets_the_frame_without_navigation(db, language):
    response = client_for(None, language).get("/no-such-page/")
    assert_error_page(response, 404, language, "404", nav=False)


def test_the_way_back_never_leads_to_another_site(torg):
    client = client_for(torg.tech_liaison, "zh-hans")
    for referer in ("https://evil.example/x", "//evil.example/x"):
        parts = page_parts(client.get("/meetings/999999/", HTTP_REFERER=referer))
        assert "evil" not in parts["way back"]
        assert TEXTS["zh-hans"]["back"] not in parts["way back"]


def test_a_refusal_is_logged_as_one_line_with_its_reason(torg, caplog):
    client = client_for(torg.tech_liaison, "en")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/obligations/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None
    line = record.getMessage()
    assert "\n" not in line
    assert "/obligations/" in line
    assert "Only the coordinator, the leadership group and department heads follow the ledger." in line


def test_the_server_error_page_reads_nothing_from_the_database(torg, django_assert_num_queries):
    request = RequestFactory().get("/somewhere/")
    request.user = SimpleLazyObject(lambda: pytest.fail("the 500 page asked who the user is"))
    with translation.override("zh-hans"), django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()
