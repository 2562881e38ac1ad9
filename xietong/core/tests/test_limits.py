import pytest

from xietong.core.limits import max_length
from xietong.topics.models import Topic


def test_max_length_is_read_from_the_model_field():
    assert max_length(Topic, "title") == Topic._meta.get_field("title").max_length == 120


def test_a_field_without_max_length_is_refused():
    with pytest.raises(TypeError, match="Topic.created_at has no max_length"):
        max_length(Topic, "created_at")
