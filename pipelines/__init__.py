"""Item pipelines and the extraction they run: extract -> validate -> dedup -> write.

The Scrapy components live in pipelines/items.py; the pure functions they call
live beside them (extract, cleanup, metadata, dates, ids), and storage in
pipelines/storage.py and pipelines/writer.py.
"""

from importlib.metadata import version

# Bump when a change to extraction or cleanup changes any output field, so rows
# can be selected for re-processing by the version that produced them.
EXTRACTION_RULES_VERSION = "1.1"
EXTRACTOR_VERSION = f"pipelines-{EXTRACTION_RULES_VERSION}+trafilatura-{version('trafilatura')}"
