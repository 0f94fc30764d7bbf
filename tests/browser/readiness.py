"""Whether the browser tests can run here, and if not, why: used by the `browser` fixture and by `make test`.

    python -m tests.browser.readiness   # prints one line saying why the browser tests will be skipped, or nothing
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
POSTGRES_REASON = ("DATABASE_URL is PostgreSQL: the browser tests run in the SQLite pass only "
                   "(the pages are the same on both databases)")
PLAYWRIGHT_MISSING = "the Python package playwright is not installed — pip install -r requirements.txt"


def missing() -> str | None:
    """Why the browser tests cannot run here (what to install), or None when they can."""
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        return POSTGRES_REASON
    reasons = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reasons.append(f"{CHROMIUM} not found — apt-get install chromium (or set CHROMIUM to its path)")
    if not _importable("playwright.sync_api"):
        reasons.append(PLAYWRIGHT_MISSING)
    if not AXE.is_file():
        reasons.append("axe-core is not installed — run `npm ci` in tests/browser")
    return "; ".join(reasons) or None


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


if __name__ == "__main__":
    reason = missing()
    if reason:
        print(f"browser tests skipped: {reason}")
    sys.exit(0)
