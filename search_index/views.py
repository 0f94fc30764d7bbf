"""The search page and the search API."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

import database
from search_index.service import search_catalog

bp = Blueprint("search", __name__)


@bp.get("/api/search")
def api_search():
    return search_catalog(database.session(), current_app.config["INDEX_DIR"], request.args)


@bp.get("/search")
def search_page():
    results = search_catalog(database.session(), current_app.config["INDEX_DIR"], request.args)
    return render_template("search.html", results=results, query=request.args)
