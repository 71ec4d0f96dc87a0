"""gunicorn's settings for `make serve` and the bench, which gunicorn reads from the directory it
starts in (this one); `--workers` comes from the command line (WORKERS in the Makefile).

Threaded workers, not sync ones. A sync worker serves one request at a time and is killed once a
request has taken `timeout` seconds (30), which cut off a CSV download of a long range or one that
the browser read slowly. A gthread worker's main loop tells gunicorn that it lives while its
threads serve, so the timeout only finds a worker that hangs, and a slow client holds one thread,
not the worker. Each thread keeps a database connection of its own (CONN_MAX_AGE).
"""

import os

worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))
