"""Scrapy settings of the news archive.

The flow of every page is the pipeline order below:
spider (discover, fetch) -> extract -> validate -> dedup -> write.
"""

BOT_NAME = "news-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- What to crawl and where to write (set by `python -m crawler`) -------
NEWS_SOURCE = ""          # key of crawler/sources/<key>.toml
NEWS_START_URLS = []      # replaces the source's entry points for one run
NEWS_MAX_AGE_DAYS = None  # overrides the source's discovery.max_age_days
# Entry points found during a crawl (an index's sitemaps, a home page's feeds) wait
# until fewer requests than this are queued, then go one at a time: the queue holds
# about one listing's articles, not a backfill's. 0: fetch them all at once.
DISCOVERY_QUEUE_LOW_WATER = 100
NEWS_RUN_ID = ""          # unique per run; names the files the run writes
ARCHIVE_URI = None        # None: $ARCHIVE_URI, else ./archive (pipelines/storage.py)
ARCHIVE_MAX_BUFFERED_ROWS = 10_000   # rows a run holds before it publishes them as files
ARCHIVE_ROW_GROUP_ROWS = 2_000      # rows of one Parquet row group (written as they come)
NEAR_DUPLICATE_WINDOW_DAYS = 30   # earlier articles (any source) a new one is compared with
SPOOL_DIR = "./spool"     # finished files wait here when the archive cannot be written

# --- Raw archive (crawler/warc.py, pipelines/warc.py) -------------------------
WARC_ENABLED = True                  # every response to raw/…/*.warc.gz
WARC_MAX_FILE_BYTES = 1_000_000_000  # rotate WARC files at this size
WARC_SPOOL_DIR = None                # local directory for WARC files being written
REPLAY = ""                          # a WARC (path or s3:// URL) to crawl instead of the network

# --- Extraction (pipelines/extract.py, pipelines/extract_pool.py) ---------------
EXTRACT_WORKERS = None      # processes extracting pages; None: one per core; 0: inline
EXTRACT_TIMEOUT = 30.0      # seconds per page, then an `extraction_timeout` rejection
EXTRACT_MAX_IN_FLIGHT = None  # pages handed to the workers at once; None: 4 per worker

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.writer.ParquetArchiveWriter": 400,
}

# --- Politeness -------------------------------------------------------------
# The user agent names the project and where to reach its operators.
CONTACT_URL = "https://github.com/news-archive/news-archive#contact"
USER_AGENT = f"news-archive/0.1 (+{CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Items of one response processed at once: an article response gives one item;
# Scrapy starts this many asyncio tasks per callback output (100 by default: a
# tenth of the main process's CPU went to them).
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0      # overridden per source (politeness.download_delay)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024   # no article page is larger; bigger is an error page or a bomb
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_AFTER_MAX = 60      # seconds; a 429/503 asking to wait longer is retried next run
SSRF_GUARD_ENABLED = True
SSRF_ALLOWED_PRIVATE_HOSTS = []
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.PrivateNetworkGuardMiddleware": 60,   # after OffsiteMiddleware (50)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,           # Scrapy's retry slot
    "crawler.middlewares.OffsiteRedirectMiddleware": 650,      # sees 3xx before RedirectMiddleware (600)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefreshHeadMiddleware": 580,      # Scrapy's meta refresh slot
    # Next to the downloader: records responses as received, requests as sent.
    "crawler.warc.WarcRecorderMiddleware": 950,
    "crawler.warc.WarcReplayMiddleware": 960,
}
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False   # no listening ports on a cron host

LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.NewsLogFormatter"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
DUPEFILTER_CLASS = "crawler.dupefilter.CompactDupeFilter"   # Scrapy's, 24 bytes a request
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
