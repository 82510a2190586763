"""Sanitised filenames, file ids and blob keys."""

from __future__ import annotations

import re

import pytest

from services.common.storage import check_key
from services.ingest.names import new_file_id, sanitise_filename, storage_key, user_segment


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("statement.pdf", "statement.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\Desktop\\march statement.pdf", "march statement.pdf"),
        ("bad\x00na\x1fme\u202e.pdf", "badname.pdf"),
        ("  .hidden.pdf  ", "hidden.pdf"),
        ("in*vo?ice<>|:\"'.pdf", "in_vo_ice_.pdf"),
        ("Kontoauszug März 2024.pdf", "Kontoauszug März 2024.pdf"),
        ("ﬁle.pdf", "file.pdf"),
        ("a\t\n  b.pdf", "a b.pdf"),
        ("", "document.png"),
        ("../..", "document.png"),
        ("???", "document.png"),
        ("/", "document.png"),
    ],
)
def test_sanitise_filename(raw: str, expected: str) -> None:
    assert sanitise_filename(raw, fallback_extension=".png") == expected


def test_long_names_are_capped_keeping_the_extension() -> None:
    name = sanitise_filename("x" * 1000 + ".pdf", fallback_extension=".pdf", max_chars=50)
    assert len(name) == 50 and name.endswith(".pdf")
    other = sanitise_filename("y" * 1000, fallback_extension=".pdf", max_chars=50)
    assert other == "y" * 50


def test_file_ids_are_unique_and_carry_the_real_extension() -> None:
    ids = {new_file_id(".png") for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[0-9a-f-]{36}\.png", i) for i in ids)


@pytest.mark.parametrize("user", ["alice", "user-42", "a@b.com", "../x", "..", "名前", "x" * 100])
def test_storage_keys_are_safe_and_per_user(user: str) -> None:
    key = storage_key("ns", user, "f.pdf")
    assert check_key(key) == key
    assert key.startswith("ns/") and key.endswith("/f.pdf")
    assert key.count("/") == 2


def test_user_segments_differ_per_user() -> None:
    users = ["alice", "Alice", "a@b.com", "a_b.com", "..", "..."]
    assert len({user_segment(u) for u in users}) == len(users)
    assert user_segment("alice") == "alice"
