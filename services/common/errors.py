"""The suite's exception tree and its one mapping to gRPC status codes.

FintractError
├── InputError                 (INVALID_ARGUMENT)
│   ├── UnsupportedFileType    unsupported_file_type
│   ├── FileTooLarge           file_too_large      (RESOURCE_EXHAUSTED → 413)
│   ├── TooManyPages           too_many_pages      (→ 413)
│   ├── CorruptFile            corrupt_file
│   ├── EncryptedPdf           encrypted_pdf
│   ├── WrongPassword          wrong_password
│   ├── ImageTooLarge          image_too_large     (→ 413)
│   ├── ImageTooSmall          image_too_small
│   ├── EmptyFile              empty_file
│   └── InvalidCallbackUrl     invalid_callback_url
├── NotFound                   not_found           (NOT_FOUND)
├── Conflict                   conflict            (ALREADY_EXISTS / FAILED_PRECONDITION)
│   └── InvalidTransition      invalid_transition
├── QuotaExceeded              rate_limited        (RESOURCE_EXHAUSTED)
├── ExtractionError            extraction_failed   (INTERNAL, raised by extractors)
├── Unavailable                unavailable         (UNAVAILABLE)
│   └── AiFailed               ai_failed           (every Gemini model/key failed)
└── AiRefused                  ai_refused          (FAILED_PRECONDITION)
    ├── ModelNotFree           model_not_free      (a paid model without allow_paid)
    └── AiNotConfigured        ai_not_configured   (Gemini asked for, no API key set)

Every error carries a stable snake_case ``code``; the gRPC error interceptor sends it in the
``fintract-error-code`` trailing metadata and the gateway maps it to the HTTP envelope.
"""

from __future__ import annotations

from typing import Any, ClassVar

import grpc

from fintract.rpc_errors import ERROR_CODE_METADATA_KEY


class FintractError(Exception):
    """Base of every error the suite raises on purpose."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details = details


class InputError(FintractError):
    code = "invalid_input"
    status = grpc.StatusCode.INVALID_ARGUMENT


class UnsupportedFileType(InputError):
    code = "unsupported_file_type"


class FileTooLarge(InputError):
    code = "file_too_large"
    status = grpc.StatusCode.RESOURCE_EXHAUSTED


class TooManyPages(InputError):
    code = "too_many_pages"
    status = grpc.StatusCode.RESOURCE_EXHAUSTED


class CorruptFile(InputError):
    code = "corrupt_file"


class EncryptedPdf(InputError):
    code = "encrypted_pdf"


class WrongPassword(InputError):
    code = "wrong_password"


class ImageTooLarge(InputError):
    code = "image_too_large"
    status = grpc.StatusCode.RESOURCE_EXHAUSTED


class ImageTooSmall(InputError):
    code = "image_too_small"


class EmptyFile(InputError):
    code = "empty_file"


class InvalidCallbackUrl(InputError):
    code = "invalid_callback_url"


class NotFound(FintractError):
    code = "not_found"
    status = grpc.StatusCode.NOT_FOUND


class Conflict(FintractError):
    code = "conflict"
    status = grpc.StatusCode.FAILED_PRECONDITION


class InvalidTransition(Conflict):
    code = "invalid_transition"


class QuotaExceeded(FintractError):
    code = "rate_limited"
    status = grpc.StatusCode.RESOURCE_EXHAUSTED


class ExtractionError(FintractError):
    code = "extraction_failed"
    status = grpc.StatusCode.INTERNAL


class Unavailable(FintractError):
    code = "unavailable"
    status = grpc.StatusCode.UNAVAILABLE


class AiFailed(Unavailable):
    """Every model of the fallback chain failed (errors, quota, schema-invalid, deadline)."""

    code = "ai_failed"


class AiRefused(FintractError):
    """The AI provider was not called because configuration forbids or cannot allow it."""

    code = "ai_refused"
    status = grpc.StatusCode.FAILED_PRECONDITION


class ModelNotFree(AiRefused):
    code = "model_not_free"


class AiNotConfigured(AiRefused):
    code = "ai_not_configured"


__all__ = [
    "ERROR_CODE_METADATA_KEY",
    "AiFailed",
    "AiNotConfigured",
    "AiRefused",
    "Conflict",
    "CorruptFile",
    "EmptyFile",
    "EncryptedPdf",
    "ExtractionError",
    "FileTooLarge",
    "FintractError",
    "ImageTooLarge",
    "ImageTooSmall",
    "InputError",
    "InvalidCallbackUrl",
    "InvalidTransition",
    "ModelNotFree",
    "NotFound",
    "QuotaExceeded",
    "TooManyPages",
    "Unavailable",
    "UnsupportedFileType",
    "WrongPassword",
]
