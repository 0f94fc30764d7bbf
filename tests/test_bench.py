"""The benchmarks stay runnable: a tiny run of each prints its figures."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import PROJECT


def test_import_bench_runs_and_reports_rates_and_memory():
    result = subprocess.run(
        [sys.executable, "bench/import_bench.py", "--records", "300", "--no-postgres", "--json", "--passes", "1"],
        cwd=PROJECT, capture_output=True, text=True, timeout=300, check=True)
    figures = json.loads(result.stdout)
    (run,) = figures["sqlite"]["runs"]
    assert (run["new"], run["rejected"]) == (300, 0)
    assert run["rate"] > 0 and run["peak_mb"] > 0
    assert figures["pymarc_parse"]["records"] == 300


def test_search_bench_runs_and_reports_build_and_latency():
    result = subprocess.run(
        [sys.executable, "bench/search_bench.py", "--records", "200", "--queries", "18", "--warmup", "2", "--json"],
        cwd=PROJECT, capture_output=True, text=True, timeout=300, check=True)
    figures = json.loads(result.stdout)
    assert figures["records"] == 200
    # One document per edition: the synthetic libraries catalogue many of the same editions.
    assert 100 < figures["whoosh"]["build"]["documents"] < 200
    if figures["tantivy"]:  # the reference is optional (bench/requirements-bench.txt)
        assert figures["tantivy"]["build"]["documents"] == figures["whoosh"]["build"]["documents"]
    assert figures["whoosh"]["latency"]["all"]["n"] == 18 and figures["whoosh"]["latency"]["all"]["p95"] > 0


def test_edition_bench_runs_and_reports_full_and_incremental_clustering():
    result = subprocess.run(
        [sys.executable, "bench/edition_bench.py", "--records", "400", "--touch", "20", "--no-postgres", "--json"],
        cwd=PROJECT, capture_output=True, text=True, timeout=300, check=True)
    run = json.loads(result.stdout)["sqlite"]
    assert run["records"] == 410 and run["first"]["clustered"] == 400 and 0 < run["editions"] < 410
    assert run["full"]["clustered"] == 400 and run["full"]["editions_changed"] == 0  # keys stay
    assert (run["incremental"]["new"], run["incremental"]["updated"]) == (10, 10)
    assert 20 <= run["incremental"]["clustered"] < 200  # the touched records and their neighbours, not all
    assert not run["incremental"]["full"]


def test_transfer_bench_runs_and_reports_each_step():
    result = subprocess.run(
        [sys.executable, "bench/transfer_bench.py", "--records", "300", "--copies", "20", "--titles", "5",
         "--no-postgres", "--json"], cwd=PROJECT, capture_output=True, text=True, timeout=300, check=True)
    run = json.loads(result.stdout)["sqlite"]
    assert run["copies"] == 25 and run["state"] == "received" and run["receiver_editions_in_search"] > 0
    assert set(run["steps"]) == {"record", "dispatch", "receive"} and run["seconds"] > 0
