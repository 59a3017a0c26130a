"""Bad billing input, named by tenant, subscription and rule."""

from __future__ import annotations


class BillingError(Exception):
    """Bad input for one tenant: that tenant gets no invoice, every other tenant still does."""

    def __init__(self, rule: str, message: str, *, tenant_id: str | None = None,
                 subscription_id: str | None = None):
        self.rule = rule
        self.message = message
        self.tenant_id = tenant_id
        self.subscription_id = subscription_id
        super().__init__(str(self))

    def for_tenant(self, tenant_id: str) -> "BillingError":
        return BillingError(self.rule, self.message, tenant_id=tenant_id,
                            subscription_id=self.subscription_id)

    def __str__(self) -> str:
        where = []
        if self.tenant_id:
            where.append(f"tenant {self.tenant_id}")
        if self.subscription_id:
            where.append(f"subscription {self.subscription_id}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.rule}: {self.message}" if prefix else f"{self.rule}: {self.message}"
