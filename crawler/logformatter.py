"""Log lines for dropped items: one short line naming the page and the reason,
never the whole page."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter

from pipelines.dedup import AlreadyArchived
from pipelines.rejections import PageRejected


class NewsLogFormatter(logformatter.LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None):
        url = item.get("url") if isinstance(item, dict) else getattr(item, "url", "?")
        if isinstance(exception, AlreadyArchived):
            level, msg = logging.DEBUG, "unchanged, already archived: %(url)s"
        elif isinstance(exception, PageRejected):
            level, msg = logging.INFO, "rejected %(reason)s: %(url)s (%(detail)s)"
        else:
            level, msg = logging.WARNING, "dropped: %(url)s (%(detail)s)"
        return {"level": level, "msg": msg,
                "args": {"url": url, "reason": getattr(exception, "reason", ""),
                         "detail": getattr(exception, "detail", str(exception))}}
