"""Minutes as a .docx laid out like a Chinese official document (GB/T 9704-2012).

A4; margins top 37 mm, bottom 35, left 28, right 26; title 2号 (22 pt) 小标宋, centred; body
3号 (16 pt) 仿宋 at a fixed 29 pt line pitch; headings numbered 一、 → （一） → 1. → （1） in
黑体, 楷体, 仿宋, 仿宋. python-docx's ``Font.name`` sets only the Latin fonts, so the East-Asian
font (``w:eastAsia``) is set explicitly on the styles and on every run, and the template's
``*Theme`` font attributes (which make Word fall back to a Japanese font) are removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONTS = ("黑体", "楷体_GB2312", BODY_FONT, BODY_FONT)
LATIN_FONT = "Times New Roman"
TITLE_SIZE = Pt(22)  # 2号
BODY_SIZE = Pt(16)  # 3号
LINE_PITCH = Pt(29)  # 225 mm / 22 lines
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

_CN = "零一二三四五六七八九"


@dataclass(frozen=True)
class DocSection:
    """A numbered heading with its paragraphs and sub-sections (at most four levels)."""

    heading: str
    paragraphs: Sequence[str] = ()
    children: Sequence[DocSection] = field(default_factory=tuple)


def chinese_numeral(n: int) -> str:
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return (_CN[tens] if tens > 1 else "") + "十" + (_CN[ones] if ones else "")


def heading_number(level: int, n: int) -> str:
    """一、 （一） 1. （1） for levels 1–4."""
    if level == 1:
        return f"{chinese_numeral(n)}、"
    if level == 2:
        return f"（{chinese_numeral(n)}）"
    if level == 3:
        return f"{n}."
    return f"（{n}）"


def _set_fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    rfonts = rpr.get_or_add_rFonts()
    for attr in THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


# Control characters XML cannot carry (pasted from Word: \x07, \x0b …) would make python-docx
# refuse the whole document; they are invisible, so they are dropped.
_NOT_XML = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _run(paragraph, text: str, *, east_asia: str, size, bold: bool = False):
    run = paragraph.add_run(text.translate(_NOT_XML))
    run.font.size = size
    run.font.bold = bold
    _set_fonts(run._element.get_or_add_rPr(), east_asia)
    return run


def _body_paragraph(document, *, indent: bool = True):
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = BODY_SIZE * 2
    return paragraph


def _prepare(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    # docDefaults: drop the theme fonts, set ours.
    styles_el = document.styles.element
    defaults = styles_el.find(qn("w:docDefaults"))
    if defaults is not None:
        for rfonts in defaults.iter(qn("w:rFonts")):
            for attr in THEME_ATTRS:
                rfonts.attrib.pop(qn(attr), None)
            rfonts.set(qn("w:ascii"), LATIN_FONT)
            rfonts.set(qn("w:hAnsi"), LATIN_FONT)
            rfonts.set(qn("w:eastAsia"), BODY_FONT)
    # Every style that names theme fonts gets explicit ones instead.
    for rfonts in styles_el.iter(qn("w:rFonts")):
        if any(rfonts.get(qn(attr)) is not None for attr in THEME_ATTRS):
            for attr in THEME_ATTRS:
                rfonts.attrib.pop(qn(attr), None)
            rfonts.set(qn("w:ascii"), LATIN_FONT)
            rfonts.set(qn("w:hAnsi"), LATIN_FONT)
            rfonts.set(qn("w:eastAsia"), BODY_FONT)
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE_PITCH


def _add_section(document, section: DocSection, level: int, n: int) -> None:
    paragraph = _body_paragraph(document)
    level = min(level, 4)
    _run(
        paragraph,
        heading_number(level, n) + section.heading,
        east_asia=HEADING_FONTS[level - 1],
        size=BODY_SIZE,
    )
    for text in section.paragraphs:
        _run(_body_paragraph(document), text, east_asia=BODY_FONT, size=BODY_SIZE)
    for k, child in enumerate(section.children, start=1):
        _add_section(document, child, level + 1, k)


def minutes_docx(title: str, meta: Sequence[str], sections: Sequence[DocSection]) -> bytes:
    """The .docx bytes: centred title, meta lines (time, place, attendees…), numbered sections."""
    document = docx.Document()
    _prepare(document)
    heading = _body_paragraph(document, indent=False)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.line_spacing = Pt(36)
    heading.paragraph_format.space_after = LINE_PITCH
    _run(heading, title, east_asia=TITLE_FONT, size=TITLE_SIZE)
    for line in meta:
        _run(_body_paragraph(document), line, east_asia=BODY_FONT, size=BODY_SIZE)
    for n, section in enumerate(sections, start=1):
        _add_section(document, section, 1, n)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
