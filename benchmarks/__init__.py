"""`make bench`: throughput, CPU, memory and time shares of the crawl and the
re-processing, against a plain one-core trafilatura loop over the same pages."""
