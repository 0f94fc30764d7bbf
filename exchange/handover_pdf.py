"""The handover record or packing list (exchange.handover.Document) as an A4 PDF, with fpdf2.

The font ships with the project (static/fonts, DejaVu Sans): a machine without it could not write
Vietnamese, and an embedded font keeps the text extractable and searchable in the PDF.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from exchange.handover import Document

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
FAMILY = "DejaVu"
LINE = 6  # mm
GREY = (235, 238, 241)
# Column widths in parts of the page's width, by number of columns (handover, received, packing).
WIDTHS = {4: (8, 30, 100, 18), 6: (8, 28, 80, 16, 16, 24), 7: (8, 28, 74, 16, 16, 14, 14)}


class HandoverPDF(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, _("Trang %(page)s/%(pages)s", page=self.page_no(), pages="{nb}"), align="C")


def handover_pdf(document: Document) -> bytes:
    pdf = HandoverPDF(format="A4")
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(f"{document.title} — {document.number}")
    pdf.set_creator(_("Mục lục liên hợp — Liên hiệp Thư viện Bắc Miền Trung"))
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    _letterhead(pdf, document)
    _heading(pdf, document)
    _table(pdf, document)
    _signatures(pdf, document)
    return bytes(pdf.output())


def _letterhead(pdf: FPDF, document: Document) -> None:
    """The union on the left, the national motto on the right, as Vietnamese official records begin."""
    half, top = pdf.epw / 2, pdf.get_y()
    pdf.set_font(FAMILY, "B", 9)
    for column, text in enumerate(document.letterhead):
        pdf.set_xy(pdf.l_margin + column * half, top)
        pdf.multi_cell(half, 4.5, text, align="C")
    pdf.ln(6)


def _heading(pdf: FPDF, document: Document) -> None:
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(0, 8, document.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(0, LINE, _("Phiếu số %(id)s · %(kind)s · ngày %(date)s · %(state)s", id=document.number,
                        kind=document.kind, date=document.date, state=document.state),
             align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    _field(pdf, _("Bên giao:"), f"{document.sender.name} ({document.sender.code})")
    _field(pdf, _("Bên nhận:"), f"{document.receiver.name} ({document.receiver.code})")
    if document.occasion:
        _field(pdf, _("Nhân dịp:"), document.occasion)
    if document.note:
        _field(pdf, _("Ghi chú:"), document.note)
    pdf.ln(1)
    pdf.multi_cell(0, LINE, document.intro, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _field(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(24, LINE, label)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, LINE, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, document: Document) -> None:
    pdf.set_font(FAMILY, "", 9)
    align = tuple("RIGHT" if numeric else "LEFT" for numeric in document.numeric)
    with pdf.table(col_widths=WIDTHS[len(document.columns)], text_align=align, line_height=5,
                   headings_style=FontFace(emphasis="BOLD", fill_color=GREY), padding=1) as table:
        table.row(document.columns)
        for row in document.rows:
            table.row(row)
        table.row(document.totals, style=FontFace(emphasis="BOLD"))
    pdf.ln(4)


def _signatures(pdf: FPDF, document: Document) -> None:
    """Two blocks side by side, kept on one page: a signature is never alone at the top of the next."""
    height = 8 + 10 * len(document.signature_lines)
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    half, top = pdf.epw / 2, pdf.get_y()
    for column, heading in enumerate(document.signatures):
        x = pdf.l_margin + column * half
        pdf.set_xy(x, top)
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(half, LINE, heading.upper(), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 10)
        for label in document.signature_lines:
            pdf.set_x(x + 4)
            pdf.cell(half - 8, 10, label, border="B", new_x=XPos.LEFT, new_y=YPos.NEXT)
