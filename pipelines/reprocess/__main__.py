"""`python -m pipelines.reprocess SOURCE ...` (`make reprocess`): see the package's docstring.

A package's __main__, as crawler/__main__.py and for the same reason: the
extraction workers import the parent's main module unless it is a package's
__main__, and this package loads Scrapy and pyarrow, which a worker never uses.
"""

import sys

from pipelines.reprocess import main

sys.exit(main())
