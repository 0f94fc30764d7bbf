"""Load test of the production mode: gunicorn on 127.0.0.1 with N records, readers searching (wrk) while
librarians import files and record transfers through the API.

Run from the project root (wrk from Debian's packages: `apt-get install wrk`):
    .venv/bin/python bench/load_bench.py --records 100000 [--postgres SERVER_URL] [--seconds 60]
        [--rate 250] [--connections 64] [--workers 2] [--threads 4] [--mix zipf|distinct] [--json]

The catalog is built once per size and database in --workdir (synthetic records, bench/synthetic.py, imported
and indexed with the project's own commands) and reused by later runs. Two phases of --seconds each, after a
warm-up: readers only, then readers while a librarian imports 100 new records every 10 s and another records
a donation (create, dispatch, receive) every 5 s. Readers request the search page and the search API with the
queries of bench/search_bench.py (words with and without diacritics, old tone placement, phrases, fields,
prefixes, facet filters, sorting, browsing by facet) on page 1 to 5. `--mix zipf` repeats popular searches as
readers do (a Zipf law over 2,000 searches); `--mix distinct` makes nearly every request a search not asked
before, so that no cache helps. Readers pause between searches, as people do: 64 of them offer --rate
searches/s together, and the latency each search sees is measured; `--rate 0` has every connection ask again
as soon as it is answered, which finds the server's capacity (where latency is mostly waiting in line).
Reported: searches/s, p50/p95/p99 latency, errors and non-200 answers, each write's time, and the server's
memory.
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from pymarc import MARCWriter  # noqa: E402

from bench import synthetic  # noqa: E402
from bench.import_bench import reachable  # noqa: E402
from bench.search_bench import make_queries  # noqa: E402

BIN = Path(sys.executable).parent
TARGET_RATE = 200  # searches/s
TARGET_P95_MS = 100
DISTINCT_SEARCHES = 2000  # in the zipf mix
ZIPF_EXPONENT = 1.0
PATHS_IN_SCRIPT = 20_000
PAGES = (1, 1, 1, 1, 1, 1, 2, 2, 3, 5)  # most readers stay on the first page
IMPORT_EVERY, IMPORT_RECORDS = 10.0, 100
TRANSFER_EVERY, TRANSFER_COPIES = 5.0, 3
# A server that has run a while (index postings read, popular answers kept): warmed in rounds, as fast as it
# answers, until a round answers no more than 10% more than the one before (from cold, 80, 380, 800/s).
WARMUP_ROUND_SECONDS, WARMUP_MAX_SECONDS = 15, 180
PASSWORD = "load-bench-password-1"

WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6)) end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
function delay() if think_ms > 0 then return -math.log(1 - math.random()) * think_ms end return 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do not_ok = not_ok + thread:get("bad") end
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "microseconds": %d, "not_200": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d}\\n', summary.requests,
    summary.duration, not_ok, e.connect, e.read, e.write, e.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def log(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


# -- the catalog ---------------------------------------------------------------------------------

def prepare(workdir: Path, records: int, postgres: str | None) -> dict:
    """A catalog of `records` synthetic records with its index and an API token, built once and reused."""
    workdir.mkdir(parents=True, exist_ok=True)
    marker = workdir / "prepared.json"
    if marker.exists():
        return json.loads(marker.read_text())
    if postgres:
        url = _postgres_database(postgres, f"bench_load_{records}")
    else:
        url = f"sqlite:///{workdir / 'catalog.sqlite3'}"
    env = {"DATABASE_URL": url, "INDEX_DIR": str(workdir / "index"), "UPLOAD_DIR": str(workdir / "uploads")}
    source = workdir / "synthetic.mrc"
    log(f"writing {records:,} synthetic records")
    synthetic.write_file(source, records)
    started = time.perf_counter()
    _flask(env, "init")
    _flask(env, "catalog", "import", "--workers", "2", str(source))
    imported = time.perf_counter() - started
    started = time.perf_counter()
    _flask(env, "search", "rebuild")
    indexed = time.perf_counter() - started
    _flask(env, "users", "create", "load-coordinator", "--role", "coordinator", "--password", PASSWORD)
    token = _flask(env, "users", "token", "load-coordinator", "--name", "load bench").strip().splitlines()[-1]
    prepared = {"env": env, "token": token, "records": records, "import_seconds": round(imported, 1),
                "index_seconds": round(indexed, 1)}
    marker.write_text(json.dumps(prepared))
    return prepared


def _postgres_database(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _flask(env: dict, *arguments: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "app", *arguments], cwd=PROJECT, capture_output=True,
                          text=True, env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


# -- what readers ask ----------------------------------------------------------------------------

def reader_paths(mix: str, seed: int = 7) -> list[str]:
    """The requests wrk picks from at random: a Zipf law over a few thousand searches, or all different."""
    rng = random.Random(seed)
    if mix == "zipf":
        searches = [_path(query, rng) for query in make_queries(DISTINCT_SEARCHES, seed)]
        weights = [1 / rank ** ZIPF_EXPONENT for rank in range(1, len(searches) + 1)]
        return rng.choices(searches, weights, k=PATHS_IN_SCRIPT)
    return [_path(query, rng) for query in make_queries(PATHS_IN_SCRIPT, seed)]


def _path(query, rng: random.Random) -> str:
    params = [("q", query.text)] if query.text else []
    params += [(name, value) for name, values in query.filters.items() for value in values]
    if query.sort != "relevance":
        params.append(("sort", query.sort))
    page = rng.choice(PAGES)
    if page > 1:
        params.append(("page", str(page)))
    return ("/api/search?" if rng.random() < 0.2 else "/search?") + urlencode(params)


def wrk_script(paths: list[str], destination: Path, think_ms: float = 0.0) -> Path:
    """wrk's script: each connection is a reader who asks one of `paths`, then reads the answer for a time
    drawn around `think_ms` (exponential, as readers' pauses are) before the next; 0 asks again at once."""
    listed = ",\n".join(f'"{path}"' for path in paths)  # percent-encoded: no quote or backslash in them
    destination.write_text(f"think_ms = {think_ms:.3f}\npaths = {{\n{listed}\n}}\n{WRK_SCRIPT}")
    return destination


def run_wrk(base: str, script: Path, seconds: int, connections: int) -> dict:
    done = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                           "-s", str(script), base], capture_output=True, text=True)
    line = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len("RESULT "):])
    seconds_run = raw["microseconds"] / 1e6
    return {"requests": raw["requests"], "rate": round(raw["requests"] / seconds_run, 1),
            "p50_ms": raw["p50"] / 1000, "p95_ms": raw["p95"] / 1000, "p99_ms": raw["p99"] / 1000,
            "max_ms": raw["max"] / 1000, "not_200": raw["not_200"],
            "errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
            "socket_errors": {kind: raw[kind] for kind in ("connect", "read", "write", "timeout")}}


# -- the server and the librarians ---------------------------------------------------------------

class Server:
    """gunicorn with the production configuration (gunicorn.conf.py), its log in the work folder."""

    def __init__(self, env: dict, workdir: Path, workers: int, threads: int):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=PROJECT, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **env, "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers),
                 "THREADS": str(threads), "SECRET_KEY": "load-bench"})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as answer:
                    if json.load(answer)["checks"]["index"].get("behind") == 0:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("the server did not become healthy in 120 s; see server.log")

    def log_size(self) -> int:
        self.log.flush()
        return (self.log_path).stat().st_size

    def cache_outcomes(self, since: int) -> dict:
        """How the searches logged after byte `since` were answered: kept (hit, stale) or made while the reader
        waited (miss), in percent of the readers' searches; and how many were made in the background (refresh,
        not a reader's request: in percent of the same)."""
        counts: dict[str, int] = {}
        with open(self.log_path, "rb") as log:
            log.seek(since)
            for line in log:
                if b'"cache": "' in line:
                    outcome = json.loads(line)["cache"]
                    counts[outcome] = counts.get(outcome, 0) + 1
        total = sum(count for outcome, count in counts.items() if not outcome.startswith("refresh")) or 1
        return {outcome: round(100 * count / total, 1) for outcome, count in sorted(counts.items())}

    def memory_mb(self) -> float:
        """Resident memory of gunicorn and its workers (PSS, shared pages counted once)."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return round(total / 1024, 1)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):  # the index follower is started by a thread of the master
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Librarians:
    """Two librarians at once, by the API: one imports new records every IMPORT_EVERY seconds, the other
    records a donation every TRANSFER_EVERY (each on a thread of its own, so that a slow import never holds
    back the donations)."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.stopping = threading.Event()
        self.timings: dict[str, list[float]] = {"import": [], "transfer": []}
        self.failures: list[str] = []
        # One count for both threads (next() on it is atomic): every import's records get numbers of their own.
        self._batches = itertools.count(int(time.time()) % 100_000 + 1)
        self._threads = [threading.Thread(target=self._every, args=(kind, call, every), daemon=True)
                         for kind, call, every in (("import", self._import, IMPORT_EVERY),
                                                   ("transfer", self._transfer, TRANSFER_EVERY))]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _every(self, kind: str, call, every: float) -> None:
        due = time.monotonic()
        while not self.stopping.is_set():
            self._timed(kind, call)
            due += every
            self.stopping.wait(max(0.0, due - time.monotonic()))

    def _timed(self, kind: str, call) -> None:
        started = time.perf_counter()
        try:
            call()
            self.timings[kind].append(time.perf_counter() - started)
        except Exception as error:  # noqa: BLE001 - counted and shown, the load goes on
            self.failures.append(f"{kind}: {error}")

    def _import(self) -> None:
        batch = next(self._batches)
        data = io.BytesIO()
        writer = MARCWriter(data)
        for number, record in enumerate(synthetic.generate(IMPORT_RECORDS, seed=batch)):
            record["001"].data = f"LOAD{batch:06d}{number:03d}"  # new records, not updates
            writer.write(record)
        answer = self._call("POST", "/api/imports", data.getvalue(), "multipart")
        if answer.get("new") != IMPORT_RECORDS:
            raise RuntimeError(f"import answered {answer}")

    def _transfer(self) -> None:
        batch = next(self._batches)
        created = self._call("POST", "/api/transfers", {
            "kind": "donation", "from": "TVQT", "to": "TVCC", "occasion": "Load bench",
            "lines": [{"title": f"Sách tặng số {batch}", "quantity": TRANSFER_COPIES}]})
        self._call("POST", f"/api/transfers/{created['id']}/dispatch")
        received = self._call("POST", f"/api/transfers/{created['id']}/receive")
        if received.get("state") != "received":
            raise RuntimeError(f"receipt answered {received}")

    def _call(self, method: str, path: str, body=None, kind: str = "json") -> dict:
        headers = {"Authorization": f"Bearer {self.token}"}
        if kind == "multipart":
            boundary = "loadbench"
            data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"load.mrc\"\r\n"
                    f"Content-Type: application/marc\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            data = json.dumps(body).encode() if body is not None else None
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer)


# -- the run -------------------------------------------------------------------------------------

def measure(args) -> dict:
    workdir = Path(args.workdir) / f"{'postgres' if args.postgres else 'sqlite'}-{args.records}"
    if args.fresh and workdir.exists():
        shutil.rmtree(workdir)
    prepared = prepare(workdir, args.records, args.postgres)
    if args.prepare_only:
        return {"prepared": prepared}
    reference = [cpu_reference_seconds()]
    paths = reader_paths(args.mix)
    think_ms = 1000 * args.connections / args.rate if args.rate else 0.0
    script = wrk_script(paths, workdir / f"readers-{args.mix}.lua", think_ms)
    server = Server(prepared["env"], workdir, args.workers, args.threads)
    try:
        warm_up(server, wrk_script(paths, workdir / "warm-up.lua"))
        log(f"readers only, {args.seconds} s")
        since = server.log_size()
        reads = run_wrk(server.base, script, args.seconds, args.connections)
        reads["answers_percent"] = server.cache_outcomes(since)
        librarians = Librarians(server.base, prepared["token"])
        librarians.start()
        log(f"readers while librarians import and record transfers, {args.seconds} s")
        since = server.log_size()
        mixed = run_wrk(server.base, script, args.seconds, args.connections)
        mixed["answers_percent"] = server.cache_outcomes(since)
        librarians.stopping.set()
        librarians.join(timeout=180)
        memory = server.memory_mb()
    finally:
        server.stop()
    reference.append(cpu_reference_seconds())
    return {"records": args.records, "database": "PostgreSQL" if args.postgres else "SQLite", "mix": args.mix,
            "workers": args.workers, "threads": args.threads, "connections": args.connections,
            "offered_rate": args.rate or None,
            "seconds": args.seconds, "build": {k: prepared.get(k) for k in ("import_seconds", "index_seconds")},
            "reads_only": reads, "reads_with_writes": mixed, "server_memory_mb": memory,
            "writes": {kind: {"count": len(times), "p50_s": round(_median(times), 2),
                              "max_s": round(max(times, default=0), 2)} for kind, times in librarians.timings.items()},
            "write_failures": librarians.failures[:10], "load_average": os.getloadavg(),
            "cpu_reference_seconds": reference}


def cpu_reference_seconds() -> float:
    """A fixed piece of pure Python, timed: this machine's speed at the moment (a shared host's varies by more
    than half from hour to hour), so that runs can be compared: 0.4-0.6 s here when not slowed, 1.6 s at worst."""
    started, total = time.perf_counter(), 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 2)


def warm_up(server: "Server", script: Path) -> None:
    rates: list[float] = []
    while len(rates) * WARMUP_ROUND_SECONDS < WARMUP_MAX_SECONDS:
        rates.append(run_wrk(server.base, script, WARMUP_ROUND_SECONDS, 16)["rate"])
        log(f"warming up: {rates[-1]:.0f} searches/s")
        if len(rates) >= 2 and rates[-1] < 1.1 * rates[-2]:
            return


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def format_table(results: dict) -> str:
    offered = (f"{results['connections']} readers offering {results['offered_rate']} searches/s"
               if results["offered_rate"] else f"{results['connections']} connections asking as fast as answered")
    rows = [f"Load on {results['database']}, {results['records']:,} records, {results['mix']} mix, "
            f"{results['workers']} workers x {results['threads']} threads, {offered}, "
            f"{results['seconds']} s per phase",
            "| phase | searches/s | p50 ms | p95 ms | p99 ms | errors | not 200 | answers kept / made | "
            "made again in the background |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, label in (("reads_only", "readers only"), ("reads_with_writes", "readers + imports + transfers")):
        r = results[name]
        answers = r.get("answers_percent", {})
        kept = answers.get("hit", 0) + answers.get("stale", 0)
        rows.append(f"| {label} | {r['rate']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | "
                    f"{r['errors']} | {r['not_200']} | {kept:.0f}% / {answers.get('miss', 0):.0f}% | "
                    f"{answers.get('refresh', 0):.0f}% |")
    writes = results["writes"]
    rows.append(f"Writes: {writes['import']['count']} imports of {IMPORT_RECORDS} records (median "
                f"{writes['import']['p50_s']} s, max {writes['import']['max_s']} s), {writes['transfer']['count']} "
                f"donations created, dispatched and received (median {writes['transfer']['p50_s']} s, max "
                f"{writes['transfer']['max_s']} s), failures: {len(results['write_failures'])}. Server memory "
                f"{results['server_memory_mb']} MB. Target: >= {TARGET_RATE} searches/s, p95 < {TARGET_P95_MS} ms. "
                f"Machine speed (a fixed loop, before and after; 0.4-0.6 s unslowed): "
                f"{results['cpu_reference_seconds']} s.")
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a database bench_load_N is made on it")
    parser.add_argument("--workdir", default=str(Path(os.environ.get("TMPDIR", "/tmp")) / "mll-load-bench"))
    parser.add_argument("--fresh", action="store_true", help="build the catalog again")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=250,
                        help="searches/s the readers offer together (each pauses between searches); "
                             "0: every connection asks again as soon as answered, to find the server's capacity")
    parser.add_argument("--connections", type=int,
                        help="readers (wrk connections): 64 at a set rate, 16 at capacity")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--mix", choices=("zipf", "distinct"), default="zipf")
    parser.add_argument("--prepare-only", action="store_true", help="build the catalog, measure nothing")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.connections = args.connections or (64 if args.rate else 16)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    if args.postgres and not reachable(args.postgres):
        print(f"PostgreSQL is not reachable at {args.postgres}", file=sys.stderr)
        return 2
    results = measure(args)
    print(json.dumps(results, indent=2) if args.json or args.prepare_only else format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
