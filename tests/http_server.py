"""Serve a WSGI application on a real port of 127.0.0.1 in a thread, for clients that speak HTTP (Sickle)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log(self, *args, **kwargs) -> None:  # the test's output is for the test
        pass


@contextmanager
def serving(wsgi_app, path: str = "/oai") -> Iterator[str]:
    """The URL of path on a server running wsgi_app until the block ends."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
