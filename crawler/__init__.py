"""The Scrapy project: settings, the news spider, and the sources it crawls."""
