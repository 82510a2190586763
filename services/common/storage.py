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
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from services.common.errors import NotFound, Unavailable

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
    """Objects in one bucket of an S3-compatible service, through aioboto3.

    Credentials come from the usual AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
    profiles…) unless given. The bucket is created on first use when it does not exist.
    Connection failures surface as :class:`Unavailable`, missing objects as :class:`NotFound`.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        import aioboto3

        if not bucket:
            raise ValueError("S3 storage needs a bucket: STORAGE_URL=s3://<bucket>")
        self.bucket = bucket
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key
        )
        self._endpoint_url = endpoint_url
        self._region = region
        self._client: Any = None
        self._client_cm: Any = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> Any:
        async with self._lock:
            if self._client is None:
                from aiobotocore.config import AioConfig

                config = AioConfig(
                    connect_timeout=5,
                    read_timeout=60,
                    retries={"max_attempts": 3, "mode": "standard"},
                )
                cm = self._session.client(
                    "s3", endpoint_url=self._endpoint_url, region_name=self._region, config=config
                )
                client = await cm.__aenter__()
                try:
                    await self._ensure_bucket(client)
                except BaseException:
                    await cm.__aexit__(None, None, None)
                    raise
                self._client_cm, self._client = cm, client
            return self._client

    async def _ensure_bucket(self, client: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _status(exc) != 404:
                raise Unavailable(f"bucket {self.bucket} is not usable: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise Unavailable(f"S3 endpoint unreachable: {type(exc).__name__}") from exc
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self._region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            await client.create_bucket(**kwargs)
        except ClientError as exc:  # created meanwhile by another process
            if _code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        s3 = await self._s3()
        await _translated(
            s3.put_object(
                Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
            ),
            key,
        )

    async def get(self, key: str) -> bytes:
        s3 = await self._s3()
        obj = await _translated(s3.get_object(Bucket=self.bucket, Key=check_key(key)), key)
        async with obj["Body"] as body:
            data: bytes = await body.read()
        return data

    async def delete(self, key: str) -> None:
        s3 = await self._s3()
        await _translated(s3.delete_object(Bucket=self.bucket, Key=check_key(key)), key)

    async def exists(self, key: str) -> bool:
        s3 = await self._s3()
        try:
            await _translated(s3.head_object(Bucket=self.bucket, Key=check_key(key)), key)
        except NotFound:
            return False
        return True

    async def close(self) -> None:
        async with self._lock:
            if self._client_cm is not None:
                cm, self._client, self._client_cm = self._client_cm, None, None
                await cm.__aexit__(None, None, None)


def _status(exc: Any) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


async def _translated(call: Awaitable[Any], key: str) -> Any:
    """Await an S3 call, turning missing keys into NotFound and transport trouble into
    Unavailable."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return await call
    except ClientError as exc:
        if _status(exc) == 404 or _code(exc) in {"NoSuchKey", "NotFound", "404"}:
            raise NotFound(f"blob {key} not found") from exc
        if _status(exc) >= 500:
            raise Unavailable(f"S3 error {_code(exc)}") from exc
        raise
    except BotoCoreError as exc:
        raise Unavailable(f"S3 endpoint unreachable: {type(exc).__name__}") from exc


def blob_store(
    url: str, *, endpoint_url: str | None = None, region: str = "us-east-1"
) -> BlobStore:
    """Build the store a ``STORAGE_URL`` names."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path
        return LocalBlobStore(path or "./var/blobs")
    if parsed.scheme == "s3":
        return S3BlobStore(parsed.netloc, endpoint_url=endpoint_url, region=region)
    raise ValueError(f"unsupported STORAGE_URL scheme {parsed.scheme!r}")


__all__ = ["BlobStore", "LocalBlobStore", "S3BlobStore", "blob_store", "check_key"]
