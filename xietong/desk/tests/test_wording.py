"""The product's wording in Chinese: one English word with two Chinese meanings gets two
messages, labels end in a full-width colon, notices are numbered from 1, date inputs carry ISO
dates, the page has an icon, and the login-throttling admin speaks Chinese."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from xietong.core.i18n import read_po
from xietong.live.models import Vote
from xietong.meetings.tests.factories import published_meeting
from xietong.org.forms import DelegationForm
from xietong.policy.forms import CalendarOverrideForm
from xietong.records.models import Attendance, ItemRecord

XIETONG = Path(__file__).resolve().parents[2]
PO = XIETONG / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def test_a_word_with_two_meanings_has_two_messages(zh):
    assert str(Attendance.Status.LATE.label) == "迟到"  # not 逾期, a missed deadline
    assert str(ItemRecord.Outcome.CLOSED.label) == "已办结"  # not 休息, a day off
    assert str(Vote.Status.CLOSED.label) == "已结束"
    assert translation.gettext("Closed") == "休息"  # the calendar's day off keeps its word


def test_chinese_messages_end_labels_with_a_full_width_colon():
    _, entries = read_po(PO)
    ascii_colons = [
        e.msgid
        for e in entries
        for s in (e.msgstr, *e.plural_strs)
        if CJK.search(s) and re.search(r":(\s|$)", s)
    ]
    assert ascii_colons == []


def test_templates_put_no_ascii_colon_after_a_label():
    """A label written as ``{{ _("Reason") }}: …`` shows 原因: in Chinese; ``colon()`` gives 原因：."""
    found = []
    for path in XIETONG.rglob("*.html"):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\}\}:(\s|<|$)", line):
                found.append(f"{path.relative_to(XIETONG)}:{lineno}")
    assert found == []


def test_the_notice_page_uses_full_width_colons_and_numbers_notices_from_one(torg, login):
    meeting = published_meeting(torg)
    notice = meeting.notices.get()
    assert (notice.sequence, notice.number) == (0, 1)
    html = login(torg.tech_head).get(reverse("meetings:notice", args=[meeting.pk])).content.decode()
    assert "#1 " in html and "#0 " not in html
    assert "当前回复：" in html and "当前回复:" not in html
    coordinator_page = (
        login(torg.coordinator).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    )
    assert "#1 " in coordinator_page and "#0 " not in coordinator_page


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (lambda day: CalendarOverrideForm(initial={"day": day}), "day"),
        (lambda day: DelegationForm(initial={"starts_on": day}), "starts_on"),
    ],
)
def test_date_inputs_carry_iso_dates_in_chinese(zh, form, field):
    html = str(form(date(2026, 10, 5))[field])
    assert 'type="date"' in html
    assert 'value="2026-10-05"' in html  # not 2026/10/05, which the date picker cannot read


def test_every_page_links_a_favicon(client):
    html = client.get(reverse("login")).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert icon.endswith("xietong/favicon.svg")
    assert finders.find("xietong/favicon.svg")


def test_the_login_throttling_admin_speaks_chinese(zh):
    assert str(AccessAttempt._meta.verbose_name) == "登录尝试"
    assert str(AccessFailureLog._meta.verbose_name_plural) == "登录失败"
    assert str(AccessLog._meta.verbose_name_plural) == "登录日志"
    assert str(AccessAttempt._meta.get_field("failures_since_start").verbose_name) == "失败次数"
    assert str(AccessLog._meta.get_field("logout_time").verbose_name) == "退出时间"
