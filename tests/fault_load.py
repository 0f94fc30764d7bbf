"""Readers asking a server process for pages, searches and the API over and over, every answer noted with when."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests

from tests.server_process import ServerProcess

LOAD_PATHS = ("/api/search?q=kiem+thu", "/search?q=kiem+thu", "/", "/libraries", "/imports", "/api/transfers")
ANSWER_TIMEOUT = 10  # seconds: longer is a hang
KEPT_HEADER = "X-Cache"  # serving/page_cache.py: an anonymous search answered from what the process kept


@dataclass(frozen=True)
class Answer:
    path: str
    started: float
    ended: float
    status: int | str  # the status code, or the exception that came instead of an answer
    message: str  # an error's message as the reader sees it (the JSON's "error"), else the body
    kept: bool = False  # served from the answers kept for readers (X-Cache: hit or stale), not made anew


class Load:
    """Readers asking the server for pages, searches and the transfer API over and over, each answer noted."""

    def __init__(self, server: ServerProcess, headers: dict[str, str], readers: int = 3):
        self.server, self.headers, self.answers = server, headers, []
        self._stopping = threading.Event()
        self._readers = [threading.Thread(target=self._read, args=(n,)) for n in range(readers)]

    def __enter__(self) -> Load:
        for reader in self._readers:
            reader.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stopping.set()
        for reader in self._readers:
            reader.join()

    def _read(self, first: int) -> None:
        while not self._stopping.is_set():
            for path in LOAD_PATHS[first:] + LOAD_PATHS[:first]:
                self.answers.append(self._ask(path))

    def _ask(self, path: str) -> Answer:
        started = time.monotonic()
        try:
            answer = requests.get(f"{self.server.url}{path}", timeout=ANSWER_TIMEOUT,
                                  headers=self.headers if path.startswith("/api/transfers") else None)
            json_error = answer.headers.get("Content-Type", "").startswith("application/json") and not answer.ok
            status, message = answer.status_code, answer.json().get("error", "") if json_error else answer.text
            kept = answer.headers.get(KEPT_HEADER) in ("hit", "stale")
        except requests.RequestException as error:
            status, message, kept = type(error).__name__, str(error), False
        return Answer(path, started, time.monotonic(), status, message, kept)

    def recovered(self, since: float) -> float | None:
        """When every path had been answered 200 to a request sent after `since`, if it has."""
        firsts = [min((a.ended for a in self.answers if a.path == path and a.started > since and a.status == 200),
                      default=None) for path in LOAD_PATHS]
        return None if None in firsts else max(firsts)
