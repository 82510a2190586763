"""``python -m gateway``: serve the gateway with uvicorn on ``GATEWAY_HOST:GATEWAY_PORT``."""

from gateway.server import main

main()
