"""`python -m crawler SOURCE` (or `--all`): one crawl, as `make crawl` runs it
(crawler/run.py).

The entry point is this file rather than crawler/run.py because of the
extraction workers: multiprocessing imports the main module of the parent in
every child it starts, unless that module is a package's __main__. Importing
crawler/run.py loads Scrapy, Twisted and pyarrow into each worker, which never
uses them (150 MB RSS a worker in the benchmark's crawl, 79 MB without);
this file costs nothing there.
"""

import sys

from crawler.run import main

sys.exit(main())
