"""Any stored text as the documents' font prints it (unicode_font.py), in lines that fit a width,
cut with a visible "…" where it does not fit.

A character the font draws prints as itself (after NFC: a letter and its combining accent become
one); one it lacks prints as its compatibility form without accents when the font has that
(fullwidth `Ａ` as `A`), else as '?', like control and format characters (bidi overrides
included), lone surrogates, NUL and unassigned code points. Wrapping is greedy, by words, a word
wider than a line broken by characters; it stops as soon as the lines allowed are full, so a
100,000-character text costs no more than a short one.
"""

from __future__ import annotations

import functools
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping
from itertools import accumulate

from .unicode_font import glyphs

CUT = "\u2026"  # ends a text that was cut
MAX_CHARS = 2000  # of any one text, before it is laid out
UNKNOWN = "?"
NOT_TEXT = ("Cc", "Cf", "Cs", "Co", "Cn")  # control, format, lone surrogate, private use, unassigned


@functools.lru_cache(maxsize=4096)
def _printable_char(c: str) -> str:
    if c == "\n":
        return c
    if c == "\t":
        return " "
    if unicodedata.category(c) in NOT_TEXT:
        return UNKNOWN
    drawn = glyphs()
    if c in drawn:
        return c
    plain = "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
    return plain if plain and all(d in drawn and unicodedata.category(d) not in NOT_TEXT for d in plain) else UNKNOWN


def printable(text: str | None, max_chars: int = MAX_CHARS) -> str:
    """`text` as the documents' font prints it, cut with '…' after `max_chars` characters."""
    text = text or ""
    cut = len(text) > max_chars
    text = text[:max_chars].replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii() or not text.replace("\n", "").isprintable():
        text = "".join(map(_printable_char, unicodedata.normalize("NFC", text)))
    return text + CUT if cut else text


def fit(text: str, widths: Mapping[str, float], room: float, max_lines: int | None = None) -> list[str]:
    """`text` (printable) in lines no wider than `room`, at most `max_lines` of them, the last
    ending in '…' when some of the text is left out. `widths`: each character's width in the
    units of `room`."""
    lines: list[str] = []
    more = False
    for paragraph in text.split("\n"):
        more = _wrap(paragraph, widths, room, lines, max_lines)
        if more:
            break
    if more:
        last = lines[-1].rstrip()
        while last and sum(map(widths.__getitem__, last)) + widths[CUT] > room:
            last = last[:-1].rstrip()
        lines[-1] = last + CUT
    return lines


def _wrap(paragraph: str, widths: Mapping[str, float], room: float, lines: list[str], max_lines: int | None) -> bool:
    """Append the paragraph's lines; True when `max_lines` are full and text is left over."""
    def full() -> bool:
        return max_lines is not None and len(lines) >= max_lines

    if full():
        return True
    line, width, first, space = "", 0.0, True, widths[" "]
    words = paragraph.rstrip(" ").split(" ")  # a space at the end of a line takes no room
    for i, word in enumerate(words):
        word_width = sum(map(widths.__getitem__, word))
        added = word_width if first else space + word_width
        if width + added <= room:
            line, width, first = (word if first else f"{line} {word}"), width + added, False
            continue
        if not first:
            lines.append(line.rstrip(" "))
            if full():
                return True
        while word_width > room:  # a word wider than a line, broken by characters
            n = max(bisect_right(list(accumulate(map(widths.__getitem__, word))), room), 1)
            lines.append(word[:n])
            word, word_width = word[n:], word_width - sum(map(widths.__getitem__, word[:n]))
            if full():
                return bool(word) or i < len(words) - 1
        line, width, first = word, word_width, not word
    lines.append(line)
    return False
