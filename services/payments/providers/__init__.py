"""Providers that read payment screenshots (see :mod:`.base` for the seam)."""

from services.payments.providers.base import PaymentProvider, ProviderFailed
from services.payments.providers.local import LocalProvider

__all__ = ["LocalProvider", "PaymentProvider", "ProviderFailed"]
