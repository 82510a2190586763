"""The payments service: the payment-parser contract answered offline (gRPC
``fintract.api.payments.v1.PaymentsService``; REST in ``gateway/routes/payments.py``)."""

from services.payments.core import ERROR_CODES, PaymentsCore
from services.payments.settings import PaymentsSettings

__all__ = ["ERROR_CODES", "PaymentsCore", "PaymentsSettings"]
