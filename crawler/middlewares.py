"""Downloader middlewares: politeness when a site asks for it, a guard
against being steered into private networks, and Scrapy's meta refresh
reading only what it needs."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting as long as a 429/503 Retry-After asks (up to
    RETRY_AFTER_MAX seconds; a longer wait gives up on the page for this run)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)

    async def process_request(self, request: Request, spider=None) -> None:
        delay = request.meta.pop("retry_after_delay", None)
        if delay:
            await asyncio.sleep(delay)

    def process_response(self, request: Request, response: Response, spider=None):
        if response.status in (429, 503) and not request.meta.get("dont_retry"):
            delay = retry_after_seconds(response.headers.get(b"Retry-After"))
            if delay is not None and delay > self.max_wait:
                return response
            retry = self._retry(request, f"{response.status} Retry-After")
            if retry is None:
                return response
            if delay:
                retry.meta["retry_after_delay"] = delay
            return retry
        return super().process_response(request, response)


async def is_private_address(host: str) -> bool | None:
    """True when `host` is, or resolves to, a loopback, private, link-local or
    otherwise non-public address; None when it cannot be looked up (the
    download will fail with a DNS error of its own). The lookup runs in the
    event loop's thread pool: a slow DNS server must not stop every other
    download meanwhile."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None,
                                                              proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):   # socket.gaierror and the like
        return None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return True
    return False


# Scrapy's MetaRefreshMiddleware looks for <meta http-equiv="refresh"> in the
# first 4,096 characters of a page, which it takes from response.text: the
# whole page decoded, and cached on the response, which Scrapy holds until the
# page's item is through the pipelines. On the benchmark's real pages the
# crawler's process held 15 MB more all crawl long, and 40 MB more while its
# largest pages waited for a worker. A character takes at most four bytes.
META_REFRESH_HEAD_BYTES = 4 * 4096


class MetaRefreshHeadMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, decoding only the start of the page."""

    def process_response(self, request: Request, response: Response, spider=None):
        if not isinstance(response, HtmlResponse) or len(response.body) <= META_REFRESH_HEAD_BYTES:
            return super().process_response(request, response)
        head = response.replace(body=response.body[:META_REFRESH_HEAD_BYTES],
                                encoding=response.encoding)
        outcome = super().process_response(request, head)
        return response if outcome is head else outcome


class PrivateNetworkGuardMiddleware:
    """Refuse requests (redirects included) to hosts that resolve to private or
    loopback addresses, unless the source itself lives there: a public news
    site must not steer the crawler into the network it runs in (SSRF).

    The hosts of the source's entry points (configured or START_URLS: a mirror
    on 127.0.0.1 in tests and demos) are allowed, and so are those listed in
    SSRF_ALLOWED_PRIVATE_HOSTS."""

    def __init__(self, allowed_hosts: set[str]):
        self.allowed_hosts = allowed_hosts
        # One lookup a host, awaited by every request to it that arrives
        # meanwhile; kept for the crawl once it has an answer.
        self._verdicts: dict[str, asyncio.Future[bool | None]] = {}

    @classmethod
    def from_crawler(cls, crawler) -> "PrivateNetworkGuardMiddleware":
        if not crawler.settings.getbool("SSRF_GUARD_ENABLED", True):
            raise NotConfigured("SSRF_GUARD_ENABLED is off")
        allowed = {h.lower() for h in crawler.settings.getlist("SSRF_ALLOWED_PRIVATE_HOSTS")}
        # The hosts the operator named as entry points are trusted wherever they are.
        source = getattr(crawler.spider, "source", None)
        if source is not None:
            allowed |= {(urlsplit(u).hostname or "").lower() for u in source.entry_points}
        return cls(allowed)

    async def process_request(self, request: Request, spider=None) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        if not host or host in self.allowed_hosts:
            return None
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = self._verdicts[host] = asyncio.ensure_future(is_private_address(host))
        private = await verdict
        if private is None and self._verdicts.get(host) is verdict:
            # A failed lookup is not an answer: the next request to the host
            # looks again, and is refused if the host then resolves privately.
            del self._verdicts[host]
        if private:
            raise IgnoreRequest(f"refused {request.url}: {host} resolves to a private address")
        return None


def host_allowed(host: str, allowed_domains: list[str] | tuple[str, ...]) -> bool:
    host = host.lower()
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed_domains)


class OffsiteRedirectMiddleware:
    """Refuse a redirect that leaves the source's domains, as a failure of the
    request (so the page is recorded as rejected, reason `offsite`): Scrapy's
    OffsiteMiddleware drops such redirects when they are scheduled, silently."""

    def __init__(self, allowed_domains: list[str]):
        self.allowed_domains = allowed_domains

    @classmethod
    def from_crawler(cls, crawler) -> "OffsiteRedirectMiddleware":
        return cls(list(getattr(crawler.spider, "allowed_domains", None) or []))

    def process_response(self, request: Request, response: Response, spider=None):
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400) or not location or not self.allowed_domains:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        host = urlsplit(target).hostname or ""
        if not host_allowed(host, self.allowed_domains):
            raise IgnoreRequest(f"refused offsite redirect from {request.url} to {target}")
        return response
