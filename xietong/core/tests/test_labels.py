"""get_FOO_display() from labels cached per field and language: the same text as Django's."""

from __future__ import annotations

import pytest
from django.db import models
from django.utils import translation

from xietong.agenda.models import Agenda, AgendaItem
from xietong.core.labels import ChoiceLabels
from xietong.meetings.models import Meeting, Rsvp
from xietong.obligations.models import Obligation


def _django_display(obj, field):
    return models.Model._get_FIELD_display(obj, field)


@pytest.mark.parametrize("model", [Meeting, Rsvp, Agenda, AgendaItem, Obligation])
def test_every_choice_shows_as_django_shows_it_in_both_languages(model):
    assert issubclass(model, ChoiceLabels)
    fields = [f for f in model._meta.concrete_fields if f.choices]
    assert fields
    for field in fields:
        for value, _label in field.flatchoices:
            obj = model(**{field.attname: value})
            for language in ("zh-hans", "en", "zh-hans"):
                with translation.override(language):
                    shown = getattr(obj, f"get_{field.name}_display")()
                    assert shown == _django_display(obj, field)
                    assert isinstance(shown, str)


def test_labels_follow_the_language_and_unknown_values_show_as_stored():
    meeting = Meeting(status=Meeting.Status.CANCELLED)
    with translation.override("en"):
        assert meeting.get_status_display() == "Cancelled"
    with translation.override("zh-hans"):
        assert meeting.get_status_display() == "已取消"
    meeting.status = "retired_status"
    assert meeting.get_status_display() == "retired_status"
    duty = Obligation(kind="retired_kind")
    assert duty.get_kind_display() == "retired_kind"
