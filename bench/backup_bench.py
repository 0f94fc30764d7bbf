"""Measure backup and restore of a whole catalog: a backup of N synthetic records, its restore into an empty
database, and the search index rebuilt from the restored database, on SQLite and, when a server answers, on
PostgreSQL.

Run from the project root:
    .venv/bin/python bench/backup_bench.py [--records 100000] [--postgres URL | --no-postgres] [--json]

The catalog is imported into SQLite first (timed, but bench/import_bench.py is the import's benchmark). Each
step runs in a child process of its own, so the peak memory it reports is the step's own. On PostgreSQL the
SQLite backup is restored into a private database, as a library moving off the embedded default would, and that
database is then backed up in turn.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench import synthetic  # noqa: E402 - the project root must be on the path first
from bench.import_bench import DEFAULT_POSTGRES, reachable, run_json_child, run_on_postgres_with  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux counts kilobytes


def child(step: str, url: str, path: Path, index_dir: Path) -> dict:
    from app import create_app

    app = create_app({"DATABASE_URL": url, "INDEX_DIR": str(index_dir), "SECRET_KEY": "bench"})
    with app.app_context():
        return STEPS[step](app, url, path, str(index_dir))


def _prepare(app, url: str, path: Path, index_dir: str) -> dict:
    import database
    from catalog.importer import import_file
    from catalog.libraries import seed_union
    from schema import upgrade

    upgrade(database.engine())
    with database.transaction() as db:
        seed_union(db)
    started = time.perf_counter()
    report = import_file(database.engine(), path, user="bench", workers=2)
    return {"records": report.new, "seconds": time.perf_counter() - started}


def _backup(app, url: str, path: Path, index_dir: str) -> dict:
    from operations.backup import make_backup

    started = time.perf_counter()
    summary = make_backup(url, path, index_dir)
    return {"rows": summary.header.rows, "bytes": summary.size, "seconds": time.perf_counter() - started,
            "peak_mb": _peak_mb()}


def _restore(app, url: str, path: Path, index_dir: str) -> dict:
    import database
    from operations.restore import restore
    from search_index import indexer

    started = time.perf_counter()
    summary = restore(url, path)
    restored, peak = time.perf_counter(), _peak_mb()
    editions = indexer.rebuild(database.session(), index_dir, memory_mb=app.config["SEARCH_WRITER_MB"])
    return {"rows": summary.header.rows, "seconds": restored - started, "peak_mb": peak, "editions": editions,
            "index_seconds": time.perf_counter() - restored}


STEPS = {"prepare": _prepare, "backup": _backup, "restore": _restore}


def run_step(step: str, url: str, path: Path, workdir: Path) -> dict:
    index_dir = workdir / f"index-{step}-{url.split(':')[0]}"
    return run_json_child(__file__, [step, url, str(path), str(index_dir)])


def measure(records: int, workdir: Path, server: str | None) -> dict:
    source = workdir / "catalog.mrc"
    synthetic.write_file(source, records)
    sqlite, restored = f"sqlite:///{workdir / 'catalog.sqlite3'}", f"sqlite:///{workdir / 'restored.sqlite3'}"
    backup = workdir / "catalog.jsonl.gz"
    results = {"records": records, "import": run_step("prepare", sqlite, source, workdir)}
    results["sqlite"] = {"backup": run_step("backup", sqlite, backup, workdir),
                         "restore": run_step("restore", restored, backup, workdir)}
    if server:
        def on_postgres(url: str) -> dict:
            again = workdir / "postgres.jsonl.gz"
            return {"restore": run_step("restore", url, backup, workdir), "backup": run_step("backup", url, again,
                                                                                             workdir)}
        results["postgresql"] = run_on_postgres_with(server, on_postgres)
    return results


def format_table(results: dict) -> str:
    lines = [f"Backup and restore of {results['records']:,} synthetic records "
             f"(imported into SQLite in {results['import']['seconds']:.0f} s)",
             "| database | step | rows | seconds | rows/s | file | peak MB | index rebuilt after restore |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for backend in ("sqlite", "postgresql"):
        for step, run in (results.get(backend) or {}).items():
            size = f"{run['bytes'] / 2**20:.0f} MB" if "bytes" in run else ""
            index = f"{run['editions']:,} editions in {run['index_seconds']:.0f} s" if "editions" in run else ""
            lines.append(f"| {backend} | {step} | {run['rows']:,} | {run['seconds']:.1f} | "
                         f"{run['rows'] / run['seconds']:,.0f} | {size} | {run['peak_mb']:.0f} | {index} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help=f"PostgreSQL server (default: {DEFAULT_POSTGRES} if up)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("STEP", "URL", "FILE", "INDEX_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        step, url, path, index_dir = args.child
        print(json.dumps(child(step, url, Path(path), Path(index_dir))))
        return 0
    server = args.postgres or (None if args.no_postgres else DEFAULT_POSTGRES)
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as work:
        results = measure(args.records, Path(work), server if server and (args.postgres or reachable(server))
                          else None)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
