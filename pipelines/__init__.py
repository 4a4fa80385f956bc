"""Item pipelines and the extraction they run: extract -> validate -> dedup -> write.

The Scrapy stages are ExtractPipeline (extract.py; extract_pool.py runs it in
worker processes), ValidatePipeline (validate.py), DedupPipeline (dedup.py) and
ParquetArchiveWriter (writer.py); the pure functions extraction calls live
beside them (extract, cleanup, metadata, dates, ids, neardup), and storage in
storage.py, warc.py and spool.py.
"""

from importlib.metadata import version

# Bump when a change to extraction or cleanup changes any output field, so rows
# can be selected for re-processing by the version that produced them.
EXTRACTION_RULES_VERSION = "1.1"
EXTRACTOR_VERSION = f"pipelines-{EXTRACTION_RULES_VERSION}+trafilatura-{version('trafilatura')}"
