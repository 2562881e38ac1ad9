"""The archive lists each meeting's newest approved minutes under year → month → ISO week of
the meeting's start in Shanghai, with its meeting, agenda and materials, texts escaped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes.models import Minutes
from xietong.records.tests.helpers import items_of
from xietong.topics import services as topic_services

NOW = sh(2026, 3, 9, 11, 0)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _attach(torg, topic, name):
    upload = SimpleUploadedFile(name, b"%PDF-1.4 test\n", content_type="application/pdf")
    return topic_services.topic_attach(
        topic=topic, upload=upload, actor=torg.coordinator, now=sh(2026, 3, 6, 10, 0)
    )


def _approved(meeting, number=1, status="approved"):
    at = meeting.ends_at
    return Minutes.objects.create(
        meeting=meeting,
        number=number,
        body="纪要",
        status=status,
        drafted_at=at,
        updated_at=at,
        approved_at=at,
    )


def _meeting_at(torg, like, starts_at, title):
    return Meeting.objects.create(
        policy_version=like.policy_version,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        host=torg.host,
        recorder=torg.recorder,
        status=Meeting.Status.HELD,
    )


def _archive(client, query, language):
    client.cookies["django_language"] = language
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/minutes/archive/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def _sections(page) -> list[tuple[str, str]]:
    """(kind, value) of each heading and line, in page order."""
    found = re.finditer(r'data-(year|month|week|minutes)="(\d+)"', page)
    return [(m.group(1), m.group(2)) for m in found]


@pytest.mark.parametrize(
    ("language", "year", "month", "week"), [("en", "Year", "Month", "Week"), ("zh-hans", "年", "月", "周")]
)
def test_lines_are_grouped_by_year_month_and_iso_week(torg, login, language, year, month, week):
    meeting = published_meeting(torg, topics=2)
    lines = {
        title: _approved(_meeting_at(torg, meeting, starts_at, title))
        for starts_at, title in (
            (sh(2026, 1, 1, 0, 0), "元旦零点"),  # ISO 2026-W01
            (sh(2026, 3, 31, 9, 0), "三月末"),  # ISO week 14 starts in March…
            (sh(2026, 4, 2, 9, 0), "四月初"),  # …and goes on in April
            (sh(2026, 12, 31, 23, 59), "年末"),  # ISO 2026-W53
            (sh(2027, 1, 1, 0, 0), "次年元旦"),  # next year's archive
        )
    }
    page = _archive(login(torg.coordinator), "year=2026", language)
    assert _sections(page) == [
        ("year", "2026"),
        ("month", "1"),
        ("week", "1"),
        ("minutes", str(lines["元旦零点"].pk)),
        ("month", "3"),
        ("week", "14"),
        ("minutes", str(lines["三月末"].pk)),
        ("month", "4"),
        ("week", "14"),
        ("minutes", str(lines["四月初"].pk)),
        ("month", "12"),
        ("week", "53"),
        ("minutes", str(lines["年末"].pk)),
    ]
    assert year in page and month in page and week in page
    assert "2026-03-31 09:00 ·" in page and "2026-12-31 23:59 ·" in page  # the start in Shanghai
    assert 'href="/minutes/archive/?year=2026&amp;month=3"' in page
    april = _archive(login(torg.coordinator), "year=2026&month=4", language)
    assert _sections(april) == [
        ("year", "2026"),
        ("month", "4"),
        ("week", "14"),
        ("minutes", str(lines["四月初"].pk)),
    ]
    assert 'href="/minutes/archive/?year=2026&amp;month=4" aria-current="page"' in april


def test_a_line_links_the_meeting_its_agenda_the_newest_minutes_and_the_materials(torg, login):
    meeting = published_meeting(torg, topics=2)
    Meeting.objects.filter(pk=meeting.pk).update(title='<b>周例会</b> & "引号"')
    first, second = (i.topic for i in items_of(meeting))
    plan = _attach(torg, first, "方案<1>.pdf")
    quote = _attach(torg, second, 'A & "B".pdf')
    _approved(meeting)
    newest = _approved(meeting, number=2)
    _approved(meeting, number=3, status="draft")
    page = _archive(login(torg.coordinator), "year=2026", "zh-hans")
    assert page.count("data-minutes=") == 1
    line = page.split(f'data-minutes="{newest.pk}"', 1)[1].split("</li>", 1)[0]
    assert "&lt;b&gt;周例会&lt;/b&gt; &amp; &#34;引号&#34;" in line and "<b>" not in line
    assert f'href="/meetings/{meeting.pk}/"' in line and f'href="/meetings/{meeting.pk}/#agenda"' in line
    assert f'href="/minutes/{newest.pk}/"' in line and "v2" in line
    assert f'href="/topics/materials/{plan.pk}/" data-material="{plan.pk}">方案&lt;1&gt;.pdf</a>' in line
    assert f'data-material="{quote.pk}">A &amp; &#34;B&#34;.pdf</a>' in line
    assert line.count("data-material=") == 2  # once each, though two versions are approved


@pytest.mark.parametrize("query", ["year=abc", "year=2026&month=13", "year=2101", "year=" + "9" * 500])
def test_a_period_out_of_range_shows_this_year(torg, login, query):
    meeting = published_meeting(torg, topics=1)
    minutes = _approved(meeting)
    page = _archive(login(torg.coordinator), query, "en")
    assert f'data-minutes="{minutes.pk}"' in page and 'href="/minutes/archive/?year=2025"' in page


def test_an_empty_period_says_so(torg, login):
    page = _archive(login(torg.coordinator), "year=2020", "en")
    assert "No approved minutes in this period." in page and "data-year=" not in page
