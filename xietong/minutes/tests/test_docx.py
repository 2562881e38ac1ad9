from __future__ import annotations

from io import BytesIO
from zipfile import ZipFile

import docx
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from xietong.minutes.docx import DocSection, heading_number, minutes_docx

SECTIONS = [
    DocSection(
        "停车位改造",
        ["会议讨论了停车位改造方案。"],
        [
            DocSection(
                "决议",
                [],
                [
                    DocSection(
                        "技术部提交方案",
                        ["[提交方案](负责人:周技术,截止日期:2026-03-20)"],
                        [DocSection("细项", ["说明"])],
                    )
                ],
            ),
            DocSection("延期事项", ["技术部提供新方案后再次讨论"]),
        ],
    ),
    DocSection("其他事项", ["无"]),
]


def build():
    data = minutes_docx("跨科室周例会纪要", ["时间:2026-03-09 09:00", "出席:周技术、王市场"], SECTIONS)
    return data, docx.Document(BytesIO(data))


def close(a, b) -> bool:
    return abs(a - b) <= Mm(0.1)


def test_a4_and_gbt9704_margins():
    _data, document = build()
    section = document.sections[0]
    assert close(section.page_width, Mm(210)) and close(section.page_height, Mm(297))
    assert close(section.top_margin, Mm(37)) and close(section.bottom_margin, Mm(35))
    assert close(section.left_margin, Mm(28)) and close(section.right_margin, Mm(26))


def test_east_asian_fonts_set_explicitly_and_no_theme_fonts():
    data, document = build()
    with ZipFile(BytesIO(data)) as z:
        styles = z.read("word/styles.xml").decode()
        body = z.read("word/document.xml").decode()
    assert 'w:eastAsia="仿宋_GB2312"' in styles
    assert 'w:eastAsia="方正小标宋简体"' in body
    assert 'w:eastAsia="仿宋_GB2312"' in body
    assert 'w:eastAsia="黑体"' in body and 'w:eastAsia="楷体_GB2312"' in body
    assert "Theme=" not in styles.replace("w:cstheme", "") and "eastAsiaTheme" not in styles
    assert "asciiTheme" not in body and "eastAsiaTheme" not in body
    # Every run names its East-Asian font.
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            assert run._element.rPr.rFonts.get(qn("w:eastAsia"))
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_title_centred_at_22pt_and_body_at_16pt():
    _data, document = build()
    title = document.paragraphs[0]
    assert title.text == "跨科室周例会纪要"
    assert title.alignment == 1  # centre
    assert title.runs[0].font.size == Pt(22)
    assert all(r.font.size == Pt(16) for p in document.paragraphs[1:] for r in p.runs)


def test_numbering_one_level_after_another():
    _data, document = build()
    texts = [p.text for p in document.paragraphs]
    for expected in [
        "一、停车位改造",
        "（一）决议",
        "1.技术部提交方案",
        "（1）细项",
        "（二）延期事项",
        "二、其他事项",
        "[提交方案](负责人:周技术,截止日期:2026-03-20)",
        "时间:2026-03-09 09:00",
    ]:
        assert expected in texts, expected


def test_heading_numbers():
    assert [heading_number(1, n) for n in (1, 10, 11)] == ["一、", "十、", "十一、"]
    assert (
        heading_number(2, 3) == "（三）"
        and heading_number(3, 12) == "12."
        and heading_number(4, 2) == "（2）"
    )
