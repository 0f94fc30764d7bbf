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
    assert figures["whoosh"]["build"]["documents"] == 200
    assert figures["whoosh"]["latency"]["all"]["n"] == 18 and figures["whoosh"]["latency"]["all"]["p95"] > 0
