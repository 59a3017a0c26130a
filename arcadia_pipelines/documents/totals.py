"""The amounts every document prints: its currency, subtotal, tax and total, and the rows they make."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def rate_text(rate: Decimal | None) -> str:
    """' 10%' for 0.1; '' without a rate."""
    return f" {(rate * 100).normalize():f}%" if rate is not None else ""


@dataclass(frozen=True)
class DocumentTotals:
    currency: str
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    tax_name: str | None
    tax_rate: Decimal | None

    def totals_rows(self, subtotal: str = "Subtotal", total: str = "Total", on_tax: str = "") -> list[tuple[str, int]]:
        """The subtotal, tax and total rows, e.g. 'Subtotal excluding GST', 'GST 10%', 'Total including GST AUD'
        (a credit note: 'Credited ...', 'GST 10% credited', 'Total credited ...')."""
        tax = self.tax_name or "Tax"
        rows = [(f"{subtotal}{' excluding ' + tax if self.tax_name else ''}", self.subtotal_cents)]
        if self.tax_name:
            rows.append((f"{tax}{rate_text(self.tax_rate)}{on_tax}", self.tax_cents))
        rows.append((f"{total}{' including ' + tax if self.tax_name else ''} {self.currency}", self.total_cents))
        return rows
