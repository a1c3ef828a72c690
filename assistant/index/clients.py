"""Chroma clients: on disk under the data dir (PersistentClient), or a Chroma server (HttpClient) when
``ASSISTANT_CHROMA_URL`` is set; every Chroma failure as one BackendError line naming the store."""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlparse

from ..errors import AssistantError, BackendError
from ..settings import Settings


FULL_DISK_BYTES = 16 * 1024 * 1024  # less free than this where the store lives: a failed write is a full disk


def free_bytes(location: str) -> int | None:
    """Free space on the disk that holds ``location`` (its nearest existing folder); None for a server URL."""
    import shutil

    path = Path(location)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free if "://" not in location else None
    except OSError:
        return None


def store_error(location: str, err: BaseException) -> BackendError:
    """One line for a Chroma failure: what happened to which store, and what to do."""
    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    low = text.lower()
    free = free_bytes(location)
    # Chroma reports a full disk as whatever step failed ("Error in compaction: Failed to apply logs ...")
    if "no space left" in low or "disk is full" in low or (free is not None and free < FULL_DISK_BYTES):
        shown = f"{free / 1024 / 1024:.1f} MB free" if free is not None else "no space left"
        return BackendError(
            f"the disk holding the store at {location} is full ({shown}); free some space, or use a --data-dir on "
            "another disk, then ingest again"
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return BackendError(f"the store at {location} is damaged ({text}); move {location} away and ingest again")
    if "readonly" in low or "read-only" in low or "read only" in low:
        return BackendError(
            f"the store at {location} is read-only and Chroma must write to it even to read it "
            f"({text}); make it writable, or copy it somewhere writable and use that --data-dir"
        )
    if "timed out" in low or "timeout" in low:
        return BackendError(
            f"the Chroma server at {location} did not answer in time ({text}); check the server, or "
            "raise ASSISTANT_CHROMA_TIMEOUT"
        )
    if isinstance(err, PermissionError):
        return BackendError(f"the store at {location} cannot be written ({text}); use a writable --data-dir")
    return BackendError(f"Chroma store at {location} failed: {text}")


def guarded(method):
    """Store methods raise BackendError (one line), never Chroma's or SQLite's own exceptions."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as err:
            raise store_error(self.location, err) from None

    return wrapper


def _local_dir(path: Path) -> None:
    """The on-disk store's folder, created if needed; a one-line error when it cannot be."""
    for parent in (path.parent, path):
        if parent.exists() and not parent.is_dir():
            raise BackendError(
                f"--data-dir {path.parent} is not a directory (it is a file); give a directory, "
                "e.g. --data-dir ~/news-index"
            )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BackendError(
            f"cannot create the store at {path} ({err.strerror or err}); choose a writable --data-dir"
        ) from None


def chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        try:
            return http_client(chromadb, url, chroma_settings, settings.chroma_timeout)
        except Exception as err:  # chromadb raises plain ValueError/ConnectError when the server is absent
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise BackendError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({first}); "
                "start it with `chroma run --path DIR` or unset ASSISTANT_CHROMA_URL"
            ) from None
    _local_dir(settings.chroma_path)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as err:
        # chromadb caches a half-built system per path; forget it, so a retry in this process opens afresh
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(settings.chroma_path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(settings.chroma_path), None)
        raise store_error(str(settings.chroma_path), err) from None


def http_client(chromadb, url, chroma_settings, timeout: float):
    """chromadb.HttpClient whose requests give up after ``timeout`` seconds. chromadb 1.x builds its httpx client
    with ``timeout=None`` (wait forever on a server that accepts and never replies) and has no setting for it, so
    while the client is built, its module sees an httpx whose Client defaults to our timeout."""
    import chromadb.api.fastapi as fastapi_module
    import httpx

    class TimedHttpx:
        def __getattr__(self, name):
            return getattr(httpx, name)

        @staticmethod
        def Client(*args, **kwargs):  # noqa: N802 (httpx's name)
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = httpx.Timeout(timeout)
            return httpx.Client(*args, **kwargs)

    fastapi_module.httpx = TimedHttpx()  # type: ignore[assignment]
    try:
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
        )
    finally:
        fastapi_module.httpx = httpx
