"""The page layout invoices and credit notes share (fpdf2): fields that wrap and are cut with a
visible "…" (any stored text, in a Unicode font that every PDF embeds: unicode_font.py and
text_fit.py), a table whose rows continue on
further pages under repeated headings, the totals block kept whole on the last page, the parties
and the payment and contact lines. Every field and cell has a number of lines it may take, so a
table row never outgrows a page and a long text costs no more than what it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from arcadia_pipelines.billing.money import format_cents

from .supplier import Supplier
from .text_fit import CUT, MAX_CHARS, fit, printable
from .unicode_font import FAMILY, add_fonts, char_widths, use_latin_outlines

LINE_HEIGHT = 5.0
TABLE_WIDTH = 180.0
AMOUNT_WIDTH = 32.0  # a table's amount column: a line's bound (billing/bounds.py), signed, in 9 pt on one line


class DocumentError(Exception):
    """The document cannot be made as the law requires (e.g. a tax invoice without the supplier's ABN)."""


def unit_price(cents: Decimal) -> str:
    """A unit price in cents in currency units, exact, with as many decimals as it needs and at
    least two: 5000 -> '50.00', 1 -> '0.01', 0.5 -> '0.005'."""
    units = cents.scaleb(-2)
    return f"{units:,.{max(2, -units.normalize().as_tuple().exponent)}f}"


@dataclass(frozen=True)
class Column:
    heading: str
    width: float
    align: str = "R"
    max_lines: int | None = None  # None: never cut (amounts and quantities wrap instead)


class DocumentPdf(FPDF):
    """An A4 document whose every page's footer names it and counts its pages."""

    def __init__(self, label: str, created: datetime, author: str | None):
        super().__init__(format="A4")
        add_fonts(self)
        self.label = printable(label, 120)
        self.set_creation_date(created)
        self.set_title(self.label)
        self.set_author(printable(author, 200))
        self.set_auto_page_break(True, margin=20)
        self.add_page()

    def output(self, *args, **kwargs):
        use_latin_outlines(self)
        return super().output(*args, **kwargs)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, f"{self.label} - page {self.page_no()} of {self.str_alias_nb_pages}", align="R")

    def wrapped(self, text: str | None, width: float, max_lines: int | None = None) -> list[str]:
        """Any `text` in lines that fit `width` in the current font, at most `max_lines` (the last
        then ending in '…'); cut before layout at what `max_lines` lines could ever hold."""
        widths, narrowest = char_widths(self)
        scale = self.font_size_pt * 0.001 / self.k  # font units per character -> mm
        room = (width - 2 * self.c_margin) / scale
        limit = MAX_CHARS
        if max_lines is not None:
            limit = min(limit, max_lines * (int(room / narrowest) + 1))
        return fit(printable(text, limit), widths, room, max_lines)

    def text_lines(self, x: float, width: float, lines: Sequence[str], height: float = LINE_HEIGHT,
                   align: str = "L") -> None:
        for line in lines:
            self.set_x(x)
            self.cell(width, height, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def field(self, text: str | None, size: float = 10, style: str = "", height: float = LINE_HEIGHT,
              max_lines: int = 3) -> None:
        """A paragraph across the page."""
        self.set_font(FAMILY, style, size)
        self.text_lines(self.l_margin, self.epw, self.wrapped(text, self.epw, max_lines), height)

    def pair(self, label: str, value: str | None, max_lines: int = 3) -> None:
        """A label in bold and its value beside it, wrapped under itself."""
        self.set_font(FAMILY, "B", 10)
        lines = self.wrapped(value, self.epw - 45, max_lines)
        if self.y + len(lines) * LINE_HEIGHT > self.page_break_trigger:
            self.add_page()
        top = self.y
        self.cell(45, LINE_HEIGHT, self.wrapped(label, 45, 1)[0])
        self.set_font(FAMILY, "", 10)
        self.set_y(top)
        self.text_lines(self.l_margin + 45, self.epw - 45, lines)

    def supplier(self, supplier: Supplier) -> None:
        if supplier.name:
            self.field(supplier.name, style="B")
        self.lines_of(supplier.address)
        if supplier.abn:
            self.field(f"ABN {supplier.abn}", max_lines=1)

    def bill_to(self, name: str, address: str | None, tax_id: str | None) -> None:
        self.field("Bill to", style="B")
        self.field(name)
        self.lines_of(address)
        if tax_id:
            self.field(f"ABN {tax_id}", max_lines=1)

    def lines_of(self, text: str | None, max_lines: int = 8) -> None:
        """A text of several lines (an address), each wrapped and cut, at most `max_lines` of them."""
        lines = (text or "").splitlines()
        for n, line in enumerate(lines[:max_lines]):
            self.field(line + (CUT if n == max_lines - 1 and len(lines) > max_lines else ""), max_lines=2)

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[str]], size: float = 9,
              height: float = 4.5) -> None:
        """One row per item, each cell wrapped within its column (and cut at its `max_lines`); a row
        that would not fit starts a new page, which repeats the column headings."""
        def heading() -> None:
            self.set_font(FAMILY, "B", size)
            self._row(columns, [self.wrapped(c.heading, c.width, 2) for c in columns], height)
            self.set_font(FAMILY, "", size)

        heading()
        for row in rows:
            cells = [self.wrapped(text, c.width, c.max_lines) for c, text in zip(columns, row)]
            if self.y + max(map(len, cells)) * height > self.page_break_trigger:
                self.add_page()
                heading()
            self._row(columns, cells, height)

    def _row(self, columns: Sequence[Column], cells: Sequence[Sequence[str]], height: float) -> None:
        """Drawn with `text` at computed positions, as `cell` would place them (7 times faster)."""
        top, x = self.y, self.l_margin
        (widths, _), scale = char_widths(self), self.font_size_pt * 0.001 / self.k
        for column, lines in zip(columns, cells):
            for n, line in enumerate(lines):
                left = x + self.c_margin
                if column.align == "R":
                    left = x + column.width - self.c_margin - sum(map(widths.__getitem__, line)) * scale
                self.text(left, top + (n + 0.5) * height + 0.3 * self.font_size, line)
            x += column.width
        self.set_y(top + max(map(len, cells)) * height)
        self.set_draw_color(190)
        self.line(self.l_margin, self.y, self.l_margin + sum(c.width for c in columns), self.y)
        self.set_draw_color(0)

    def totals(self, rows: Sequence[tuple[str, int]], tax_note: str | None) -> None:
        """Labelled amounts in cents, the last (the total) in bold, then an optional note on the
        tax; kept together, so they are all on the last page. The amounts' column is as wide as the
        widest (in bold) needs."""
        self.set_font(FAMILY, "B", 10)
        amount_width = max(30, max(self.get_string_width(format_cents(cents)) for _, cents in rows) + 2 * self.c_margin)
        if self.y + len(rows) * 6 + (2 + 2 * LINE_HEIGHT if tax_note else 0) > self.page_break_trigger:
            self.add_page()
        for n, (label, cents) in enumerate(rows):
            self.set_font(FAMILY, "B" if n == len(rows) - 1 else "", 10)
            self.cell(TABLE_WIDTH - amount_width, 6, self.wrapped(label, TABLE_WIDTH - amount_width, 1)[0], align="R")
            self.cell(amount_width, 6, format_cents(cents), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if tax_note:
            self.ln(2)
            self.field(tax_note, size=9, max_lines=2)

    def payment_and_contact(self, supplier: Supplier) -> None:
        """The supplier's payment instructions and contact, when configured."""
        for label, text in (("Payment", supplier.payment_instructions), ("Contact", supplier.contact)):
            if text:
                self.ln(2)
                for n, line in enumerate(text.splitlines()[:6]):
                    self.pair(label if n == 0 else "", line, max_lines=2)
