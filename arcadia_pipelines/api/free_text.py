"""Free text from a request (a credit note's reason), checked at the edge: 400 naming the field and
the rule it breaks, before anything is stored or rendered. It accepts exactly what
constraints.FREE_TEXT and the field's length declare in the OpenAPI document."""

from __future__ import annotations

import unicodedata

from .errors import ApiError

ALLOWED_CONTROLS = "\n\t"


def checked_text(field: str, value: object, max_chars: int, code: str) -> str:
    """`value` if it is valid text of 1 to `max_chars` characters; else a 400 with `code` whose
    message names the field and the rule: not_text, too_long, lone_surrogate, control_character or
    blank."""
    def refused(rule: str, why: str) -> ApiError:
        return ApiError(400, f"{field}: {why} (rule {rule})", code)

    if not isinstance(value, str):
        raise refused("not_text", "is required, as text")
    if len(value) > max_chars:
        raise refused("too_long", f"is {len(value)} characters, over {max_chars}")
    for n, ch in enumerate(value, 1):
        if "\ud800" <= ch <= "\udfff":
            raise refused("lone_surrogate", f"is not valid Unicode: a lone surrogate U+{ord(ch):04X} at character {n}")
        if unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROLS:
            raise refused("control_character", f"holds the control character U+{ord(ch):04X} at character {n}; "
                                               "only newline and tab are allowed")
    if not value or value.isspace():
        raise refused("blank", "is empty or only white space")
    return value
