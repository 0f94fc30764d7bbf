"""gunicorn in production: `gunicorn -c gunicorn.conf.py wsgi:app` (or `make serve`).

Several worker processes, each with a few threads: searches are short and mostly numpy work that releases
the GIL, imports and receipts wait on the database. Each worker opens the search index once and refreshes it
when another process writes. The index follower, started and watched by the master, applies the change feed
at a lower CPU priority (SEARCH_SYNC=follower); writes to the index take a lock (search_index/writer_lock.py), so
one process at a time applies the change feed, and the follower starting after a crash brings the index up to
date."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# One per core: a worker busy with Python holds its core (bench/load_bench.py: more workers only share them).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WORKER_TIMEOUT", "300"))  # a large upload's request may import for minutes
graceful_timeout = 30
# How long an idle keep-alive connection stays open. gunicorn's 2 s closed the connections of readers who paused
# over 2 s between two searches just as some asked again, and a client that does not retry (wrk; a script) got a
# failed request: 5-6 in 14,000 in bench/load_bench.py, none with 5 s.
keepalive = int(os.environ.get("KEEPALIVE", "5"))
max_requests = int(os.environ.get("MAX_REQUESTS", "0"))  # 0: workers are not recycled (imports run in them)
accesslog = None  # the application writes its own access line, as JSON with the rest (serving/logs.py)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The application reads these when each worker creates it. Workers only commit their changes; the index follower,
# a child of this master at a lower CPU priority, indexes them (search_index/follower.py).
os.environ.setdefault("SEARCH_SYNC", "follower")
os.environ.setdefault("LOG_FORMAT", "json")
os.environ.setdefault("SEARCH_SYNC_ON_START", "0" if os.environ["SEARCH_SYNC"] == "follower" else "1")
# A reader not signed in may get a search answer made up to 20 s before, or up to 300 s before while the fresh
# one is made in the background: it lacks changes that recent (serving/page_cache.py). Signed in, never. The
# limit counts from when the answer was made: 120 s made every answer of a quiet spell wait at the first
# import after it (README: Load).
os.environ.setdefault("PUBLIC_PAGE_GRACE_SECONDS", "20")
os.environ.setdefault("PUBLIC_PAGE_STALE_SECONDS", "300")


def when_ready(server):
    from serving import page_cache

    # Answers made by the code that ran before a restart or a deploy (app.py's default INDEX_DIR, else the set one).
    page_cache.clear(os.environ.get("INDEX_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                 "instance", "index"))
    if os.environ["SEARCH_SYNC"] == "follower":
        from serving.follower_process import FollowerProcess

        server.index_follower = FollowerProcess().start()


def on_exit(server):
    follower = getattr(server, "index_follower", None)
    if follower is not None:
        follower.stop()
