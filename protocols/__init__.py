"""The library protocols other systems speak to the union catalog: SRU (search) and OAI-PMH (harvest).

Built on catalog/ and search_index/; nothing below depends on this package.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register each protocol's blueprint."""
    from protocols import oai

    oai.init_app(app)
    from protocols import sru

    app.register_blueprint(sru.bp)
