"""The search page, its help page and the search API."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request

import database
from catalog.libraries import library_names
from catalog.export import export_format
from catalog.views import download
from search_index.search import FIELD_ALIASES
from search_index.service import InvalidSearch, result_set_export, search_catalog
from serving.page_cache import kept_for_readers

bp = Blueprint("search", __name__)
PAGE_RADIUS = 2  # page numbers shown either side of the current one


@bp.get("/api/search")
@kept_for_readers
def api_search():
    return search_catalog(database.session(), current_app.config["INDEX_DIR"], request.args)


@bp.get("/search")
@kept_for_readers
def search_page():
    try:
        results = search_catalog(database.session(), current_app.config["INDEX_DIR"], request.args)
    except InvalidSearch as error:  # shown above the search form, so the reader can correct it there
        return render_template("search.html", results=None, error=error.message, query=request.args), error.code
    names = library_names(database.session())
    return render_template("search.html", results=results, query=request.args, library_names=names,
                           facet_groups=facet_groups(request.args, results["facets"], names))


@bp.get("/search/export")
def search_export():
    """The editions a search finds, as MARC: copy cataloguing from a result set."""
    fmt = export_format(request.args.get("format"))
    name, read = result_set_export(database.session(), current_app.config["INDEX_DIR"], request.args)
    return download(fmt, name, read)


@bp.get("/search/help")
def search_help():
    return render_template("search_help.html", fields=FIELD_ALIASES)


@bp.app_template_global()
def search_link(params, *, add: tuple[str, str] | None = None, remove: tuple[str, str] | None = None,
                **replace) -> str:
    """The query string of the search page with one value added or removed, or parameters replaced.

    Every other parameter is kept, repeated ones too (library=TVQT&library=TVQB); empty ones are left
    out, and so is the page unless it is replaced: a different search starts on its first page.
    """
    pairs = [(name, value) for name, value in params.items(multi=True)
             if value != "" and name != "page" and name not in replace and (name, value) != remove]
    if add is not None and add not in pairs:
        pairs.append(add)
    pairs += [(name, str(value)) for name, value in replace.items() if value not in (None, "")]
    return "?" + urlencode(pairs)


@dataclass(frozen=True)
class FacetLink:
    text: str
    count: int
    href: str
    selected: bool


def facet_groups(params, facets: dict[str, list[dict]], names: dict[str, str]) -> list[tuple[str, list[FacetLink]]]:
    """Each facet's values as links that add the value to the search, or remove it when chosen: the links
    search_link makes, built here rather than in the template because a page has a hundred of them."""
    kept = [(name, value) for name, value in params.items(multi=True) if value != "" and name != "page"]
    chosen, prefix = set(kept), urlencode(kept)
    groups = []
    for name, values in facets.items():
        links = []
        for facet in values:
            pair = (name, facet["value"])
            if pair in chosen:
                href = "?" + urlencode([kept_pair for kept_pair in kept if kept_pair != pair])
            else:
                href = "?" + "&".join(filter(None, (prefix, urlencode([pair]))))
            links.append(FacetLink(_facet_text(name, facet["value"], names), facet["count"], href, pair in chosen))
        if links:
            groups.append((name, links))
    return groups


def _facet_text(name: str, value: str, names: dict[str, str]) -> str:
    if name == "decade" and value.isdigit():
        return f"{value}–{int(value) + 9}"
    if name == "library":
        return names.get(value, value)
    return value


@bp.app_template_global()
def page_window(page: int, last: int, radius: int = PAGE_RADIUS) -> list[int | None]:
    """Page numbers to offer: the first, the last and those near the current page; None where some are skipped."""
    shown = sorted({1, last, *range(max(1, page - radius), min(last, page + radius) + 1)} - {0})
    window: list[int | None] = []
    for number in shown:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window
