"""Measure edition clustering: all of a 100,000-record catalog at once, and what an import re-clusters.

Run from the project root:
    .venv/bin/python bench/edition_bench.py --records 100000 [--touch 500] [--postgres URL | --no-postgres] [--json]

Each database gets the synthetic catalog (bench/synthetic.py: one edition is catalogued by several
libraries, each a little differently), imported (not timed here: bench/import_bench.py). Then, timed:
- first: clustering them after that import (every record new);
- full: `catalog editions --all`, re-clustering every record again (keys kept where membership is);
- incremental: after an import of --touch records (half of them changed versions of stored records, half
  new ones), the sync re-clusters only their neighbourhood: the number of records it re-clustered is reported.
The issue's target: the full clustering of 100,000 records in under 60 seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from pymarc import MARCReader, MARCWriter
from sqlalchemy import func, select

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench import synthetic  # noqa: E402 - the project root must be on the path first
from bench.import_bench import DEFAULT_POSTGRES, reachable, run_json_child, run_on_postgres_with  # noqa: E402

TARGET_SECONDS = 60


def touched_file(source: Path, destination: Path, touch: int, records: int) -> None:
    """Half changed versions of stored records (a word added to the title), half records never seen."""
    changed = touch // 2
    stride = max(1, records // max(1, changed))
    with source.open("rb") as handle, destination.open("wb") as out:
        writer = MARCWriter(out)
        for position, record in enumerate(MARCReader(handle, to_unicode=True)):
            if position % stride == 0 and position // stride < changed:
                record["245"]["a"] = record["245"]["a"] + " (bổ sung)"
                writer.write(record)
        for record in synthetic.generate(touch - touch // 2, seed=synthetic.DEFAULT_SEED + 1):
            record["001"].data = "NEW" + record["001"].data
            writer.write(record)


def child(url: str, path: Path, touched: Path) -> dict:
    from sqlalchemy.orm import Session

    from catalog.editions import recluster_everything, sync_pending
    from catalog.importer import import_file
    from catalog.libraries import seed_union
    from catalog.models import Edition, Record
    from database import make_engine
    from schema import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        seed_union(session)
        session.commit()
    first = import_file(engine, path, user="bench")
    first_clustering = _timed(engine, sync_pending)  # every record is new: one pass over all of them
    full = _timed(engine, recluster_everything)  # again, now that every record has its edition
    report = import_file(engine, touched, user="bench")
    incremental = _timed(engine, sync_pending)
    with Session(engine) as session:
        editions = session.scalar(select(func.count()).select_from(Edition).where(
            Edition.merged_into_id.is_(None), Edition.retired_at.is_(None)))
        records = session.scalar(select(func.count()).select_from(Record))
    engine.dispose()
    return {"records": records, "editions": editions,
            "first": {"records": first.total, **first_clustering},
            "full": full,
            "incremental": {"imported": report.total, "new": report.new, "updated": report.updated, **incremental}}


def _timed(engine, clustering) -> dict:
    started = time.perf_counter()
    with engine.begin() as conn:
        outcome = clustering(conn)
    return {"seconds": time.perf_counter() - started, "clustered": outcome.records,
            "editions_changed": outcome.editions_changed, "full": outcome.full}


def run_child(url: str, path: Path, touched: Path) -> dict:
    return run_json_child(__file__, [url, str(path), str(touched)])


def format_table(results: dict) -> str:
    lines = [f"Edition clustering, {results['records']:,} synthetic records, {results['touch']} touched "
             f"(target: full clustering < {TARGET_SECONDS} s)",
             "| database | editions | first clustering (all new) | full re-clustering | after an import of "
             f"{results['touch']} | records it re-clustered |", "|---|---:|---:|---:|---:|---:|"]
    for backend in ("sqlite", "postgresql"):
        run = results.get(backend)
        if not run:
            continue
        verdict = "ok" if run["full"]["seconds"] < TARGET_SECONDS else "MISSED"
        lines.append(f"| {backend} | {run['editions']:,} | {run['first']['seconds']:.1f} s "
                     f"| {run['full']['seconds']:.1f} s ({verdict}) | {run['incremental']['seconds']:.2f} s "
                     f"| {run['incremental']['clustered']:,} of {run['records']:,} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--touch", type=int, default=500)
    parser.add_argument("--postgres", help="PostgreSQL server URL (default: the local test server if it answers)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        url, path, touched = args.child
        print(json.dumps(child(url, Path(path), Path(touched))))
        return 0
    with tempfile.TemporaryDirectory(prefix="edition-bench-") as work:
        workdir = Path(work)
        path, touched = workdir / "catalog.mrc", workdir / "touched.mrc"
        synthetic.write_file(path, args.records)
        touched_file(path, touched, args.touch, args.records)
        results = {"records": args.records, "touch": args.touch,
                   "sqlite": run_child(f"sqlite:///{workdir / 'bench.sqlite3'}", path, touched)}
        server = args.postgres or (None if args.no_postgres else DEFAULT_POSTGRES)
        if server and (args.postgres or reachable(server)):
            results["postgresql"] = run_on_postgres_with(server, lambda url: run_child(url, path, touched))
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0 if all(results[b]["full"]["seconds"] < TARGET_SECONDS for b in ("sqlite", "postgresql")
                    if results.get(b)) else 1


if __name__ == "__main__":
    sys.exit(main())
