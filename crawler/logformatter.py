"""Log lines for dropped items and for items a pipeline failed on: one short
line naming the page (and the reason), never the whole page."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter

from pipelines.dedup import AlreadyArchived
from pipelines.rejections import PageRejected


def item_url(item: Any) -> str:
    return item.get("url") if isinstance(item, dict) else getattr(item, "url", "?")


class NewsLogFormatter(logformatter.LogFormatter):
    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any = None):
        # Scrapy's default prints the item: the fetched page's whole body.
        # The traceback follows the line, with the error's own message.
        return {"level": logging.ERROR, "msg": "Error processing %(url)s: %(error)s",
                "args": {"url": item_url(item), "error": exception}}

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None):
        url = item_url(item)
        if isinstance(exception, AlreadyArchived):
            level, msg = logging.DEBUG, "unchanged, already archived: %(url)s"
        elif isinstance(exception, PageRejected):
            level, msg = logging.INFO, "rejected %(reason)s: %(url)s (%(detail)s)"
        else:
            level, msg = logging.WARNING, "dropped: %(url)s (%(detail)s)"
        return {"level": level, "msg": msg,
                "args": {"url": url, "reason": getattr(exception, "reason", ""),
                         "detail": getattr(exception, "detail", str(exception))}}
