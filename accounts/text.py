"""Text as typed in forms and headers, made safe to look up and store."""
from __future__ import annotations

import re

# C0 controls, DEL and lone surrogates: PostgreSQL stores no NUL in text, and none of them means anything here.
CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def plain(text: str | None, limit: int = 200) -> str:
    """The text without control characters, cut at limit."""
    return CONTROL.sub("", text or "")[:limit]
