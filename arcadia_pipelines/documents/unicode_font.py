"""The font every document prints in: DejaVu Sans, regular and bold, shipped with the package
(fonts/, Bitstream Vera licence) and embedded in each PDF (only the glyphs it uses), so Latin,
Greek, Cyrillic and some 5,800 other characters print as themselves on any machine.

Reading a font file costs fpdf2 about 100 ms and cutting the used glyphs out of the whole font
about 50 ms more, per style and document: the API would spend most of a PDF request on them. So
each process reads each file once (`add_fonts` gives every document its own copy of the parsed
metrics), and a document whose characters are all Latin, which nearly all are, has its glyphs cut
out of a Latin part of the font made once per process instead of out of all of it: same glyphs,
same PDF text.
"""

from __future__ import annotations

import copy
import functools
import io
from pathlib import Path

from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FAMILY = "DejaVu"
FONT_DIR = Path(__file__).parent / "fonts"
FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # style -> file
# the characters of the Latin part: Basic Latin to Latin Extended-A, general punctuation, the euro sign
LATIN = (range(0x20, 0x180), range(0x2000, 0x2070), range(0x20AC, 0x20AD))


@functools.cache
def _parsed(style: str) -> TTFFont:
    """The style's font as fpdf2 reads it: metrics, character map and widths (read-only once parsed)."""
    pdf = FPDF()
    pdf.add_font(FAMILY, style, FONT_DIR / FILES[style])
    return pdf.fonts[f"{FAMILY.lower()}{style}"]


@functools.cache
def _outlines(style: str) -> tuple[bytes, frozenset[str], bytes]:
    """The style's font file, the glyph names of its Latin part, and that part as a font file."""
    whole = (FONT_DIR / FILES[style]).read_bytes()
    cmap = _parsed(style).cmap
    names = sorted({cmap[c] for block in LATIN for c in block if c in cmap})
    font = _opened(whole)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True, name_IDs=["*"],
                             name_languages=["*"])
    options.drop_tables.append("FFTM")  # a FontForge timestamp fontTools cannot cut (fpdf2 drops it too)
    cutter = subset.Subsetter(options)
    cutter.populate(glyphs=names)
    cutter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return whole, frozenset(font.getGlyphOrder()), out.getvalue()


def load_fonts() -> None:
    """Read the fonts now (a server, before its first request) rather than in the first document."""
    for style in FILES:
        _outlines(style)


def _opened(data: bytes) -> ttLib.TTFont:
    return ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def add_fonts(pdf: FPDF) -> None:
    """Both styles on `pdf`, each a copy of the process's parsed font with the document's own glyph
    usage and outlines (fpdf2 cuts the used glyphs out of those outlines in place when it writes)."""
    for style in FILES:
        font = copy.copy(_parsed(style))
        font.i = len(pdf.fonts) + 1
        font.subset, font.missing_glyphs, font.biggest_size_pt, font._hbfont = SubsetMap(font), [], 0, None
        font.ttfont = _opened(_outlines(style)[0])
        pdf.fonts[font.fontkey] = font


def use_latin_outlines(pdf: FPDF) -> None:
    """Before `pdf` is written: each font whose used glyphs are all in the Latin part is cut out of
    that part, a fraction of the work of cutting it out of the whole font."""
    for style in FILES:
        font = pdf.fonts[f"{FAMILY.lower()}{style}"]
        _, latin_names, latin = _outlines(style)
        if all(glyph is None or glyph.glyph_name in latin_names for glyph, _ in font.subset.items()):
            font.ttfont = _opened(latin)


@functools.cache
def glyphs() -> frozenset[str]:
    """The characters both styles draw (any other prints as a replacement, see text_fit.py)."""
    cmaps = [set(_parsed(style).cmap) for style in FILES]
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
