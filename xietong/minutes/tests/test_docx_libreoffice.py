"""The minutes .docx as LibreOffice lays it out: converted to PDF, its text shows the four heading
levels, the action-item table and a page number “— n —” on every page (no database).

Without LibreOffice (or pdftotext) the test is skipped on a developer's machine; under CI=true or
XIETONG_REQUIRE_BROWSER=1 it fails instead, so a missing converter never hides it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from xietong.minutes.docx import official_docx
from xietong.minutes.layout import read_minutes

from .minutes_samples import BODY, LABELS, ZH, require_tool

NAME = "跨科室周例会纪要（2026-03-09）"


def _pdf_text(docx_path: Path, workdir: Path) -> list[str]:
    """The text of each page of the PDF LibreOffice makes of ``docx_path``."""
    soffice = require_tool("/usr/bin/soffice", "libreoffice-writer-nogui")
    pdftotext = require_tool("pdftotext", "poppler-utils")
    profile = workdir / "lo-profile"  # its own profile: no clash with a running LibreOffice
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workdir),
            str(docx_path),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(workdir)},
    )
    pdf = docx_path.with_suffix(".pdf")
    assert pdf.is_file(), f"LibreOffice made no {pdf.name}"
    out = subprocess.run(
        [pdftotext, "-layout", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    return out.split("\f")


def test_libreoffice_shows_levels_table_and_page_numbers(tmp_path):
    # Enough discussion to run onto a second page (an even page: its number on the left).
    body = BODY.replace(
        "结果：已决定", "\n".join(["会议讨论了改造的时间安排和施工期间的临时停车办法。"] * 40)
    )
    doc = read_minutes(body, vocabulary=ZH, labels=LABELS, distribution="分送：会议领导小组，技术部。")
    path = tmp_path / f"{NAME}.docx"
    path.write_bytes(official_docx(doc))
    pages = [p for p in _pdf_text(path, tmp_path) if p.strip()]
    assert len(pages) >= 2
    text = re.sub(r"[ \t]+", "", "\n".join(pages))
    for heading in [
        "一、停车位改造",
        "（一）议定事项",
        "1.提交停车位改造方案",
        "（1）涉及资源：资金，50,000元",
        "三、下次会议",
    ]:
        assert heading in text, heading
    assert "负责部门" in text and "完成时限" in text and "](" not in text
    for n, page in enumerate(pages, start=1):
        assert re.search(rf"—\s*{n}\s*—", page), f"page {n} has no “— {n} —”"


def test_a_missing_converter_fails_in_ci_and_skips_on_a_developers_machine(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda _path: None)
    monkeypatch.delenv("XIETONG_REQUIRE_BROWSER", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt install libreoffice-writer-nogui"):
        require_tool("/usr/bin/soffice", "libreoffice-writer-nogui")
    monkeypatch.delenv("CI")
    monkeypatch.setenv("XIETONG_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception):
        require_tool("pdftotext", "poppler-utils")
    monkeypatch.delenv("XIETONG_REQUIRE_BROWSER")
    with pytest.raises(pytest.skip.Exception):
        require_tool("pdftotext", "poppler-utils")
