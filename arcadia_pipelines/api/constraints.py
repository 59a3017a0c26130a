"""What the API accepts in parameters and bodies, written once for the OpenAPI document and the checks.

Every pattern here is an ECMA-262 and Python regular expression applied as JSON Schema does (a
search, so `^...$`; Python's `$` also matches before one final newline, which the parsers strip),
and the API accepts a value exactly when it conforms: what the document declares valid is never
refused, what it declares invalid is refused with a 400 naming the parameter. So cursors are plain
text with a declared shape (a page's last period and id, an event id), not encoded blobs no pattern
can describe. Digits are written `[0-9]` because Python's `\\d` also matches other scripts' digits.
"""

from __future__ import annotations

import re

from arcadia_pipelines.billing.credit_notes import MAX_AMOUNT_CENTS, MAX_REASON_CHARS  # noqa: F401 - re-exported

MAX_ID = 2**63 - 1  # BIGINT
MAX_TENANT_ID_CHARS = 200
_YEAR = r"([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"  # 0001-9999, what a date can hold
_MONTH = r"(0[1-9]|1[0-2])"
PERIOD = rf"^{_YEAR}-{_MONTH}(-01)?$"
TENANT_ID = r"^[^\x00-\x1f\x7f]+$"
INVOICE_NUMBER = r"^INV-[0-9]{6,18}$"
CREDIT_NOTE_NUMBER = r"^CN-[0-9]{6,18}$"
INVOICE_CURSOR = rf"^{_YEAR}-{_MONTH}:[1-9][0-9]{{0,17}}$"  # the last row handed out: its period and id
ID_CURSOR = r"^[1-9][0-9]{0,17}$"  # the last id handed out
EVENTS_AFTER = r"^(0|[1-9][0-9]{0,17})$"  # the last event id handed out; 0: the beginning
# An RFC 3339 timestamp (upper-case T and Z) from 1971 to 9997, so that no offset takes it out of
# the years a month can be previewed in; days only up to their month's last (February's 28th).
_AS_OF_YEAR = r"(197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-7])"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_DATE = (r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
         r"|02-(0[1-9]|1[0-9]|2[0-8]))")
AS_OF = rf"^{_AS_OF_YEAR}-{_DATE}T{_TIME}$"

# Free text: no control characters but newline and tab, and at least one character that is not
# white space. Lone surrogates (which JSON's "\ud800" escape can carry) are no Unicode text at all,
# so no pattern can name them (regex engines other than Python's refuse them): free_text.py refuses them.
_CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
FREE_TEXT = rf"^[^\S{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"


def conforms(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` as a JSON Schema validator reads it."""
    return re.search(pattern, text) is not None


def pattern_value(text: str) -> str:
    """A conforming value without the one final newline Python's `$` lets through."""
    return text.removesuffix("\n")
