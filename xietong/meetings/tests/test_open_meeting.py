from datetime import datetime, timedelta

import pytest

from xietong.meetings.models import Meeting
from xietong.meetings.selectors import open_occurrence
from xietong.meetings.services import series_next_meeting, series_open_meeting
from xietong.policy.calendar import SHANGHAI

MON = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
NEXT_MEETING = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_before_the_agenda_cutoff_topics_go_to_the_coming_meeting(torg):
    # seed 01: the agenda is fixed by Thursday 17:00 (第五条(二)1)
    assert series_open_meeting(series=torg.series, now=MON).starts_at == NEXT_MEETING
    thursday_1659 = datetime(2026, 3, 5, 16, 59, tzinfo=SHANGHAI)
    assert series_open_meeting(series=torg.series, now=thursday_1659).starts_at == NEXT_MEETING


@pytest.mark.django_db
def test_after_the_agenda_cutoff_topics_go_to_the_meeting_after(torg):
    thursday_1701 = datetime(2026, 3, 5, 17, 1, tzinfo=SHANGHAI)
    found = open_occurrence(torg.series, now=thursday_1701)
    assert found.meeting is None and found.starts_at == NEXT_MEETING + timedelta(days=7)
    assert not Meeting.objects.exists()  # the selector only reads
    assert series_open_meeting(series=torg.series, now=thursday_1701).starts_at == NEXT_MEETING + timedelta(
        days=7
    )


@pytest.mark.django_db
def test_a_published_or_cancelled_meeting_takes_no_new_topics(torg):
    coming = series_next_meeting(series=torg.series, now=MON)
    Meeting.objects.filter(pk=coming.pk).update(status=Meeting.Status.PUBLISHED)
    assert series_open_meeting(series=torg.series, now=MON).starts_at == NEXT_MEETING + timedelta(days=7)
    Meeting.objects.filter(pk=coming.pk).update(status=Meeting.Status.CANCELLED)
    assert series_open_meeting(series=torg.series, now=MON).starts_at == NEXT_MEETING + timedelta(days=7)
