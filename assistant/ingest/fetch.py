"""Fetch: one http(s) URL the user gave → its bytes, within limits, or one line saying why not.

Used by ``ingest URL`` and ``watch`` only; nothing here follows a link found in a response (a redirect is the one
thing followed, at most ``max_redirects`` times). Limits, all from the settings (``fetch_*``):

- a time limit per attempt that covers the whole response (headers and body), so a server that drips bytes is cut
  off like one that never answers;
- a size limit on the body as decoded (gzip is decoded as it is read, so a compressed "bomb" stops at the limit);
- a bounded number of further attempts, with exponential back-off (``Retry-After`` honoured up to a cap), after a
  timeout, a refused or dropped connection, 408, 429 or 5xx; any other status is final;
- conditional requests: ``If-None-Match`` / ``If-Modified-Since`` from the ETag / Last-Modified of the last fetch;
  a 304 is reported as ``not_modified``.

Every failure is a ``FetchError`` (an InputError): ``<url>: <what happened>; <what to do>``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import InputError

USER_AGENT = "newsqa-assistant/{version} (feed reader; fetches only the URLs its user gave)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, "
    "application/xhtml+xml;q=0.8, */*;q=0.1"
)
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_BACKOFF = 30.0  # seconds: the longest wait before another attempt, whatever Retry-After asks


class FetchError(InputError):
    """A URL that could not be fetched; ``str()`` is the one-line message, naming the URL."""


@dataclass
class Fetched:
    url: str  # as given
    final_url: str  # after redirects
    status: int  # 200, or 304 (then content is b"")
    content: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_url(text: str) -> bool:
    """An argument meant as a web address: it starts with http:// or https:// (any case)."""
    return text[:8].lower().startswith(("http://", "https://"))


def check_url(url: str) -> str:
    """The URL, when it is an absolute http(s) URL with a host; else a one-line FetchError."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as err:
        raise FetchError(f"{url}: not a valid URL ({err}); give an http:// or https:// address") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http:// and https:// URLs with a host can be fetched; check the address")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise FetchError(f"{url!r}: the URL holds spaces or control characters; quote it or encode them (%20)")
    return url


class Fetcher:
    """An HTTP client with the limits above; ``sleep`` is injectable so tests of the back-off do not wait."""

    def __init__(
        self,
        timeout: float = 20.0,
        max_bytes: int = 10 * 1024 * 1024,
        retries: int = 2,
        max_redirects: int = 5,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import httpx

        from importlib.metadata import PackageNotFoundError, version

        try:
            __version__ = version("newsqa-assistant")
        except PackageNotFoundError:  # a checkout that was never installed
            __version__ = "0"

        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.max_redirects = max_redirects
        self.backoff = backoff
        self.sleep = sleep
        self.client = httpx.Client(
            follow_redirects=True,
            max_redirects=max_redirects,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT.format(version=__version__), "Accept": ACCEPT},
        )

    @classmethod
    def from_settings(cls, settings, **kw) -> Fetcher:
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
            retries=settings.fetch_retries,
            max_redirects=settings.fetch_max_redirects,
            backoff=settings.fetch_backoff,
            **kw,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fetch(self, url: str, etag: str = "", last_modified: str = "") -> Fetched:
        """The response to GET url (conditional when an ETag or Last-Modified is given), after at most
        ``1 + retries`` attempts; a FetchError saying why when there is none."""
        import httpx

        check_url(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempts = 1 + self.retries
        for attempt in range(1, attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                return self._attempt(url, headers)
            except _Retry as err:
                problem = err.message
                if err.retry_after is not None:
                    wait = err.retry_after
            except httpx.TooManyRedirects:
                raise FetchError(
                    f"{url}: more than {self.max_redirects} redirects (a redirect loop?); give the final address"
                ) from None
            except httpx.TimeoutException:
                problem = f"no complete answer within {self.timeout:g} s"
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as err:
                problem = f"cannot connect or the connection broke ({_reason(err)})"
            except httpx.UnsupportedProtocol:
                raise FetchError(f"{url}: redirected to an address that is not http(s); not followed") from None
            except httpx.DecodingError as err:
                raise FetchError(
                    f"{url}: the response's compressed data is corrupt ({_reason(err)}); try again later"
                ) from None
            except httpx.HTTPError as err:
                raise FetchError(f"{url}: the request failed ({type(err).__name__}: {_reason(err)})") from None
            if attempt < attempts:
                self.sleep(min(wait, MAX_BACKOFF))
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        raise FetchError(f"{url}: {problem}{tries}; check the URL, or try again later (the site may be down or slow)")

    def _attempt(self, url: str, headers: dict[str, str]) -> Fetched:
        deadline = time.monotonic() + self.timeout
        with self.client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in RETRY_STATUSES:
                raise _Retry(f"HTTP {status} {_phrase(status)}", _retry_after(response))
            if status == 304:
                return self._fetched(url, response, b"")
            if status >= 400:
                hint = "check the URL" if status in (404, 410) else "the site refused it"
                raise FetchError(f"{url}: HTTP {status} {_phrase(status)}; {hint}")
            if not 200 <= status < 300:
                raise FetchError(f"{url}: HTTP {status} {_phrase(status)}; not a page or a feed")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes and "content-encoding" not in response.headers:
                raise FetchError(self._too_big(url, f"{int(declared) / 1024 / 1024:.1f} MB"))
            body = bytearray()
            for part in response.iter_bytes():
                body += part
                if len(body) > self.max_bytes:
                    raise FetchError(self._too_big(url, "the response"))
                if time.monotonic() > deadline:
                    import httpx

                    raise httpx.ReadTimeout("the whole response took too long")
            if not body.strip():
                raise FetchError(f"{url}: the response is empty; check the URL")
            return self._fetched(url, response, bytes(body))

    def _too_big(self, url: str, what: str) -> str:
        return (
            f"{url}: {what} is over the {self.max_bytes / 1024 / 1024:g} MB limit; not read "
            "(raise ASSISTANT_FETCH_MAX_MB to allow it)"
        )

    @staticmethod
    def _fetched(url: str, response, content: bytes) -> Fetched:
        h = response.headers
        return Fetched(
            url=url,
            final_url=str(response.url),
            status=response.status_code,
            content=content,
            content_type=h.get("content-type", ""),
            etag=h.get("etag", ""),
            last_modified=h.get("last-modified", ""),
        )


class _Retry(Exception):
    def __init__(self, message: str, retry_after: float | None):
        self.message = message
        self.retry_after = retry_after


def _retry_after(response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _phrase(status: int) -> str:
    """The standard reason phrase (the server's own is its text, not ours to print)."""
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _reason(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
