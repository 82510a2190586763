"""Safe names: sanitised user filenames, new file ids, and blob keys."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid

_KEEP = re.compile(r"[^\w .()\[\]+,-]")
_SPACES = re.compile(r" +")
_WHITESPACE = frozenset("\t\n\r\f\v")
_UNDERSCORES = re.compile(r"_{2,}")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MAX_EXTENSION = 10


def sanitise_filename(name: str, *, fallback_extension: str, max_chars: int = 200) -> str:
    """A display name safe to store and echo: no directories, control or odd characters,
    at most ``max_chars`` long (keeping a short extension), never empty."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(
        " " if ch in _WHITESPACE or unicodedata.category(ch) == "Zs" else ch
        for ch in base
        if ch in _WHITESPACE or not unicodedata.category(ch).startswith("C")
    )
    base = _KEEP.sub("_", base)
    base = _UNDERSCORES.sub("_", _SPACES.sub(" ", base)).strip(" .")
    if len(base) > max_chars:
        stem, dot, ext = base.rpartition(".")
        if dot and stem and len(ext) <= _MAX_EXTENSION:
            base = stem[: max_chars - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            base = base[:max_chars].rstrip(" .")
    if not any(ch.isalnum() for ch in base):
        base = "document" + fallback_extension
    return base


def new_file_id(extension: str) -> str:
    """A fresh file id carrying the extension of the real type, e.g. ``<uuid>.pdf``."""
    return f"{uuid.uuid4()}{extension}"


def user_segment(user_id: str) -> str:
    """The blob-key segment for a user: the id itself when it is key-safe, else a hash."""
    if _SAFE_SEGMENT.match(user_id) and user_id.strip("."):
        return user_id
    return "u-" + hashlib.sha256(user_id.encode()).hexdigest()[:40]


def storage_key(namespace: str, user_id: str, file_id: str) -> str:
    """``<namespace>/<user>/<file_id>``, the only shape of key ingest writes."""
    return f"{namespace}/{user_segment(user_id)}/{file_id}"


__all__ = ["new_file_id", "sanitise_filename", "storage_key", "user_segment"]
