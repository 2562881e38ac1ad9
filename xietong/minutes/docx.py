"""Minutes as a .docx laid out like a Chinese official document (GB/T 9704-2012).

A4; margins top 37 mm, bottom 35, left 28, right 26; title 2号 (22 pt) 小标宋, centred and
bold; body 3号 (16 pt) 仿宋 at a fixed 29 pt line pitch; headings numbered 一、 → （一） → 1. →
（1） in 黑体, 楷体, 仿宋, 仿宋; action items as a table; page numbers “— 1 —” in 4号 宋体 in the
footer (odd pages right, even pages left, one character in from the margin); the 版记 (分送)
between two rules at the end. The document's language is zh-CN.

python-docx's ``Font.name`` sets only the Latin fonts, so the East-Asian font (``w:eastAsia``)
is set explicitly on the styles and on every run, and the template's ``*Theme`` font attributes
(which make Word fall back to a Japanese font) are removed. Plain Python: the structure comes
from xietong.minutes.layout.
"""

from __future__ import annotations

from io import BytesIO

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .layout import Block, OfficialDocument

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONTS = ("黑体", "楷体_GB2312", BODY_FONT, BODY_FONT)
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
TITLE_SIZE = Pt(22)  # 2号
BODY_SIZE = Pt(16)  # 3号
SMALL_SIZE = Pt(14)  # 4号: page numbers, tables, 版记
LINE_PITCH = Pt(29)  # 225 mm / 22 lines
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
# The table of action items: 序号 / 任务 / 负责部门 / 负责人 / 完成时限, 156 mm in all.
COLUMN_WIDTHS = (Mm(12), Mm(52), Mm(30), Mm(24), Mm(38))
# The elements that follow w:pBdr in a paragraph's properties (ECMA-376 order).
_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _set_fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    rfonts = rpr.get_or_add_rFonts()
    for attr in THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _set_language(rpr, language: str) -> None:
    """``<w:lang w:val=… w:eastAsia="zh-CN">``: Chinese proofing and line breaking."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


# Control characters XML cannot carry (pasted from Word: \x07, \x0b …) would make python-docx
# refuse the whole document; they are invisible, so they are dropped.
_NOT_XML = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _run(paragraph, text: str, *, east_asia: str, size, bold: bool = False):
    run = paragraph.add_run(text.translate(_NOT_XML))
    run.font.size = size
    run.font.bold = bold
    _set_fonts(run._element.get_or_add_rPr(), east_asia)
    return run


def _fixed_pitch(paragraph, pitch=LINE_PITCH):
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = pitch
    fmt.space_before = fmt.space_after = Pt(0)
    return paragraph


def _body_paragraph(document, *, indent: bool = True):
    paragraph = _fixed_pitch(document.add_paragraph())
    if indent:
        paragraph.paragraph_format.first_line_indent = BODY_SIZE * 2
    return paragraph


def _rule(paragraph, *sides: str, size: int = 8) -> None:
    """A solid rule along ``sides`` ("top", "bottom") of the paragraph (size in eighths of a point)."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    for side in sides:
        line = OxmlElement(f"w:{side}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), str(size))
        line.set(qn("w:space"), "1")
        line.set(qn("w:color"), "000000")
        border.append(line)
    ppr.insert_element_before(border, *_AFTER_PBDR)


def _page_field(paragraph, size) -> None:
    """The PAGE field (Word and LibreOffice fill in the number of each page)."""

    def char(kind: str) -> None:
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
        run.font.size = size
        _set_fonts(run._element.get_or_add_rPr(), PAGE_NUMBER_FONT)

    char("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run._r.append(instr)
    char("separate")
    _run(paragraph, "1", east_asia=PAGE_NUMBER_FONT, size=size)
    char("end")


def _page_numbers(document) -> None:
    """“— 1 —” at the foot: odd pages on the right, even pages on the left, one 4号 character in."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = alignment
        if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = SMALL_SIZE
        else:
            paragraph.paragraph_format.left_indent = SMALL_SIZE
        _run(paragraph, "— ", east_asia=PAGE_NUMBER_FONT, size=SMALL_SIZE)
        _page_field(paragraph, SMALL_SIZE)
        _run(paragraph, " —", east_asia=PAGE_NUMBER_FONT, size=SMALL_SIZE)


def _explicit_fonts(rfonts) -> None:
    for attr in THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), BODY_FONT)


def _prepare(document, language: str) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28)  # the page number sits 7 mm below the last line
    styles_el = document.styles.element
    # docDefaults: our fonts instead of the theme's, and the document's language.
    defaults = styles_el.find(qn("w:docDefaults"))
    if defaults is not None:
        for rfonts in defaults.iter(qn("w:rFonts")):
            _explicit_fonts(rfonts)
        for rpr in defaults.iter(qn("w:rPr")):
            _set_language(rpr, language)
    # Every style that names theme fonts gets explicit ones instead.
    for rfonts in styles_el.iter(qn("w:rFonts")):
        if any(rfonts.get(qn(attr)) is not None for attr in THEME_ATTRS):
            _explicit_fonts(rfonts)
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    rpr = normal.element.get_or_add_rPr()
    _set_fonts(rpr, BODY_FONT)
    _set_language(rpr, language)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE_PITCH
    document.core_properties.language = language


def _heading(document, block: Block) -> None:
    level = min(max(block.level, 1), 4)
    _run(_body_paragraph(document), block.heading, east_asia=HEADING_FONTS[level - 1], size=BODY_SIZE)


def _table(document, rows) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Word reads the cells' widths, LibreOffice the grid's: both are set.
    for column, width in zip(table.columns, COLUMN_WIDTHS, strict=False):
        column.width = width
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            if c < len(COLUMN_WIDTHS):
                cell.width = COLUMN_WIDTHS[c]
            paragraph = _fixed_pitch(cell.paragraphs[0], Pt(22))
            if r == 0 or c != 1:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(paragraph, text, east_asia="黑体" if r == 0 else BODY_FONT, size=SMALL_SIZE)


def official_docx(doc: OfficialDocument) -> bytes:
    """The .docx bytes of ``doc``: title, meta lines, numbered sections and tables, the sign-off
    lines, the 版记 with the distribution, page numbers in the footer."""
    document = docx.Document()
    _prepare(document, doc.language)
    document.core_properties.title = doc.title.translate(_NOT_XML)[:255]
    heading = _body_paragraph(document, indent=False)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.line_spacing = Pt(36)
    heading.paragraph_format.space_after = LINE_PITCH
    _run(heading, doc.title, east_asia=TITLE_FONT, size=TITLE_SIZE, bold=True)
    for line in doc.meta:
        _run(_body_paragraph(document), line, east_asia=BODY_FONT, size=BODY_SIZE)
    for block in doc.blocks:
        if block.kind == "heading":
            _heading(document, block)
        elif block.kind == "table" and block.rows:
            _table(document, block.rows)
        else:
            _run(_body_paragraph(document), block.text, east_asia=BODY_FONT, size=BODY_SIZE)
    if doc.signoff:
        signoff = _body_paragraph(document, indent=False)
        signoff.paragraph_format.space_before = LINE_PITCH
        signoff.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(signoff, "　　".join(doc.signoff), east_asia=BODY_FONT, size=BODY_SIZE)
    if doc.distribution:
        # 版记: the distribution between a rule above and a rule below, 4号, one character in.
        record = document.add_paragraph()
        _rule(record, "top", "bottom")
        _fixed_pitch(record)
        record.paragraph_format.space_before = LINE_PITCH
        record.paragraph_format.left_indent = record.paragraph_format.right_indent = SMALL_SIZE
        _run(record, doc.distribution, east_asia=BODY_FONT, size=SMALL_SIZE)
    _page_numbers(document)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
