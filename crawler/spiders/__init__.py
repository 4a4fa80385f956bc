"""Spiders. One generic spider crawls every source; sources differ by data only."""
