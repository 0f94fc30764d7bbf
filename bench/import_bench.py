"""Measure the import pipeline against its targets: import and re-import into SQLite and PostgreSQL.

Run from the project root:
    .venv/bin/python bench/import_bench.py --records 100000 [--workers N] [--postgres URL | --no-postgres]
        [--json] [--profile /tmp/import_profile.txt] [--check]

pymarc's bare parse of the same file is measured as a point of reference. Each import runs in a
fresh child process, so its peak memory is the import's own, not the generator's. PostgreSQL is
measured when --postgres is given or the CI server answers; the benchmark creates a private
database there and drops it afterwards.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from pymarc import MARCReader
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench import synthetic  # noqa: E402 - the project root must be on the path first
from catalog.record_source import DEFAULT_WORKERS  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# From the issue: records per second at least, and peak memory at most, at 100,000 records.
TARGET_RATE = {"sqlite": 3000, "postgresql": 2000}
TARGET_PEAK_MB = 300
PROFILE_LINES = 25
SAMPLE_SECONDS = 0.05
STEP_WIDTH = 38


def _rate(records: int, seconds: float) -> float:
    return records / seconds if seconds > 0 else float("inf")


def parse_with_pymarc(path: Path) -> dict:
    """How fast pymarc alone reads the same file, to judge the importer's speed against."""
    started = time.perf_counter()
    records = unreadable = 0
    with path.open("rb") as handle:
        for record in MARCReader(handle, to_unicode=True):
            records += 1
            unreadable += record is None
    seconds = time.perf_counter() - started
    return {"records": records, "unreadable": unreadable, "seconds": seconds, "rate": _rate(records, seconds)}


# -- the child process: one database, import then re-import ------------------------------------------

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux counts kilobytes


def _tree_pss_kb(pid: int) -> int:
    """PSS of a process and its descendants: forked workers share pages, which RSS would count twice."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            own = next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return own + sum(_tree_pss_kb(int(child)) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError):  # the process ended between two reads
        return 0


class _TreeMemory(threading.Thread):
    """The highest memory of the importing process and its workers, sampled while the import runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            self.peak_kb = max(self.peak_kb, _tree_pss_kb(os.getpid()))

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak_kb / 1024


def _timed_import(engine, path: Path, workers: int, profile_to: str | None) -> dict:
    from catalog.importer import import_file

    options = {"workers": workers}
    profiler = cProfile.Profile() if profile_to else None
    sampler = _TreeMemory()
    sampler.start()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = import_file(engine, path, user="bench", **options)
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        _write_profile(profiler, profile_to)
    return {"records": report.total, "seconds": seconds, "rate": _rate(report.total, seconds),
            "new": report.new, "updated": report.updated, "unchanged": report.unchanged,
            "rejected": report.rejected, "peak_mb": max(_peak_mb(), sampler.stop())}


def _write_profile(profiler: cProfile.Profile, destination: str) -> None:
    out = io.StringIO()
    for order in ("cumulative", "tottime"):
        out.write(f"==== top {PROFILE_LINES} by {order} ====\n")
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(PROFILE_LINES)
    Path(destination).write_text(out.getvalue(), encoding="utf-8")


def child(url: str, path: Path, passes: int, workers: int, profile_to: str | None) -> dict:
    """Migrate, add the Union's libraries, then import the file `passes` times; return what each took."""
    from sqlalchemy.orm import Session

    from catalog.libraries import seed_union
    from database import make_engine
    from schema import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        seed_union(session)
        session.commit()
    baseline = _peak_mb()
    runs = [_timed_import(engine, path, workers, profile_to if index == 0 else None) for index in range(passes)]
    engine.dispose()
    return {"baseline_mb": baseline, "runs": runs}


def run_child(url: str, path: Path, passes: int, workers: int, profile_to: str | None = None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", url, str(path), "--passes", str(passes),
               "--workers", str(workers)]
    if profile_to:
        command += ["--profile", profile_to]
    finished = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT)
    if finished.returncode != 0:
        raise RuntimeError(f"import into {make_url(url).get_backend_name()} failed:\n{finished.stderr[-4000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


# -- PostgreSQL: a private database for the run ----------------------------------------------------

def reachable(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "no server to measure"
        return False
    finally:
        engine.dispose()


def run_on_postgres(server_url: str, path: Path, passes: int, workers: int) -> dict:
    """Create bench_<random>, import into it in a child process, drop it whatever happens."""
    return run_on_postgres_with(server_url, lambda url: run_child(url, path, passes, workers))


def run_json_child(script: str, arguments: list[str]) -> dict:
    """Run a bench script's child mode (a fresh process: its memory and caches its own); its last line is JSON."""
    finished = subprocess.run([sys.executable, script, "--child", *arguments], capture_output=True, text=True,
                              cwd=PROJECT)
    if finished.returncode != 0:
        raise RuntimeError(f"{Path(script).name} failed:\n{finished.stderr[-4000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def run_on_postgres_with(server_url: str, run) -> dict:
    """Create bench_<random>, call run(its URL), drop it whatever happens."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return run(make_url(server_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the run and its report ------------------------------------------------------------------------

def measure(args, workdir: Path) -> dict:
    path = workdir / "synthetic.mrc"
    started = time.perf_counter()
    size = synthetic.write_file(path, args.records, seed=args.seed)
    seconds = time.perf_counter() - started
    results = {"records": args.records, "seed": args.seed, "workers": args.workers, "file_bytes": size,
               "generate": {"records": args.records, "seconds": seconds, "rate": _rate(args.records, seconds)}}
    _progress(f"wrote {args.records:,} records ({size / 2**20:.1f} MB) in {seconds:.1f} s; parsing with pymarc")
    results["pymarc_parse"] = parse_with_pymarc(path)
    _progress("importing into SQLite")
    results["sqlite"] = run_child(f"sqlite:///{workdir / 'bench.sqlite3'}", path, args.passes, args.workers)
    server = args.postgres or (None if args.no_postgres else DEFAULT_POSTGRES)
    results["postgresql"] = None
    if server and (args.postgres or reachable(server)):
        _progress("importing into PostgreSQL")
        results["postgresql"] = run_on_postgres(server, path, args.passes, args.workers)
    if args.profile:
        _progress(f"profiling the SQLite import into {args.profile}")
        # In one process, so the profile sees reading and mapping as well as writing.
        run_child(f"sqlite:///{workdir / 'profile.sqlite3'}", path, 1, 1, str(Path(args.profile).resolve()))
    results["targets"] = _verdicts(results)
    return results


def _verdicts(results: dict) -> dict:
    """Whether each database met its rate, and the import its memory ceiling; counts must be right too."""
    verdicts = {}
    for backend in ("sqlite", "postgresql"):
        if results[backend] is None:
            continue
        first = results[backend]["runs"][0]
        verdicts[backend] = {
            "rate": first["rate"] >= TARGET_RATE[backend],
            "memory": first["peak_mb"] < TARGET_PEAK_MB,
            "counts": first["new"] == results["records"] and all(
                run["unchanged"] == results["records"] for run in results[backend]["runs"][1:]),
        }
    return verdicts


def _progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def _row(step: str, measured: dict, peak: str = "", target: str = "", outcome: str = "") -> str:
    return (f"{step:<{STEP_WIDTH}} {measured['records']:>9,} {measured['seconds']:>8.1f} "
            f"{measured['rate']:>11,.0f} {peak:>8} {target:<34} {outcome}").rstrip()


def _database_rows(name: str, backend: str, results: dict) -> list[str]:
    data, verdict = results[backend], results["targets"][backend]
    first, *again = data["runs"]
    goal = f"≥{TARGET_RATE[backend]:,}/s, <{TARGET_PEAK_MB} MB"
    missed = [aim for aim in ("rate", "memory") if not verdict[aim]]
    met = f"{' and '.join(missed)} MISSED" if missed else "ok"
    counts = "" if verdict["counts"] else " (counts WRONG)"
    rows = [_row(f"import into {name}", first, f"{first['peak_mb']:.0f}", f"{goal}: {met}",
                 f"new {first['new']:,}, rejected {first['rejected']:,}{counts}")]
    rows += [_row(f"re-import into {name} (same file)", run, f"{run['peak_mb']:.0f}", "",
                  f"unchanged {run['unchanged']:,}, updated {run['updated']:,}") for run in again]
    return rows


def format_table(results: dict) -> str:
    head = (f"Import benchmark: {results['records']:,} synthetic records (seed {results['seed']}), "
            f"{results['file_bytes'] / 2**20:.1f} MB ISO 2709, {results['workers']} reading process(es)")
    lines = [head, f"{'step':<{STEP_WIDTH}} {'records':>9} {'seconds':>8} {'records/s':>11} {'peak MB':>8} "
                   f"{'target':<34} outcome",
             _row("generate (bench/synthetic.py)", results["generate"]),
             _row("pymarc parse (MARCReader)", results["pymarc_parse"])]
    lines += _database_rows("SQLite", "sqlite", results)
    if results["postgresql"] is not None:
        lines += _database_rows("PostgreSQL", "postgresql", results)
    else:
        lines.append(f"PostgreSQL: not measured (--no-postgres, or no server at {DEFAULT_POSTGRES})")
    lines.append(f"peak MB: the importing process's maximum RSS, or its workers' summed PSS when higher; "
                 f"{results['sqlite']['baseline_mb']:.0f} MB of it is there before the import starts.")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the MARC import pipeline.")
    parser.add_argument("--records", type=int, default=100_000, help="synthetic records (default 100000)")
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument("--postgres", metavar="URL", help=f"PostgreSQL server (default: {DEFAULT_POSTGRES} if up)")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"reading processes of the import (default {DEFAULT_WORKERS}, as `flask catalog import`)")
    parser.add_argument("--passes", type=int, default=2, help="imports of the same file per database (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--profile", metavar="PATH", help="also profile one SQLite import; write top functions")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        url, path = args.child
        print(json.dumps(child(url, Path(path), args.passes, args.workers, args.profile)))
        return 0
    with tempfile.TemporaryDirectory(prefix="mll-bench-") as workdir:
        results = measure(args, Path(workdir))
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    missed = any(not ok for verdict in results["targets"].values() for ok in verdict.values())
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
