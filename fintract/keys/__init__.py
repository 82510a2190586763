"""API keys: the key store, key verification backends and the request-usage writer.

Used by the gateway (verification, ``api_logs``) and by ``fintract keys`` (operators).
"""

from fintract.keys.db import create_engine
from fintract.keys.store import (
    DEFAULT_SCOPES,
    KEY_PREFIX,
    ApiKey,
    KeyStore,
    VerifiedKey,
    generate_key,
    hash_key,
)
from fintract.keys.tables import api_keys, api_logs, metadata
from fintract.keys.usage import ApiLogEntry, UsageRecorder
from fintract.keys.verify import (
    CachingKeyVerifier,
    DatabaseKeyVerifier,
    KeyfolioKeyVerifier,
    KeyVerifier,
    KeyVerifierUnavailable,
)

__all__ = [
    "DEFAULT_SCOPES",
    "KEY_PREFIX",
    "ApiKey",
    "ApiLogEntry",
    "CachingKeyVerifier",
    "DatabaseKeyVerifier",
    "KeyStore",
    "KeyVerifier",
    "KeyVerifierUnavailable",
    "KeyfolioKeyVerifier",
    "UsageRecorder",
    "VerifiedKey",
    "api_keys",
    "api_logs",
    "create_engine",
    "generate_key",
    "hash_key",
    "metadata",
]
