"""Dependencies as ``Annotated`` aliases: ``CurrentUser``, ``OptionalUser``, ``Clients``,
``RpcMetadata``, ``State``. Reuse them in every router (payments too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request

from fintract.keys import VerifiedKey
from gateway.clients import GrpcClients
from gateway.errors import ApiError
from gateway.state import GatewayState

_log = structlog.get_logger("fintract.gateway")

REQUEST_ID_METADATA_KEY = "x-request-id"


@dataclass(frozen=True)
class User:
    """The caller, as its API key says."""

    user_id: str
    key_id: str
    scopes: tuple[str, ...]

    def allows(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes


def get_state(request: Request) -> GatewayState:
    """The gateway's state (a plain function; use the ``State`` alias as a dependency)."""
    state: GatewayState = request.app.state.gateway
    return state


# The aliases below use ``async def`` dependencies on purpose: FastAPI runs plain ``def``
# dependencies in a worker thread, which costs more than everything else they do.
async def _state_dependency(request: Request) -> GatewayState:
    return get_state(request)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("the Authorization header must be 'Bearer <api key>'")
    return token


async def _authenticate(request: Request, token: str) -> User:
    state = get_state(request)
    verified: VerifiedKey | None = await state.verifier.verify(token)
    if verified is None:
        raise _unauthorized("invalid or revoked API key")
    user = User(user_id=verified.user_id, key_id=verified.key_id, scopes=verified.scopes)
    request.state.user_id = user.user_id
    request.state.key_id = user.key_id
    try:
        decision = await state.limiter.hit(user.key_id)
    except Exception:  # noqa: BLE001 - fail open: an outage of Redis must not lock users out
        _log.warning("rate limiter unavailable; request allowed", exc_info=True)
        return user
    if decision.limit:
        request.state.rate_limit = (decision.limit, decision.remaining)
    if not decision.allowed:
        raise ApiError(
            429,
            "rate_limited",
            f"rate limit of {decision.limit} requests per minute exceeded",
            details={"limit": decision.limit, "retry_after": decision.retry_after_s},
            headers={
                "Retry-After": str(decision.retry_after_s),
                "X-RateLimit-Limit": str(decision.limit),
                "X-RateLimit-Remaining": "0",
            },
        )
    return user


async def current_user(request: Request) -> User:
    """The authenticated caller; 401 (``unauthorized``) without a valid key, 429 over limit."""
    token = _bearer(request)
    if token is None:
        raise _unauthorized("missing API key: send 'Authorization: Bearer <api key>'")
    return await _authenticate(request, token)


async def optional_user(request: Request) -> User | None:
    """The caller when a key is sent (a bad key is still a 401), else None."""
    token = _bearer(request)
    return None if token is None else await _authenticate(request, token)


def require_scope(scope: str) -> Callable[[User], Awaitable[User]]:
    """A dependency: the current user, 403 (``forbidden``) unless its key has ``scope``."""

    async def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.allows(scope):
            raise ApiError(403, "forbidden", f"this API key lacks the '{scope}' scope")
        return user

    return dependency


def _request_id(request: Request) -> str:
    rid: str = getattr(request.state, "request_id", "") or ""
    return rid


async def _request_id_dependency(request: Request) -> str:
    return _request_id(request)


def rpc_metadata(request: Request) -> tuple[tuple[str, str], ...]:
    """Metadata for every RPC of this request: the request id."""
    return ((REQUEST_ID_METADATA_KEY, _request_id(request)),)


async def _rpc_metadata_dependency(request: Request) -> tuple[tuple[str, str], ...]:
    return rpc_metadata(request)


async def get_clients(request: Request) -> GrpcClients:
    return get_state(request).clients


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
ParseUser = Annotated[User, Depends(require_scope("parse"))]
State = Annotated[GatewayState, Depends(_state_dependency)]
Clients = Annotated[GrpcClients, Depends(get_clients)]
RpcMetadata = Annotated[tuple[tuple[str, str], ...], Depends(_rpc_metadata_dependency)]
RequestId = Annotated[str, Depends(_request_id_dependency)]

__all__ = [
    "Clients",
    "CurrentUser",
    "OptionalUser",
    "ParseUser",
    "RequestId",
    "RpcMetadata",
    "State",
    "User",
    "current_user",
    "get_state",
    "optional_user",
    "require_scope",
    "rpc_metadata",
]
