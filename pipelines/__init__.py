"""Item pipelines and the extraction they run: extract -> validate -> dedup -> write.

The Scrapy stages are ExtractPipeline (extract.py; extract_pool.py runs it in
worker processes), ValidatePipeline (validate.py), DedupPipeline (dedup.py) and
ParquetArchiveWriter (writer.py); the pure functions extraction calls live
beside them (extract, cleanup, metadata, dates, ids, neardup), and storage in
storage.py, warc.py and spool.py.
"""

import os
from importlib.metadata import version

# pyarrow's default allocator (mimalloc in its wheels) keeps what it frees in
# segments of its own; the C library's hands large buffers back to the system.
# pyarrow reads this variable once, when it is imported, and every module here
# imports pyarrow after this package (pa.set_memory_pool() is not enough: the
# Parquet writer and dataset reads allocate from the C++ default all the same).
# Measured in README, Performance; a value set by the user wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

# Bump when a change to extraction or cleanup changes any output field, so rows
# can be selected for re-processing by the version that produced them.
EXTRACTION_RULES_VERSION = "1.10"
EXTRACTOR_VERSION = f"pipelines-{EXTRACTION_RULES_VERSION}+trafilatura-{version('trafilatura')}"
