"""Who issues the invoices: the supplier's name, address and ABN, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

NAME, ADDRESS, ABN = "ARCADIA_SUPPLIER_NAME", "ARCADIA_SUPPLIER_ADDRESS", "ARCADIA_SUPPLIER_ABN"


@dataclass(frozen=True)
class Supplier:
    name: str | None
    address: str | None  # lines separated by newlines (or ' | ' in one environment variable)
    abn: str | None

    @classmethod
    def from_env(cls) -> Supplier:
        def value(name: str) -> str | None:
            return (os.environ.get(name) or "").strip() or None

        address = value(ADDRESS)
        return cls(value(NAME), address.replace(" | ", "\n") if address else None, value(ABN))

    def missing_for_tax_invoice(self) -> list[str]:
        """The variables a tax invoice needs that are not set."""
        return [var for var, v in ((NAME, self.name), (ABN, self.abn)) if not v]
