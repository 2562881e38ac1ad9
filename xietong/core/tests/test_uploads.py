"""Uploads judged by their bytes: each extension against the signatures it may have."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from xietong.core import uploads
from xietong.core.errors import DomainError

from .uploadsamples import (
    EXE,
    HTML,
    JPG,
    OLE2,
    PDF,
    PNG,
    SVG,
    TEXT,
    TEXT_GB18030,
    docx_bytes,
    xlsx_bytes,
    zip_bytes,
)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("方案.pdf", PDF),
        ("方案.docx", docx_bytes()),
        ("预算.xlsx", xlsx_bytes()),
        ("汇报.pptx", zip_bytes()),  # a ZIP container, as every .pptx is
        ("材料.zip", zip_bytes()),
        ("旧方案.doc", OLE2),
        ("旧预算.xls", OLE2),
        ("方案.WPS", OLE2),
        ("表格.et", OLE2),
        ("演示.dps", OLE2),
        ("现场.png", PNG),
        ("现场.jpg", JPG),
        ("现场.JPEG", JPG),
        ("要点.txt", TEXT),
        ("要点.txt", b"\xef\xbb\xbf" + TEXT),
        ("要点.txt", TEXT_GB18030),
        ("比较.txt", b"a < b and b > c\n"),
        ("policy.toml", b'[rules.x]\nclause = "=1+2"\n'),
        ("roster.csv", "部门,姓名\n技术部,张三\n".encode("gb18030")),
    ],
)
def test_content_of_the_named_kind_is_accepted(name, content):
    file = upload(name, content)
    uploads.check_content(file, name=name)
    assert file.read() == content  # the check leaves the file at its start


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe.pdf", EXE),
        ("notepad.pdf", EXE),
        ("pic.png", SVG),
        ("pic.png", JPG),
        ("photo.jpg", PNG),
        ("readme.txt", HTML),
        ("readme.txt", b"  \n<SCRIPT>alert(1)</SCRIPT>"),
        ("readme.txt", b"\xef\xbb\xbf<svg onload=alert(1)>"),
        ("readme.txt", b'<?xml version="1.0"?><svg/>'),
        ("readme.txt", EXE),
        ("readme.txt", b"text with a \x00 byte"),
        ("readme.txt", b"\xff\xfe\xff\xfe\x81"),  # neither UTF-8 nor GB18030
        ("evil.html.pdf", HTML),
        ("方案.docx", PDF),
        ("方案.docx", OLE2),
        ("旧方案.doc", docx_bytes()),
        ("方案.wps", EXE),
        ("材料.zip", EXE),
        ("roster.xlsx", EXE),
        ("roster.xlsx", b"\xef\xbb\xbf\xe9\x83\xa8\xe9\x97\xa8,\xe5\xa7\x93\xe5\x90\x8d\n"),
        ("roster.csv", HTML),
        ("policy.toml", PNG),
        ("unknown.rar", PDF),
    ],
)
def test_content_of_another_kind_is_refused_naming_the_file(name, content):
    with pytest.raises(DomainError) as err:
        uploads.check_content(upload(name, content), name=name)
    assert (err.value.code, err.value.field) == ("file_content", "file")
    ext = name[name.rfind(".") :].lower()
    with translation.override("en"):
        assert str(err.value) == (
            f"The content of “{name}” does not match its extension {ext}; it cannot be uploaded."
        )
    with translation.override("zh-hans"):
        assert str(err.value) == f"“{name}”的内容与其扩展名 {ext} 不符，不能上传。"


def test_an_extension_without_its_own_rule_takes_the_signature_of_that_name():
    assert uploads.content_matches(upload("a.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 8), ".rar")
    assert not uploads.content_matches(upload("a.rar", PDF), ".rar")


def test_a_large_text_file_is_read_in_chunks(tmp_path):
    # Two chunks of Django's 64 KB: the NUL in the second one is found too.
    content = TEXT * (70 * 1024 // len(TEXT))
    assert uploads.content_matches(upload("a.txt", content), ".txt")
    assert not uploads.content_matches(upload("a.txt", content + b"\x00"), ".txt")
