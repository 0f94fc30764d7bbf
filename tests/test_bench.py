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
