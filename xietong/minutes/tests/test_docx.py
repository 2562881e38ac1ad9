"""The official-document .docx read back with python-docx (plain module, no database)."""

from __future__ import annotations

from io import BytesIO
from zipfile import ZipFile

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from xietong.minutes.docx import official_docx
from xietong.minutes.layout import read_minutes

from .minutes_samples import BODY, LABELS, ZH

DISTRIBUTION = "分送：会议领导小组，技术部，市场部。"
SIGNOFF = ("签发：王主持", "审核：王主持", "记录：李记录")


def build():
    doc = read_minutes(BODY, vocabulary=ZH, labels=LABELS, distribution=DISTRIBUTION, signoff=SIGNOFF)
    data = official_docx(doc)
    return data, docx.Document(BytesIO(data))


def part(data: bytes, name: str) -> str:
    with ZipFile(BytesIO(data)) as z:
        return z.read(name).decode()


def close(a, b) -> bool:
    return abs(a - b) <= Mm(0.1)


def test_a4_and_gbt9704_margins():
    _data, document = build()
    section = document.sections[0]
    assert close(section.page_width, Mm(210)) and close(section.page_height, Mm(297))
    assert close(section.top_margin, Mm(37)) and close(section.bottom_margin, Mm(35))
    assert close(section.left_margin, Mm(28)) and close(section.right_margin, Mm(26))


def test_title_centred_bold_at_22pt_and_body_at_16pt():
    _data, document = build()
    title = document.paragraphs[0]
    assert title.text == "跨科室周例会会议纪要"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0].font.size == Pt(22) and title.runs[0].font.bold is True
    body = [p for p in document.paragraphs[1:] if p.text and p.text != DISTRIBUTION]
    assert all(r.font.size == Pt(16) for p in body for r in p.runs)


def test_the_four_levels_with_their_fonts():
    _data, document = build()
    by_text = {p.text: p for p in document.paragraphs}
    for text, font in [
        ("一、停车位改造", "黑体"),
        ("（一）议定事项", "楷体_GB2312"),
        (
            "1.提交停车位改造方案（负责部门：技术部；负责人：周技术；完成时限：2026年3月20日）。",
            "仿宋_GB2312",
        ),
        ("（1）涉及资源：资金，50,000元", "仿宋_GB2312"),
        ("（二）任务分工", "楷体_GB2312"),
        ("二、宣传物料", "黑体"),
        ("三、下次会议", "黑体"),
    ]:
        assert text in by_text, text
        assert by_text[text].runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == font
    texts = [p.text for p in document.paragraphs]
    assert texts.index("三、下次会议") + 1 == texts.index("2026-03-16 09:00，三楼会议室")


def test_action_items_as_a_table_and_no_raw_notation():
    data, document = build()
    [table] = document.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["序号", "任务", "负责部门", "负责人", "完成时限"]
    assert rows[1] == ["1", "提交停车位改造方案", "技术部", "周技术", "2026年3月20日"]
    assert len(rows) == 3
    body = part(data, "word/document.xml")
    assert "](" not in body and "负责人:" not in body and "截止日期" not in body


def test_page_number_field_in_the_footer_dash_number_dash():
    data, document = build()
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        assert paragraph.alignment == alignment
        assert paragraph.text.replace(" ", "") == "—1—"
        instr = [el.text for el in paragraph._p.iter(qn("w:instrText"))]
        assert instr == [" PAGE "]
        kinds = [el.get(qn("w:fldCharType")) for el in paragraph._p.iter(qn("w:fldChar"))]
        assert kinds == ["begin", "separate", "end"]
    assert "PAGE" not in part(data, "word/document.xml")


def test_document_language_is_zh_cn():
    data, document = build()
    styles = part(data, "word/styles.xml")
    assert 'w:eastAsia="zh-CN"' in styles
    lang = document.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN" and lang.get(qn("w:val")) == "zh-CN"
    assert document.core_properties.language == "zh-CN"
    assert document.core_properties.title == "跨科室周例会会议纪要"


def test_signoff_and_distribution_record_with_rules():
    _data, document = build()
    texts = [p.text for p in document.paragraphs]
    assert "签发：王主持　　审核：王主持　　记录：李记录" in texts
    record = document.paragraphs[-1]
    assert record.text == DISTRIBUTION
    borders = record._p.pPr.find(qn("w:pBdr"))
    assert borders is not None and borders.find(qn("w:top")) is not None
    assert borders.find(qn("w:bottom")) is not None


def test_east_asian_fonts_set_explicitly_and_no_theme_fonts():
    data, document = build()
    styles = part(data, "word/styles.xml")
    body = part(data, "word/document.xml")
    assert 'w:eastAsia="仿宋_GB2312"' in styles
    assert 'w:eastAsia="方正小标宋简体"' in body
    assert "eastAsiaTheme" not in styles and "asciiTheme" not in body and "eastAsiaTheme" not in body
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            assert run._element.rPr.rFonts.get(qn("w:eastAsia"))


def test_control_characters_are_dropped():
    doc = read_minutes("标题\x07\n一、议题\x07甲", vocabulary=ZH)
    document = docx.Document(BytesIO(official_docx(doc)))
    assert document.paragraphs[0].text == "标题"
    assert document.paragraphs[1].text == "一、议题甲"
