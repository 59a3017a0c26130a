"""Free text is checked at the edge: a credit note's reason that is not valid Unicode text, holds a
control character or is too long is refused with 400 naming the rule, on both backends, and
nothing is stored; the check accepts exactly what the OpenAPI document declares."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcadia_pipelines.api.constraints import FREE_TEXT, MAX_REASON_CHARS, conforms
from arcadia_pipelines.api.errors import ApiError
from arcadia_pipelines.api.free_text import checked_text
from arcadia_pipelines.api.openapi import DOCUMENT

from .test_credit_notes import error, post, stored

REFUSED = [  # (the reason as JSON text, the rule named)
    (r'"\ud800"', "lone_surrogate"), (r'"ok \udfff then"', "lone_surrogate"), (r'"a\u0000b"', "control_character"),
    (r'"bell \u0007"', "control_character"), (r'"cr\r\nlf"', "control_character"), (r'"\u0085"', "control_character"),
    (r'"\u009f"', "control_character"), (json.dumps("x" * (MAX_REASON_CHARS + 1)), "too_long"),
    (r'" \n\t "', "blank"), ('""', "blank"), ("5", "not_text"), ("null", "not_text"),
]


@pytest.mark.parametrize("reason, rule", REFUSED)
def test_a_reason_that_is_not_valid_text_is_refused_naming_the_rule(api, engine, ledger, keys, reason, rule):
    invoice_id = ledger.invoice("acme", status="issued")
    r = post(api, invoice_id, keys["admin"], content=f'{{"reason": {reason}}}'.encode())
    assert error(r) == (400, "invalid_credit_note"), r.text
    message = r.json()["error"]["message"]
    assert message.startswith("reason: ") and message.endswith(f"(rule {rule})"), message
    assert stored(engine) == ([], [], [])


def test_text_with_newlines_tabs_and_any_script_is_kept_as_sent(api, ledger, keys):
    invoice_id = ledger.invoice("acme", status="issued")
    reason = "Outage 3–5 April\n\tcrédit «geste» 🙏 " + "x" * (MAX_REASON_CHARS - 40)
    r = post(api, invoice_id, keys["admin"], {"reason": reason})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["reason"] == reason.strip()


def test_the_document_declares_the_rule():
    reason = DOCUMENT["components"]["schemas"]["CreditNoteRequest"]["properties"]["reason"]
    assert (reason["pattern"], reason["maxLength"], reason["minLength"]) == (FREE_TEXT, MAX_REASON_CHARS, 1)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=12) | st.text(max_size=12))
def test_the_check_accepts_exactly_what_the_pattern_declares(text):
    try:
        checked_text("reason", text, MAX_REASON_CHARS, "invalid_credit_note")
        accepted = True
    except ApiError:
        accepted = False
    valid_unicode = not any("\ud800" <= ch <= "\udfff" for ch in text)
    assert accepted == (valid_unicode and conforms(FREE_TEXT, text)), repr(text)
