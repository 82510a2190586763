"""Blob storage behind one interface: a local folder (default) or S3-compatible storage.

``STORAGE_URL=file:///var/lib/fintract/blobs`` or ``STORAGE_URL=s3://bucket`` (with
``S3_ENDPOINT_URL`` for MinIO, Supabase Storage's S3 endpoint or a test server).
Keys look like ``<namespace>/<user_id>/<file_id>``; callers never build filesystem paths.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from services.common.errors import NotFound

_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def check_key(key: str) -> str:
    """Refuse keys that could escape the store (``..``, absolute paths, odd characters)."""
    if not _SAFE_KEY.match(key) or any(part in {".", ".."} for part in key.split("/")):
        raise ValueError(f"unsafe blob key {key!r}")
    return key


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, *, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    async def exists(self, key: str) -> bool: ...
    async def close(self) -> None: ...


class LocalBlobStore:
    """Files under one root folder, written atomically (temp file + rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise NotFound(f"blob {key} not found") from exc

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def close(self) -> None:
        return None


class S3BlobStore:
    """Objects in one bucket of an S3-compatible service, through aioboto3."""

    def __init__(self, bucket: str, *, endpoint_url: str | None, region: str) -> None:
        import aioboto3

        self.bucket = bucket
        self._session = aioboto3.Session()
        self._endpoint_url = endpoint_url
        self._region = region
        self._client: Any = None
        self._client_cm: Any = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> Any:
        async with self._lock:
            if self._client is None:
                self._client_cm = self._session.client(
                    "s3", endpoint_url=self._endpoint_url, region_name=self._region
                )
                self._client = await self._client_cm.__aenter__()
                try:
                    await self._client.head_bucket(Bucket=self.bucket)
                except Exception:  # noqa: BLE001 - create on first use
                    await self._client.create_bucket(Bucket=self.bucket)
            return self._client

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        s3 = await self._s3()
        await s3.put_object(
            Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes:
        s3 = await self._s3()
        try:
            obj = await s3.get_object(Bucket=self.bucket, Key=check_key(key))
        except s3.exceptions.NoSuchKey as exc:
            raise NotFound(f"blob {key} not found") from exc
        async with obj["Body"] as body:
            data: bytes = await body.read()
        return data

    async def delete(self, key: str) -> None:
        s3 = await self._s3()
        await s3.delete_object(Bucket=self.bucket, Key=check_key(key))

    async def exists(self, key: str) -> bool:
        s3 = await self._s3()
        try:
            await s3.head_object(Bucket=self.bucket, Key=check_key(key))
        except Exception:  # noqa: BLE001 - botocore raises ClientError 404
            return False
        return True

    async def close(self) -> None:
        if self._client_cm is not None:
            await self._client_cm.__aexit__(None, None, None)
            self._client = self._client_cm = None


def blob_store(url: str, *, endpoint_url: str | None = None, region: str = "us-east-1") -> BlobStore:
    """Build the store a ``STORAGE_URL`` names."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path
        return LocalBlobStore(path or "./var/blobs")
    if parsed.scheme == "s3":
        return S3BlobStore(parsed.netloc, endpoint_url=endpoint_url, region=region)
    raise ValueError(f"unsupported STORAGE_URL scheme {parsed.scheme!r}")


__all__ = ["BlobStore", "LocalBlobStore", "S3BlobStore", "blob_store", "check_key"]
