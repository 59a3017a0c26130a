"""Who issues the documents: the supplier's name, address and ABN, and the optional payment
instructions and contact printed on invoices and credit notes, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

NAME, ADDRESS, ABN = "ARCADIA_SUPPLIER_NAME", "ARCADIA_SUPPLIER_ADDRESS", "ARCADIA_SUPPLIER_ABN"
PAYMENT_INSTRUCTIONS, CONTACT = "ARCADIA_PAYMENT_INSTRUCTIONS", "ARCADIA_SUPPLIER_CONTACT"


@dataclass(frozen=True)
class Supplier:
    name: str | None
    address: str | None  # lines separated by newlines (or ' | ' in one environment variable), as below
    abn: str | None
    payment_instructions: str | None = None  # e.g. "BSB 062-000, account 1234 5678 | Reference: the invoice number"
    contact: str | None = None  # e.g. "accounts@arcadia.example | +61 2 9000 0000"

    @classmethod
    def from_env(cls) -> Supplier:
        def value(name: str) -> str | None:
            return (os.environ.get(name) or "").strip() or None

        def lines(name: str) -> str | None:
            text = value(name)
            return text.replace(" | ", "\n") if text else None

        return cls(value(NAME), lines(ADDRESS), value(ABN), lines(PAYMENT_INSTRUCTIONS), lines(CONTACT))

    def missing_for_tax_invoice(self) -> list[str]:
        """The variables a tax invoice needs that are not set."""
        return [var for var, v in ((NAME, self.name), (ABN, self.abn)) if not v]
