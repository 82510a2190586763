"""How the services' stable error codes travel over gRPC, for every caller.

A service's error interceptor puts the code (``not_found``, ``encrypted_pdf``…) in the
``fintract-error-code`` trailing metadata; callers (the gateway, workers calling jobs)
read it back with :func:`error_code_of`.
"""

from __future__ import annotations

import re

import grpc

ERROR_CODE_METADATA_KEY = "fintract-error-code"
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def error_code_of(error: grpc.aio.AioRpcError) -> str | None:
    """The stable code a failed call carries, or None (absent or not a snake_case word)."""
    for metadata in (error.trailing_metadata(), error.initial_metadata()):
        for key, value in metadata or ():
            if key == ERROR_CODE_METADATA_KEY:
                text = value.decode() if isinstance(value, bytes) else str(value)
                return text if _CODE_RE.match(text) else None
    return None


__all__ = ["ERROR_CODE_METADATA_KEY", "error_code_of"]
