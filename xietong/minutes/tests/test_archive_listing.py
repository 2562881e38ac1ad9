"""The archive's month links and sections are written out in Python (minutes.views
_archive_months and _archive_listing) and its query string is read with ArchiveForm's fields
without building the form: each is compared here with the template markup or the form it
stands for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.template import engines
from django.utils import translation

from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes import views
from xietong.minutes.forms import ArchiveForm
from xietong.minutes.models import Minutes
from xietong.minutes.selectors import archive_minutes
from xietong.policy.calendar import SHANGHAI
from xietong.records.tests.helpers import items_of
from xietong.topics import services as topic_services

# The sections as minutes/archive.html wrote them in the template, line by line: the oracle.
TEMPLATE = """\
{% set agenda_label, minutes_label, materials_label = _("Agenda"), _("Meeting minutes"), _("Materials") %}\
{% set year_fmt, month_fmt, week_fmt = _("Year %(y)s"), _("Month %(m)s"), _("Week %(w)s") %}\
{% for y, months in years.items() %}
<section class="card" data-year="{{ y }}">
  <h2>{{ year_fmt % {"y": y} }}</h2>
  {% for mo, weeks in months.items() %}
  <h3 data-month="{{ mo }}">{{ month_fmt % {"m": mo} }}</h3>
  {% for week, rows in weeks.items() %}
  <h4 data-week="{{ week[1] }}">{{ week_fmt % {"w": week[1]} }}</h4>
  <ul>
    {% for m in rows %}
    <li data-minutes="{{ m.pk }}">{{ m.local_start.strftime("%Y-%m-%d %H:%M") }} ·
      <a href="{{ meeting_prefix }}{{ m.meeting_id }}/">{{ m.title }}</a> ·
      <a href="{{ meeting_prefix }}{{ m.meeting_id }}/#agenda">{{ agenda_label }}</a> ·
      <a href="{{ minutes_prefix }}{{ m.pk }}/">{{ minutes_label }} v{{ m.number }}</a>
      {% if m.materials %}<br><small class="materials" data-materials="{{ m.meeting_id }}">\
{{ materials_label }}:{% for f in m.materials %} <a href="{{ material_prefix }}{{ f.pk }}/" \
data-material="{{ f.pk }}">{{ f.name }}</a>{% endfor %}</small>{% endif %}</li>
    {% endfor %}
  </ul>
  {% endfor %}
  {% endfor %}
</section>
{% endfor %}"""


class _Line:
    def __init__(self, entry):
        self.pk, self.number, self.meeting_id = entry.pk, entry.number, entry.meeting_id
        self.title, self.materials = entry.title, entry.materials
        self.local_start = entry.starts_at.astimezone(SHANGHAI)


def _template_sections(entries) -> str:
    years: dict = {}
    for line in map(_Line, entries):
        iso = line.local_start.isocalendar()
        years.setdefault(line.local_start.year, {}).setdefault(line.local_start.month, {}).setdefault(
            (iso.year, iso.week), []
        ).append(line)
    from django.urls import reverse

    context = {
        "years": years,
        "meeting_prefix": reverse("meetings:detail", args=[1])[:-2],
        "minutes_prefix": reverse("minutes:version", args=[1])[:-2],
        "material_prefix": reverse("topics:attachment", args=[1])[:-2],
    }
    engine = next(e for e in engines.all() if hasattr(e, "env"))
    return engine.from_string(TEMPLATE).render(context)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _attach(torg, topic, name, at):
    upload = SimpleUploadedFile(name, b"%PDF-1.4 test\n", content_type="application/pdf")
    return topic_services.topic_attach(topic=topic, upload=upload, actor=torg.coordinator, now=at)


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


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_listing_is_the_markup_the_template_wrote(torg, language):
    meeting = published_meeting(torg, topics=2)
    Meeting.objects.filter(pk=meeting.pk).update(title="<b>周例会</b> & \"引号\" '单'")
    first, second = (i.topic for i in items_of(meeting))
    before = sh(2026, 3, 6, 10, 0)
    _attach(torg, first, "方案<1>.pdf", before)
    _attach(torg, second, 'A & "B".pdf', before)
    _attach(torg, first, "报价单.pdf", before)
    _approved(meeting)
    _approved(meeting, number=2)  # the newest approved version is listed, with the materials once
    _approved(meeting, number=3, status="draft")
    for starts_at, title in (
        (sh(2026, 3, 9, 14, 0), "同一周"),
        (sh(2026, 3, 31, 9, 0), "三月末"),  # ISO week 14 starts in March…
        (sh(2026, 4, 2, 9, 0), "四月初"),  # …and goes on in April
        (sh(2026, 1, 1, 0, 0), "元旦零点"),
        (sh(2026, 12, 31, 23, 59), "年末"),  # ISO 2026-W53
        (sh(2027, 1, 1, 0, 0), "次年元旦"),  # ISO 2026-W53 as well, in the next year
    ):
        _approved(_meeting_at(torg, meeting, starts_at, title))
    entries = archive_minutes(
        torg.coordinator, start=sh(2025, 1, 1, 0, 0), end=sh(2028, 1, 1, 0, 0), sees_all=True
    )
    assert len(entries) == 7 and any(e.materials for e in entries)
    with translation.override(language):
        assert str(views._archive_listing(entries)) == _template_sections(entries)
        assert str(views._archive_listing([])) == _template_sections([]) == ""


# The links to the months as the template wrote them.
MONTHS = """\
{% set month_fmt = _("Month %(m)s") %}{% set archive_url = url('minutes:archive') %}\
{% for m in range(1, 13) %}<a href="{{ archive_url }}?year={{ year }}&amp;month={{ m }}"\
{% if m == month %} aria-current="page"{% endif %}>{{ month_fmt % {"m": m} }}</a> {% endfor %}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_month_links_are_the_markup_the_template_wrote(language):
    engine = next(e for e in engines.all() if hasattr(e, "env"))
    with translation.override(language):
        for year, month in ((2026, None), (2026, 1), (2025, 7), (2100, 12)):
            expected = engine.from_string(MONTHS).render({"year": year, "month": month})
            assert str(views._archive_months(year, month)) == expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        "year=2026",
        "year=2025&month=12",
        "year=2026&month=3",
        "year=abc",
        "year=2026&month=13",
        "month=0",
        "month=2",
        "year=1999",
        "year=2100&month=12",
        "year=2101",
        "year=2026.0&month= 3 ",
        "year=&month=",
        "year=2024&year=2025",
        "year=" + "9" * 5000,
    ],
)
def test_period_is_what_the_form_reads(query):
    today = sh(2026, 3, 9, 11, 0).date()
    data = QueryDict(query)
    form = ArchiveForm(data)
    year, month = today.year, None
    if form.is_valid():
        year = form.cleaned_data["year"] or year
        month = form.cleaned_data["month"]
    assert views._archive_period(data, today) == (year, month)
