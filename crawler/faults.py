"""Fetch faults, each under its own reason: a pure mapping from what went wrong
to the machine-readable reason recorded in rejects/ and counted in the manifest."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)

# IgnoreRequest carries its cause only in its message; these are the messages
# of Scrapy's own middlewares (and of ours, crawler/middlewares.py).
_IGNORED_BY_MESSAGE = (
    ("robots.txt", "robots_disallowed"),
    ("max redirections", "redirect_loop"),
    ("offsite", "offsite"),
    ("DOWNLOAD_MAXSIZE", "too_large"),
    ("private address", "ssrf_blocked"),
)

_BY_EXCEPTION = (
    (DownloadTimeoutError, "timeout"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (CannotResolveHostError, "dns_error"),
    (ResponseDataLossError, "truncated"),
    (DownloadCancelledError, "too_large"),
    (DownloadFailedError, "connection_lost"),
)


def failure_reason(exc: BaseException) -> str:
    """The rejection reason of a failed fetch."""
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        for needle, reason in _IGNORED_BY_MESSAGE:
            if needle.lower() in message.lower():
                return reason
        return "not_fetched"
    for exc_type, reason in _BY_EXCEPTION:
        if isinstance(exc, exc_type):
            return reason
    return "fetch_error"
