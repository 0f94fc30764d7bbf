"""gunicorn in production: `gunicorn -c gunicorn.conf.py wsgi:app` (or `make serve`).

Several worker processes, each with a few threads: searches are short and mostly numpy work that releases
the GIL, imports and receipts wait on the database. Each worker opens the search index once and refreshes it
when another process writes; writes to the index take a lock (search_index/writer_lock.py), so one process
at a time applies the change feed, and a worker starting after a crash brings the index up to date."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WORKER_TIMEOUT", "300"))  # a large upload's request may import for minutes
graceful_timeout = 30
max_requests = int(os.environ.get("MAX_REQUESTS", "0"))  # 0: workers are not recycled (imports run in them)
accesslog = None  # the application writes its own access line, as JSON with the rest (serving/logs.py)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The application reads these when each worker creates it.
os.environ.setdefault("LOG_FORMAT", "json")
os.environ.setdefault("SEARCH_SYNC_ON_START", "1")
# Readers not signed in may get a search answer made up to 10 s before the index last changed (serving/page_cache.py).
os.environ.setdefault("PUBLIC_PAGE_GRACE_SECONDS", "10")
