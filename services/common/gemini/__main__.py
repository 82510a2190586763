"""``python -m services.common.gemini [IMAGE]``: check the configured keys and models.

Sends one small classification request per model of ``GEMINI_MODELS`` (with the keys from
``GOOGLE_API_KEY``, ``GOOGLE_API_KEY2``, …) and prints, per model, whether it answered, in how
long, and with how many tokens. Keys are never printed. Exit status 1 when no model answered.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import time
from pathlib import Path

from services.common.errors import FintractError
from services.common.gemini.escalate import CLASSIFY_INSTRUCTION
from services.common.gemini.provider import GeminiProvider, InlineData
from services.common.gemini.schemas import ClassificationAnswer
from services.common.gemini.settings import GeminiSettings


def _sample_image() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (20, 40), "Payment successful\nRs. 1,250.00\nUPI transaction ID 123456789012", fill="black"
    )
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


async def _check(image: bytes, mime: str) -> int:
    settings = GeminiSettings()
    provider = GeminiProvider(settings)
    out = sys.stdout
    out.write(f"keys: {len(provider.keys)}   endpoint: {settings.base_url or 'Google'}\n")
    answered = 0
    try:
        for model in settings.models:
            started = time.monotonic()
            try:
                result = await provider.generate(
                    ClassificationAnswer,
                    instruction=CLASSIFY_INSTRUCTION,
                    parts=[InlineData(image, mime)],
                    models=[model],
                )
            except FintractError as exc:
                out.write(f"{model:<28} FAILED  {exc.code}: {exc.message}\n")
                continue
            answered += 1
            out.write(
                f"{model:<28} ok      {time.monotonic() - started:5.2f} s  "
                f"{result.value.document_type} ({result.value.confidence:.2f})  "
                f"tokens {result.usage.prompt_tokens}+{result.usage.output_tokens}  "
                f"key #{result.key_index + 1}\n"
            )
    finally:
        await provider.aclose()
    return 0 if answered else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.gemini", description=__doc__)
    parser.add_argument(
        "image", nargs="?", type=Path, help="an image to send (default: a tiny receipt)"
    )
    args = parser.parse_args(argv)
    if args.image:
        data = args.image.read_bytes()
        mime = "image/jpeg" if args.image.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    else:
        data, mime = _sample_image(), "image/png"
    try:
        return asyncio.run(_check(data, mime))
    except FintractError as exc:
        sys.stderr.write(f"{exc.code}: {exc.message}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
