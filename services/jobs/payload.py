"""What a callback sends: the contract's JSON (../shared/contract §1) of a job or a batch,
encoded as the exact bytes that are signed.

The JSON comes from :mod:`fintract.contract_json`, the same builders the gateway's REST
routes use, so a callback body equals ``GET .../{job_id}`` (or the batch GET) for it.
"""

from __future__ import annotations

import json
from typing import Any

from fintract.contract_json import batch_json, job_json


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


__all__ = ["batch_json", "encode", "job_json"]
