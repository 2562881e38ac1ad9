import pytest
from django.utils import translation

from xietong.core.errors import DomainError
from xietong.core.text import clean_field


def shown(error: DomainError) -> str:
    """The refusal as a person reading the product's default language sees it."""
    with translation.override("zh-hans"):
        return str(error)


def test_text_is_trimmed():
    assert clean_field("  agenda  \n", field="title", max_length=10, required=True) == "agenda"


def test_missing_optional_text_is_empty():
    assert clean_field(None, field="note", max_length=10, required=False) == ""
    assert clean_field("   ", field="note", max_length=10, required=False) == ""


def test_non_text_counts_as_empty():
    with pytest.raises(DomainError) as caught:
        clean_field(42, field="name", max_length=10, required=True)
    assert caught.value.code == "required"


@pytest.mark.parametrize("value", [None, "", " \t\n "])
def test_required_text_is_refused_when_missing(value):
    with pytest.raises(DomainError) as caught:
        clean_field(value, field="reason", max_length=10, required=True)
    assert caught.value.code == "required"
    assert caught.value.field == "reason"
    assert shown(caught.value) == "此项为必填项。"


def test_nul_is_refused():
    with pytest.raises(DomainError) as caught:
        clean_field("a\x00b", field="note", max_length=10, required=False)
    assert caught.value.code == "invalid"
    assert caught.value.field == "note"
    assert shown(caught.value) == "文本中含有不允许的字符。"


def test_too_long_text_is_refused_after_trimming():
    assert clean_field("  abcde  ", field="title", max_length=5, required=True) == "abcde"
    with pytest.raises(DomainError) as caught:
        clean_field("abcdef", field="title", max_length=5, required=True)
    assert caught.value.code == "too_long"
    assert caught.value.field == "title"
    assert caught.value.params == {"max": 5, "length": 6}
    assert shown(caught.value) == "请控制在 5 个字符以内（当前 6 个）。"
