"""Google Gemini as an optional provider, and the routing that decides when to ask it.

Nothing here is needed offline: ``google.genai`` is imported only when a request is made,
and services import this package only when their provider setting is not ``local``.

Modules: :mod:`.settings` (``GeminiSettings``, API keys from the environment),
:mod:`.schemas` (what the model must return, mirroring the contract), :mod:`.provider`
(keys, model chain, retries, budget, metrics), :mod:`.verify` (answers checked against the
document), :mod:`.masking`, :mod:`.routing` (``local | gemini | hybrid`` decisions) and
:mod:`.escalate` (the calls services make). Errors (``services.common.errors``):
``AiFailed`` (ai_failed), ``ModelNotFree`` (model_not_free), ``AiNotConfigured``.
"""

from services.common.gemini.escalate import (
    Escalated,
    Routed,
    classify_document,
    escalate_invoice,
    escalate_payment,
    escalate_statement_page,
    payment_data,
    route,
    route_many,
    statement_rows,
)
from services.common.gemini.masking import (
    MaskBox,
    black_out,
    mask_image,
    mask_text,
    sensitive_boxes,
)
from services.common.gemini.provider import (
    PROVIDER_NAME,
    GeminiAnswer,
    GeminiProvider,
    InlineData,
    KeyPool,
    Usage,
)
from services.common.gemini.routing import (
    Assessment,
    Decision,
    InvalidProvider,
    pick_better,
    resolve_provider,
    should_escalate,
)
from services.common.gemini.schemas import (
    ClassificationAnswer,
    InvoiceAnswer,
    PaymentAnswer,
    StatementPageAnswer,
    response_schema,
)
from services.common.gemini.settings import GeminiSettings, ProviderName, api_keys_from_env
from services.common.gemini.statements import PageAssessment, page_assessments, replace_pages
from services.common.gemini.verify import (
    UNVERIFIED_VALUE,
    DocumentText,
    Verification,
    verify_invoice,
    verify_payment,
    verify_statement_page,
)

__all__ = [
    "PROVIDER_NAME",
    "UNVERIFIED_VALUE",
    "Assessment",
    "ClassificationAnswer",
    "Decision",
    "DocumentText",
    "Escalated",
    "GeminiAnswer",
    "GeminiProvider",
    "GeminiSettings",
    "InlineData",
    "InvalidProvider",
    "InvoiceAnswer",
    "KeyPool",
    "MaskBox",
    "PageAssessment",
    "PaymentAnswer",
    "ProviderName",
    "Routed",
    "StatementPageAnswer",
    "Usage",
    "Verification",
    "api_keys_from_env",
    "black_out",
    "classify_document",
    "escalate_invoice",
    "escalate_payment",
    "escalate_statement_page",
    "mask_image",
    "mask_text",
    "page_assessments",
    "payment_data",
    "pick_better",
    "replace_pages",
    "resolve_provider",
    "response_schema",
    "route",
    "route_many",
    "sensitive_boxes",
    "should_escalate",
    "statement_rows",
    "verify_invoice",
    "verify_payment",
    "verify_statement_page",
]
