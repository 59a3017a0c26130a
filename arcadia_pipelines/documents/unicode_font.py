"""The font every document prints in: DejaVu Sans, regular and bold, shipped with the package
(fonts/, Bitstream Vera licence) and embedded in each PDF (only the glyphs it uses), so Latin,
Greek, Cyrillic and some 5,800 other characters print as themselves on any machine.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fpdf import FPDF

FAMILY = "DejaVu"
FONT_DIR = Path(__file__).parent / "fonts"
FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # style -> file


def add_fonts(pdf: FPDF) -> None:
    for style, name in FILES.items():
        pdf.add_font(FAMILY, style, FONT_DIR / name)


@functools.cache
def glyphs() -> frozenset[str]:
    """The characters both styles draw (any other prints as a replacement, see text_fit.py)."""
    pdf = FPDF()
    add_fonts(pdf)
    cmaps = [set(font.cmap) for font in pdf.fonts.values()]
    return frozenset(map(chr, cmaps[0].intersection(*cmaps[1:])))


_widths: dict[str, tuple[dict[str, float], float]] = {}


def char_widths(pdf: FPDF) -> tuple[dict[str, float], float]:
    """The current font's width of each character it draws, in thousandths of the font size,
    and the narrowest of them (not zero)."""
    font = pdf.current_font
    if font.fontkey not in _widths:
        widths = {chr(code): width for code, width in font.cw.items()}
        _widths[font.fontkey] = widths, min(w for w in widths.values() if w > 0)
    return _widths[font.fontkey]
