"""The REST gateway: authentication, REST ↔ gRPC translation, error mapping."""

from gateway.app import create_app
from gateway.settings import GatewaySettings

__all__ = ["GatewaySettings", "create_app"]
