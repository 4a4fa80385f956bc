"""Put this directory on PYTHONPATH to run a crawl whose temporary disk is
full: its run database (SQLite's private temporary database) may hold no
more than RUN_DB_MAX_PAGES pages, as a disk with that little room would."""

import os
import sqlite3

_real_connect = sqlite3.connect


def _connect(database, *args, **kwargs):
    connection = _real_connect(database, *args, **kwargs)
    if database == "":
        connection.execute(f"PRAGMA max_page_count = {int(os.environ['RUN_DB_MAX_PAGES'])}")
    return connection


sqlite3.connect = _connect
