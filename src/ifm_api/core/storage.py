"""Where file bytes live: one small interface, implemented for the local filesystem.

Keys are relative, ``/``-separated names (``ab/ab12…`` for an original, stored by its
SHA-256; ``renditions/ab/ab12…/<name>`` for derived images). Every write is atomic: the
bytes go to a temporary file of the writer's own, are fsynced, checked against the expected
SHA-256 and only then renamed into place (and the directory fsynced), so a reader sees the
whole file or none, and a failed write (a full disk included) leaves nothing behind.

An S3-compatible store would implement the same ``Storage`` protocol: ``save`` as a
``PutObject`` with ``ChecksumSHA256`` (atomic by itself), ``lock`` as a no-op or a database
advisory lock, ``listing`` as ``ListObjectsV2`` and ``local_path`` replaced by streaming or a
presigned URL in the download views; ``storage()`` below is the one place that chooses.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app

TEMP_SUFFIX = ".part"
LOCK_NAME = ".lock"


class StorageError(Exception):
    """Bytes could not be stored; nothing was left behind."""


class StorageFull(StorageError):
    """The file system has no room (ENOSPC, EDQUOT)."""


@dataclass(frozen=True)
class StoredKey:
    key: str
    size: int
    mtime: float
    temporary: bool


class Storage(Protocol):
    """What the API needs from a file store."""

    def save(self, key: str, data: bytes, *, sha256: str | None = None) -> None:
        """Store ``data`` under ``key`` atomically (checked against ``sha256`` when given)."""

    def exists(self, key: str, *, size: int | None = None) -> bool:
        """Whether ``key`` is stored (with exactly ``size`` bytes, when given)."""

    def read(self, key: str) -> bytes: ...

    def local_path(self, key: str) -> Path:
        """A path the download views can stream from (a local store only)."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (and, for a directory-like prefix, everything under it)."""

    def listing(self) -> Iterator[StoredKey]:
        """Every stored key, temporary leftovers of failed writes included."""

    def lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Serialise writers and deleters of ``key`` across threads and processes."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


class LocalStorage:
    """Files under one root directory (IFM_MEDIA_ROOT)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def local_path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    def _make_dirs(self, directory: Path) -> None:
        """Create ``directory`` and fsync each new level's parent, so the entry survives."""
        missing = []
        current = directory
        while not current.exists():
            missing.append(current)
            current = current.parent
        for level in reversed(missing):
            with contextlib.suppress(FileExistsError):
                level.mkdir()
            _fsync_dir(level.parent)

    def save(self, key: str, data: bytes, *, sha256: str | None = None) -> None:
        target = self.local_path(key)
        tmp: Path | None = None
        try:
            self._make_dirs(target.parent)
            fd, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent
            )
            tmp = Path(name)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if sha256 is not None and _sha256_of(tmp) != sha256:
                raise StorageError(f"{key}: the written bytes do not match their SHA-256")
            os.replace(tmp, target)
            tmp = None
            _fsync_dir(target.parent)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"{key}: no space left") from exc
            raise StorageError(f"{key}: {exc}") from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def exists(self, key: str, *, size: int | None = None) -> bool:
        try:
            stat = self.local_path(key).stat()
        except FileNotFoundError:
            return False
        return size is None or stat.st_size == size

    def read(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()

    def delete(self, key: str) -> None:
        path = self.local_path(key)
        if path.is_dir():
            for child in sorted(path.rglob("*"), reverse=True):
                if child.is_dir():
                    child.rmdir()
                else:
                    child.unlink(missing_ok=True)
            path.rmdir()
        else:
            path.unlink(missing_ok=True)
        if path.parent.exists():
            _fsync_dir(path.parent)

    def listing(self) -> Iterator[StoredKey]:
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name == LOCK_NAME:
                continue
            stat = path.stat()
            yield StoredKey(
                key=path.relative_to(self.root).as_posix(),
                size=stat.st_size,
                mtime=stat.st_mtime,
                temporary=path.name.endswith(TEMP_SUFFIX),
            )

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """An exclusive ``flock`` on the key's directory's lock file (one per shard)."""
        directory = self.local_path(key).parent
        self._make_dirs(directory)
        with (directory / LOCK_NAME).open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def storage() -> Storage:
    """The app's file store (the local filesystem under IFM_MEDIA_ROOT)."""
    store = current_app.extensions.get("ifm_storage")
    if store is None:
        store = LocalStorage(current_app.config["IFM"].media_root)
        current_app.extensions["ifm_storage"] = store
    return store
