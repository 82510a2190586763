"""End-to-end speed of ``POST /parse-payment`` for 1080x2400 screenshots.

Prints, for the same distinct screenshots (each new to the service, so no cache hit):

- p50/p99 end-to-end latency, one request at a time, through the gateway over HTTP;
- the bare OCR time of the same images in this process, both at full size and as the service
  runs it (downscaled to ``PAYMENTS_OCR_MAX_WIDTH``), so the service's overhead is visible;
- throughput (requests/s with several requests in flight) with 1 and with 2 payments worker
  processes behind one gateway (round robin).

By default it starts its own processes (``python -m services.payments`` x N and
``python -m gateway`` with anonymous payments) in a private namespace; ``--url`` measures an
already running server instead (e.g. ``make up``'s http://127.0.0.1:8010; then only latency).

    python -m bench.payments.speed                  # 20 latency samples, workers 1 and 2
    python -m bench.payments.speed --quick
    python -m bench.payments.speed --url http://127.0.0.1:8010
    PAYMENTS_OCR_THREADS=2 python -m bench.payments.speed --max-width 0   # workers inherit it

The machine is shared: timings are noisy; compare runs taken at the same time.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

from bench.payments.generate import DEV_STYLES, HELDOUT_STYLES, _encode, render_payment

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def screenshots(n: int, *, seed: int) -> list[bytes]:
    """``n`` distinct 1080x2400 receipts across all styles and both themes, as PNG."""
    rng = random.Random(seed)
    styles = [*DEV_STYLES, *HELDOUT_STYLES]
    out = []
    for i in range(n):
        theme = "dark" if i % 2 else "light"
        img, _ = render_payment(styles[i % len(styles)], rng, theme=theme, size="1080p")
        out.append(_encode(img, "PNG"))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (Linux ``/proc``)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def stack(
    workers: int, *, namespace: str, var: Path, max_width: int, det_max_side: int = 0
) -> Iterator[tuple[str, list[int]]]:
    """``workers`` payments processes behind one anonymous gateway; yields its base URL and
    the workers' process ids."""
    from services.common.migrate import upgrade

    database = f"sqlite+aiosqlite:///{var}/bench.db"
    upgrade(database, "")
    addresses = [f"127.0.0.1:{_free_port()}" for _ in range(workers)]
    port = _free_port()
    env = {
        **os.environ,
        "FINTRACT_ENV": "test",
        "FINTRACT_NAMESPACE": namespace,
        "DATABASE_URL": database,
        "PAYMENTS_DAILY_LIMIT": "1000000",
        "PAYMENTS_DAILY_LIMIT_PER_KEY": "0",
        "PAYMENTS_ALLOW_ANONYMOUS": "true",
        "PAYMENTS_OCR_MAX_WIDTH": str(max_width),
        "PAYMENTS_OCR_DET_MAX_SIDE": str(det_max_side),
        "GATEWAY_PORT": str(port),
        "GATEWAY_API_LOGS": "false",
        "LOG_LEVEL": "WARNING",
    }
    procs = []
    try:
        for address in addresses:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "services.payments"],
                    env={**env, "PAYMENTS_ADDR": address},
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "gateway"],
                env={**env, "PAYMENTS_ADDR": ",".join(addresses)},
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the payments stack did not start")
            time.sleep(0.3)
        # Every worker loads its models at start-up; one request each warms the rest.
        for i in range(workers):
            httpx.post(f"{url}/parse-payment", json={"image_base64": _warm(i)}, timeout=60)
        yield url, [p.pid for p in procs[:workers]]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _warm(i: int) -> str:
    img, _ = render_payment("gpay", random.Random(10_000 + i), size="720p")
    return base64.b64encode(_encode(img, "PNG")).decode()


def post(client: httpx.Client, url: str, image: bytes) -> tuple[float, dict[str, object]]:
    body = {"image_base64": base64.b64encode(image).decode()}
    start = time.perf_counter()
    response = client.post(f"{url}/parse-payment", json=body, timeout=120)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    answer: dict[str, object] = response.json()
    return elapsed, answer


def latency(url: str, images: list[bytes]) -> tuple[list[float], list[dict[str, object]]]:
    times, answers = [], []
    with httpx.Client() as client:
        for image in images:
            elapsed, answer = post(client, url, image)
            times.append(elapsed)
            answers.append(answer)
    return times, answers


def throughput(url: str, images: list[bytes], *, concurrency: int) -> float:
    start = time.perf_counter()
    with httpx.Client() as client, ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda im: post(client, url, im), images))
    return len(images) / (time.perf_counter() - start)


def bare_ocr(
    images: list[bytes], *, max_width: int, det_max_side: int = 0
) -> tuple[list[float], list[float], list[float]]:
    """OCR alone on the same images: at full size, and downscaled as the service does (wall
    time, and the CPU time of the latter: what one request costs on an idle core)."""
    from services.payments.image import check_image
    from services.payments.providers.local import payments_engine, prepare
    from services.payments.settings import PaymentsSettings

    engine = payments_engine(PaymentsSettings().ocr_threads)  # the service's engine
    engine.read(np.full((200, 200, 3), 255, dtype=np.uint8))
    full, scaled, cpu = [], [], []
    for image in images:
        checked = check_image(image)
        array = np.asarray(checked.image)
        start = time.perf_counter()
        engine.read(array, profile="screenshot", det_max_side=det_max_side or None)
        full.append(time.perf_counter() - start)
        small = prepare(checked.image, max_width=max_width)
        start, start_cpu = time.perf_counter(), time.process_time()
        engine.read(small, profile="screenshot", det_max_side=det_max_side or None)
        scaled.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return full, scaled, cpu


def _row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:44s} p50 {percentile(ms, 50):7.0f} ms   p99 {percentile(ms, 99):7.0f} ms   "
        f"mean {statistics.fmean(ms):7.0f} ms   (n={len(ms)})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="payments end-to-end speed")
    parser.add_argument("--url", default="", help="measure a running server (no worker sweep)")
    parser.add_argument("-n", type=int, default=20, help="latency samples (distinct images)")
    parser.add_argument("--throughput-n", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--quick", action="store_true", help="8 samples, 8 for throughput")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument(
        "--max-width", type=int, default=int(os.environ.get("PAYMENTS_OCR_MAX_WIDTH", "720"))
    )
    parser.add_argument(
        "--det-max-side", type=int, default=int(os.environ.get("PAYMENTS_OCR_DET_MAX_SIDE", "0"))
    )
    args = parser.parse_args(argv)
    n = 8 if args.quick else args.n
    tn = 8 if args.quick else args.throughput_n
    images = screenshots(n + tn * 4, seed=args.seed)
    lat_images, rest = images[:n], images[n:]
    print(
        f"payments speed: 1080x2400 PNG screenshots, seed {args.seed}, "
        f"PAYMENTS_OCR_MAX_WIDTH={args.max_width}, "
        f"PAYMENTS_OCR_DET_MAX_SIDE={args.det_max_side}, "
        f"PAYMENTS_OCR_THREADS={os.environ.get('PAYMENTS_OCR_THREADS', '1')}, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine: noisy)\n"
    )

    results: list[str] = []
    if args.url:
        times, answers = latency(args.url, lat_images)
        results.append(_row(f"POST /parse-payment ({args.url})", times))
        ok = sum(1 for a in answers if a.get("success"))
        results.append(f"  answers: {ok}/{len(answers)} success")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for w_index, workers in enumerate(int(w) for w in args.workers.split(",")):
                namespace = f"benchpay{secrets.token_hex(3)}"
                with stack(
                    workers,
                    namespace=namespace,
                    var=Path(tmp),
                    max_width=args.max_width,
                    det_max_side=args.det_max_side,
                ) as (url, pids):
                    if w_index == 0:
                        cpu_before = cpu_seconds(pids)
                        times, answers = latency(url, lat_images)
                        cpu_used = cpu_seconds(pids) - cpu_before
                        results.append(
                            _row(f"POST /parse-payment, {workers} worker, 1 at a time", times)
                        )
                        ok = sum(1 for a in answers if a.get("success"))
                        served = [a["metadata"]["processing_time_ms"] for a in answers]  # type: ignore[index]
                        results.append(
                            _row(
                                "  of which inside the service (processing_time_ms)",
                                [float(s) / 1000 for s in served],
                            )
                        )
                        results.append(f"  answers: {ok}/{len(answers)} success")
                        results.append(
                            f"  service CPU per request (user+sys of the worker): "
                            f"{cpu_used / len(lat_images) * 1000:.0f} ms"
                        )
                    batch = rest[w_index * tn : (w_index + 1) * tn]
                    rps = throughput(url, batch, concurrency=args.concurrency)
                    results.append(
                        f"throughput, {workers} worker(s), {args.concurrency} in flight: "
                        f"{rps:.2f} req/s ({len(batch)} requests)"
                    )
    full, scaled, cpu = bare_ocr(
        lat_images, max_width=args.max_width, det_max_side=args.det_max_side
    )
    results.append(_row("bare OCR, full 1080x2400", full))
    results.append(_row(f"bare OCR, downscaled to {args.max_width} px wide (as served)", scaled))
    results.append(_row("  the same, CPU time (process_time)", cpu))
    print("\n".join(results))


if __name__ == "__main__":
    main()
