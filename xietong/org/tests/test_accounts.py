"""Accounts: password reset by e-mail, first-login activation, password change, and who may
read a person's mobile number."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from xietong.core.errors import Forbidden
from xietong.core.events import events_for
from xietong.core.tests.test_settings import load_settings
from xietong.desk.testing import PASSWORD
from xietong.org import accounts, services
from xietong.org.models import Person
from xietong.org.permissions import mobile_scope
from xietong.org.tests.htmlbits import field_errors, section
from xietong.org.tests.rosterfiles import BASIC, csv_bytes
from xietong.policy.calendar import SHANGHAI

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
NEW_PASSWORD = "Qiu-fen-2026-lanhua"
LINK = re.compile(r"https?://\S+/account/(?:password/reset|activate)/[^/\s]+/[^/\s]+/")


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def client_in(language: str = "zh-hans", addr: str = "10.1.2.3") -> Client:
    client = Client(REMOTE_ADDR=addr)
    client.cookies["django_language"] = language
    return client


def request_reset(client: Client, email: str):
    return client.post(reverse("account:reset"), {"email": email})


def link_in(message) -> str:
    [link] = LINK.findall(message.body)
    return link.removeprefix(settings.SITE_URL.rstrip("/"))


def set_password(client: Client, link: str, password: str = NEW_PASSWORD):
    """Open the mailed link (Django moves the token into the session and redirects), then post."""
    opened = client.get(link)
    assert opened.status_code == 302, opened.status_code
    form_url = opened["Location"]
    assert client.get(form_url).status_code == 200
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def can_log_in(username: str, password: str) -> bool:
    client = client_in(addr="10.9.9.9")
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


# ---- password reset ------------------------------------------------------------------------


def test_reset_end_to_end_request_mail_link_new_password_login(torg):
    person = torg.tech_head
    client = client_in()
    response = request_reset(client, person.email.upper())  # addresses match case-blind
    assert response.status_code == 302 and response["Location"] == reverse("account:reset_sent")
    [message] = mail.outbox
    assert message.to == [person.email]
    assert "设置新密码" in message.subject and "tech_head" in message.body and "60" in message.body
    link = link_in(message)
    assert LINK.search(message.body).group(0).startswith(settings.SITE_URL)

    done = set_password(client, link)
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert "密码已设置" in client.get(reverse("login")).content.decode()
    assert can_log_in(person.username, NEW_PASSWORD)
    assert not can_log_in(person.username, PASSWORD)
    assert [e.data["how"] for e in events_for(person) if e.name == "person.password_set"] == ["reset"]
    # The link worked once: the password it was made for is gone.
    again = client_in().get(link)
    assert again.status_code == 400 and "invalid-link" in again.content.decode()


def test_expired_reset_link_is_refused(torg, _pinned_time):
    request_reset(client_in(), torg.tech_head.email)
    link = link_in(mail.outbox[0])
    _pinned_time.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
    client = client_in()
    response = client.get(link)
    assert response.status_code == 400
    page = response.content.decode()
    assert "链接已失效" in page or "已过期" in page
    # Nothing to post to: the set-password step refuses too, and the password stands.
    posted = client.post(
        link.rsplit("/", 2)[0] + "/set-password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert posted.status_code == 400
    torg.tech_head.refresh_from_db()
    assert torg.tech_head.check_password(PASSWORD)


def test_reset_link_still_works_just_before_it_expires(torg, _pinned_time):
    request_reset(client_in(), torg.tech_head.email)
    link = link_in(mail.outbox[0])
    _pinned_time.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60))
    assert set_password(client_in(), link).status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(torg):
    known = request_reset(client_in(addr="10.0.0.1"), torg.tech_head.email)
    unknown = request_reset(client_in(addr="10.0.0.2"), "nobody@example.cn")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    sent_page = client_in().get(unknown["Location"])
    assert sent_page.status_code == 200 and "如果该地址属于某个账号" in sent_page.content.decode()


def test_disabled_account_gets_no_mail_but_the_same_answer(torg):
    Person.objects.filter(pk=torg.tech_head.pk).update(is_active=False)
    response = request_reset(client_in(), torg.tech_head.email)
    assert response.status_code == 302 and mail.outbox == []


def test_bad_address_is_a_field_error_in_chinese(torg):
    response = request_reset(client_in(), "not-an-address")
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "email") == ["输入一个有效的 Email 地址。"]
    assert mail.outbox == []


def test_reset_requests_for_one_address_are_throttled(torg, _pinned_time):
    limit = settings.PASSWORD_RESET_ADDRESS_LIMIT
    statuses = [
        request_reset(client_in(addr=f"10.2.0.{i}"), torg.tech_head.email).status_code
        for i in range(limit + 2)
    ]
    assert statuses == [302] * limit + [429, 429]
    assert len(mail.outbox) == limit
    refused = request_reset(client_in(addr="10.2.1.1"), torg.tech_head.email)
    assert "请求过于频繁" in refused.content.decode()
    # An unknown address is throttled alike: the refusal says nothing about accounts.
    unknown = [
        request_reset(client_in(addr=f"10.3.0.{i}"), "nobody@example.cn").status_code
        for i in range(limit + 1)
    ]
    assert unknown == [302] * limit + [429]
    # The next window starts afresh.
    _pinned_time.shift(timedelta(seconds=settings.PASSWORD_RESET_WINDOW_SECONDS))
    assert request_reset(client_in(addr="10.2.2.2"), torg.tech_head.email).status_code == 302


def test_reset_requests_from_one_client_are_throttled(torg):
    limit = settings.PASSWORD_RESET_CLIENT_LIMIT
    sprayer = client_in(addr="10.4.4.4")
    statuses = [request_reset(sprayer, f"guess{i}@example.cn").status_code for i in range(limit + 1)]
    assert statuses == [302] * limit + [429]
    assert request_reset(sprayer, torg.tech_head.email).status_code == 429
    assert mail.outbox == []
    # Another client is not held up by the sprayer.
    assert request_reset(client_in(addr="10.5.5.5"), torg.tech_head.email).status_code == 302
    assert len(mail.outbox) == 1


def test_imported_person_without_a_password_can_use_the_reset(torg):
    services.roster_import(file_bytes=csv_bytes(BASIC), filename="r.csv", actor=torg.coordinator, now=NOW)
    xu = Person.objects.get(username="13800000002")
    assert not xu.has_usable_password()
    request_reset(client_in(), "xu@example.cn")
    assert set_password(client_in(), link_in(mail.outbox[0])).status_code == 302
    assert can_log_in("13800000002", NEW_PASSWORD)


def test_new_password_is_checked_by_the_validators_in_chinese(torg):
    request_reset(client_in(), torg.tech_head.email)
    response = set_password(client_in(), link_in(mail.outbox[0]), password="12345678")
    assert response.status_code == 400
    errors = field_errors(response.content.decode(), "new_password2")
    assert "这个密码太常见了。" in errors and "密码只包含数字。" in errors
    torg.tech_head.refresh_from_db()
    assert torg.tech_head.check_password(PASSWORD)


def test_reset_over_a_real_smtp_server(torg, smtp):
    request_reset(client_in(), torg.tech_head.email)
    [message] = smtp.messages
    assert message["To"] == torg.tech_head.email
    assert message["Subject"] and "设置新密码" in message["Subject"]
    body = message.get_content()
    [link] = LINK.findall(body)
    assert set_password(client_in(), link.removeprefix(settings.SITE_URL.rstrip("/"))).status_code == 302
    assert can_log_in(torg.tech_head.username, NEW_PASSWORD)


# ---- activation --------------------------------------------------------------------------


def imported(torg) -> list[Person]:
    """BASIC's four people imported from a roster; the test organisation's people have logged in."""
    Person.objects.update(last_login=NOW - timedelta(days=1))
    services.roster_import(file_bytes=csv_bytes(BASIC), filename="r.csv", actor=torg.coordinator, now=NOW)
    return list(Person.objects.filter(last_login__isnull=True).order_by("username"))


def test_coordinator_sends_activation_links_in_bulk_to_those_never_logged_in(torg, login):
    people = imported(torg)
    assert len(people) == 4  # 何联络 has no e-mail address
    client = login(torg.coordinator)
    page = client.get(reverse("org:people")).content.decode()
    assert "send-activation" in page and page.count("data-never-logged-in") == 4
    response = client.post(reverse("org:send_activation"))
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["lin@example.cn", "ma@example.cn", "xu@example.cn"]
    message = next(m for m in mail.outbox if m.to == ["xu@example.cn"])
    assert "激活" in message.subject and "13800000002" in message.body and "7" in message.body
    assert "已向 3 人发送激活邮件" in client.get(reverse("org:people")).content.decode()
    xu = Person.objects.get(username="13800000002")
    assert [e.name for e in events_for(xu)][-1] == "person.activation_sent"

    # The link sets the first password; then the person logs in.
    fresh = client_in()
    link = link_in(message)
    opened = fresh.get(link)
    form_page = fresh.get(opened["Location"]).content.decode()
    assert "激活账号" in form_page and "13800000002" in form_page
    done = fresh.post(opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert can_log_in("13800000002", NEW_PASSWORD)
    assert [e.data["how"] for e in events_for(xu) if e.name == "person.password_set"] == ["activation"]
    # Logged in now: the next bulk send leaves them out.
    mail.outbox.clear()
    client.post(reverse("org:send_activation"))
    assert sorted(m.to[0] for m in mail.outbox) == ["lin@example.cn", "ma@example.cn"]


def test_bulk_send_keeps_to_the_department_filtered_on(torg, login):
    imported(torg)
    software = Person.objects.get(username="13800000002").department
    login(torg.coordinator).post(reverse("org:send_activation"), {"department": software.pk})
    assert sorted(m.to[0] for m in mail.outbox) == ["ma@example.cn", "xu@example.cn"]


def test_activation_link_lives_its_own_days_and_not_longer(torg, _pinned_time):
    imported(torg)
    xu = Person.objects.get(username="13800000002")
    accounts.person_send_activation(actor=torg.coordinator, now=NOW, people=[xu])
    link = link_in(mail.outbox[0])
    assert settings.ACTIVATION_TIMEOUT > settings.PASSWORD_RESET_TIMEOUT
    _pinned_time.shift(timedelta(seconds=settings.ACTIVATION_TIMEOUT + 1))
    response = client_in().get(link)
    assert response.status_code == 400 and "请协调人重新发送激活链接" in response.content.decode()


def test_activation_link_still_works_after_the_reset_lifetime(torg, _pinned_time):
    imported(torg)
    xu = Person.objects.get(username="13800000002")
    accounts.person_send_activation(actor=torg.coordinator, now=NOW, people=[xu])
    _pinned_time.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 3600))
    assert set_password(client_in(), link_in(mail.outbox[0])).status_code == 302


def test_a_reset_token_does_not_open_the_activation_page(torg):
    request_reset(client_in(), torg.tech_head.email)
    link = link_in(mail.outbox[0]).replace("/password/reset/", "/activate/")
    assert client_in().get(link).status_code == 400


@pytest.mark.parametrize("persona", ["tech_head", "tech_liaison", "outsider", "chair"])
def test_only_the_coordinator_sends_activation_links(torg, login, persona):
    imported(torg)
    response = login(getattr(torg, persona)).post(reverse("org:send_activation"))
    assert response.status_code == 403 and mail.outbox == []
    assert "send-activation" not in login(getattr(torg, persona)).get(reverse("org:people")).content.decode()
    with pytest.raises(Forbidden):
        accounts.person_send_activation(actor=getattr(torg, persona), now=NOW, people=Person.objects.all())


def test_admin_action_sends_activation_links_to_the_selected(torg, client):
    people = imported(torg)
    admin = Person.objects.create(
        username="root", password=make_password(PASSWORD), is_staff=True, is_superuser=True, last_login=NOW
    )
    client.force_login(admin)
    chosen = [p for p in people if p.username in {"13800000001", "13800000003"}] + [torg.tech_head]
    response = client.post(
        reverse("admin:org_person_changelist"),
        {"action": "send_activation", "_selected_action": [p.pk for p in chosen]},
        follow=True,
    )
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [["lin@example.cn"]]
    page = response.content.decode()
    assert "何联络" in page and "周技术" in page  # skipped: no e-mail / logged in before


def test_failed_mail_is_reported_and_the_others_still_go(torg, login, smtp):
    imported(torg)
    smtp.refuse = "550 5.1.1 Mailbox unavailable"
    client = login(torg.coordinator)
    client.post(reverse("org:send_activation"))
    page = client.get(reverse("org:people")).content.decode()
    assert "邮件服务器未接受" in page and "许软件" in page
    assert smtp.messages == []
    assert not any(e.name == "person.activation_sent" for p in Person.objects.all() for e in events_for(p))


# ---- password change ---------------------------------------------------------------------


def test_password_change_from_the_user_menu(torg, login):
    client = login(torg.tech_liaison)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("account:password_change")}"' in home
    url = reverse("account:password_change")
    wrong = client.post(
        url, {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert wrong.status_code == 400
    assert field_errors(wrong.content.decode(), "old_password") == ["你的旧密码不正确。请重新输入。"]
    short = client.post(url, {"old_password": PASSWORD, "new_password1": "ab1", "new_password2": "ab1"})
    assert short.status_code == 400
    assert "密码太短，至少需要 8 个字符。" in field_errors(short.content.decode(), "new_password2")
    done = client.post(
        url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("home")
    assert "密码已修改" in client.get(reverse("home")).content.decode()  # still logged in
    assert can_log_in(torg.tech_liaison.username, NEW_PASSWORD)
    assert [e.data["how"] for e in events_for(torg.tech_liaison) if e.name == "person.password_set"] == [
        "change"
    ]


def test_password_change_needs_login(client, torg):
    response = client.get(reverse("account:password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_login_page_links_to_the_reset(client, torg):
    page = client_in().get(reverse("login")).content.decode()
    assert f'href="{reverse("account:reset")}"' in page and "忘记密码" in page


# ---- who may read a mobile number --------------------------------------------------------

# viewer -> whose mobiles they read among: themself, a tech person, a market person
MATRIX = {
    "coordinator": {"self": True, "tech": True, "market": True},
    "tech_head": {"self": True, "tech": True, "market": False},
    "tech_deputy": {"self": True, "tech": False, "market": False},
    "tech_liaison": {"self": True, "tech": False, "market": False},
    "market_liaison": {"self": True, "tech": False, "market": False},
    "host": {"self": True, "tech": False, "market": False},
    "recorder": {"self": True, "tech": False, "market": False},
    "chair": {"self": True, "tech": False, "market": False},
    "outsider": {"self": True, "tech": False, "market": False},
}


def _targets(torg, viewer: Person) -> dict[str, Person]:
    tech = torg.tech_liaison if viewer != torg.tech_liaison else torg.tech_deputy
    market = torg.market_head if viewer != torg.market_head else torg.market_liaison
    return {"self": viewer, "tech": tech, "market": market}


@pytest.mark.parametrize("persona", sorted(MATRIX))
def test_mobile_visibility_matrix(torg, login, persona):
    viewer = getattr(torg, persona)
    client = login(viewer)
    directory = section(client.get(reverse("org:people")).content.decode(), "people")
    for target_name, expected in MATRIX[persona].items():
        target = _targets(torg, viewer)[target_name]
        assert mobile_scope(viewer).covers(target) is expected, target_name
        detail = client.get(reverse("org:person", args=[target.pk])).content.decode()
        assert (target.mobile in detail) is expected, (persona, target_name, "person page")
        if target_name != "self":
            assert (target.mobile in directory) is expected, (persona, target_name, "directory")


def test_admin_reads_every_mobile(torg, client):
    admin = Person.objects.create(username="root", password=make_password(PASSWORD), is_superuser=True)
    client.force_login(admin)
    directory = client.get(reverse("org:people")).content.decode()
    assert all(p.mobile in directory for p in torg.people.values())


def test_a_head_acting_by_delegation_reads_the_departments_mobiles(torg, login):
    services.delegation_create(
        principal=torg.market_head,
        delegate=torg.market_liaison,
        starts_on=NOW.date(),
        ends_on=NOW.date() + timedelta(days=3),
        reason="出差",
        actor=torg.market_head,
        now=NOW,
    )
    directory = login(torg.market_liaison).get(reverse("org:people")).content.decode()
    assert torg.outsider.mobile in directory and torg.tech_head.mobile not in directory


def test_plain_employee_directory_has_no_mobile_column(torg, login):
    page = login(torg.outsider).get(reverse("org:people")).content.decode()
    assert "手机" not in section(page, "people")
    assert not any(p.mobile in page for p in torg.people.values())


def test_coordinator_sends_one_activation_link_from_the_person_page(torg, login):
    imported(torg)
    xu = Person.objects.get(username="13800000002")
    client = login(torg.coordinator)
    assert "send-activation" in client.get(reverse("org:person", args=[xu.pk])).content.decode()
    response = client.post(reverse("org:send_activation"), {"person": xu.pk})
    assert response.status_code == 302 and response["Location"] == reverse("org:person", args=[xu.pk])
    assert [m.to for m in mail.outbox] == [["xu@example.cn"]]
    # Someone who has logged in has no such button: they use the reset.
    assert (
        "send-activation" not in client.get(reverse("org:person", args=[torg.tech_head.pk])).content.decode()
    )


def test_coordinators_directory_query_count_does_not_grow(torg, login, django_assert_num_queries):
    client = login(torg.coordinator)
    url = reverse("org:people")
    client.get(url)
    with django_assert_num_queries(6) as before:  # session, person, roles_of, departments, people, roles
        page = client.get(url).content.decode()
    imported(torg)
    with django_assert_num_queries(len(before.captured_queries)):
        page = client.get(url).content.decode()
    assert "13800000002" in page and page.count("data-never-logged-in") == 4


def test_a_reset_lifts_the_login_delay_of_earlier_wrong_passwords(torg):
    person = torg.tech_head
    guesser = client_in(addr="10.7.7.7")
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        guesser.post(reverse("login"), {"username": person.username, "password": "wrong-password"})
    assert (
        guesser.post(reverse("login"), {"username": person.username, "password": PASSWORD}).status_code == 429
    )
    request_reset(client_in(addr="10.7.7.7"), person.email)
    set_password(client_in(addr="10.7.7.7"), link_in(mail.outbox[0]))
    owner = client_in(addr="10.7.7.7")
    response = owner.post(reverse("login"), {"username": person.username, "password": NEW_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in owner.session


def test_an_account_named_after_the_mobile_does_not_give_the_mobile_away(torg, login):
    imported(torg)  # no 账号 column: the login is the mobile
    xu = Person.objects.get(username="13800000002")
    assert xu.mobile == xu.username
    assert xu.mobile not in login(torg.outsider).get(reverse("org:person", args=[xu.pk])).content.decode()
    assert xu.mobile in login(torg.coordinator).get(reverse("org:person", args=[xu.pk])).content.decode()
    # The head of 软件部 (许软件 himself) reads the mobile of 马副职 of his department.
    ma = Person.objects.get(username="13800000004")
    assert ma.mobile in login(xu).get(reverse("org:person", args=[ma.pk])).content.decode()


# ---- settings ----------------------------------------------------------------------------


def test_link_lifetimes_come_from_the_environment(monkeypatch, tmp_path):
    loaded = load_settings(
        monkeypatch, tmp_path, XIETONG_PASSWORD_RESET_MINUTES="30", XIETONG_ACTIVATION_DAYS="3"
    )
    assert (loaded.PASSWORD_RESET_TIMEOUT, loaded.ACTIVATION_TIMEOUT) == (1800, 3 * 86400)
    monkeypatch.delenv("XIETONG_PASSWORD_RESET_MINUTES")
    monkeypatch.delenv("XIETONG_ACTIVATION_DAYS")
    defaults = load_settings(monkeypatch, tmp_path)
    assert (defaults.PASSWORD_RESET_TIMEOUT, defaults.ACTIVATION_TIMEOUT) == (3600, 7 * 86400)
    with pytest.raises(ImproperlyConfigured, match="XIETONG_PASSWORD_RESET_MINUTES"):
        load_settings(monkeypatch, tmp_path, XIETONG_PASSWORD_RESET_MINUTES="0")
