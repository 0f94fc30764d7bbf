"""Every parameter of every route, tried with hostile values: a clear 4xx in Vietnamese, never a 500, never reflected.

Routes come from the application's own URL map and parameters from the templates' inputs as well as the list
below, so a route or a parameter added later is tried too.
"""
from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest

import database
from app import create_app
from catalog.importer import import_file
from security import csrf
from tests.factories import iso2709, make_record, write
from tests.forms import csrf_token

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
LONG = "a" * 100_000  # beyond the query string limit: refused before any search
LONG_QUERY = "quảng trị " * 40
# Sent as written: already percent-encoded, so the server sees invalid UTF-8 or a NUL byte.
RAW = ("%FF%FE", "%00", "x%00y", "%C0%AF")
HOSTILE = ("' OR 1=1 --", "1; DROP TABLE record", SCRIPT, IMAGE, "99999999999999999999", "-1", "0", "NaN",
           LONG, LONG_QUERY, "ZZZZ", "TVQT'--", "\u202e", "//evil.example/", "https://evil.example/",
           "/\\evil.example", *RAW)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NOT_PARAMETERS = {"csrf_token", "file", "viewport"}
PAYLOADS = ("<script>alert(1)", "<img src=x")  # what must never come back as markup
SIGN_IN_ANSWERS = (302, 401, 403)
VIETNAMESE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def parameters() -> tuple[str, ...]:
    """The search API's parameters and every input name in the templates."""
    listed = {"q", "page", "per_page", "sort", "library", "place", "subject", "decade", "language", "publisher",
              "year_from", "year_to", "lang", "next"}
    inputs = {name for template in TEMPLATES.glob("*.html")
              for name in re.findall(r'\bname="([a-z_]+)"', template.read_text(encoding="utf-8"))}
    return tuple(sorted((listed | inputs) - NOT_PARAMETERS))


PARAMETERS = parameters()


@cache
def routes(methods: frozenset[str]) -> list[tuple[str, str]]:
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    return sorted((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules() if rule.methods & methods)


@pytest.fixture
def catalog(app, tmp_path):
    """Two records, searchable, and the batch that imported them."""
    with app.app_context():
        report = import_file(database.engine(), write(tmp_path / "h.mrc", iso2709(
            make_record("H1"), make_record("H2", org="TVQB", title="Địa chí Quảng Bình", copies=(("TVQB", "B.1"),)))))
    return {"batch_id": str(report.batch_id), "filename": "style.css"}


def url(rule: str, values: dict[str, str]) -> str:
    """The rule's path with each <converter:name> replaced by its value, percent-encoded unless already."""
    def fill(match):
        value = values.get(match.group(1), "1")
        return value if value in RAW else quote(value, safe="")
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule)


def query(name: str, value: str) -> str:
    return f"{name}={value if value in RAW else quote(value, safe='')}"


def assert_clear(response, what: str) -> None:
    # A binary download (an Excel workbook, a PDF) carries no text that could reflect anything.
    textual = response.mimetype.startswith("text/") or response.is_json or response.mimetype.endswith(("+xml", "/xml"))
    status, body = response.status_code, response.get_data(as_text=True) if textual else ""
    assert status < 500, f"{what}: {status}\n{body[:2000]}"
    if 300 <= status < 400:
        location = response.headers["Location"]
        off_site = urlsplit(urljoin("http://localhost/", location)).netloc != "localhost"
        assert not off_site and not re.match(r"\s*[/\\]{2}", location), f"{what}: redirected off the site to {location}"
    if response.mimetype == "text/html":
        for payload in PAYLOADS:
            assert payload not in body, f"{what}: {payload!r} reflected unescaped"
    if 400 <= status < 500 and status not in SIGN_IN_ANSWERS:
        message = response.get_json()["error"] if response.is_json else body
        assert VIETNAMESE.search(message), f"{what}: {status} not in Vietnamese: {message[:500]}"


@pytest.fixture(params=["anonymous", "coordinator"])
def visitor(request, client, sign_in):
    """A visitor who has not signed in, or the coordinator, who may open every page."""
    if request.param == "coordinator":
        sign_in(client, "dieuphoi", "coordinator")
    return client


@pytest.mark.parametrize("rule, endpoint", routes(frozenset({"GET"})))
def test_hostile_query_parameters(catalog, visitor, rule, endpoint):
    path = url(rule, catalog)
    for value in HOSTILE:
        assert_clear(visitor.get(path + "?" + "&".join(query(name, value) for name in PARAMETERS)),
                     f"GET {path} all={value[:40]!r}")
        for name in PARAMETERS:
            assert_clear(visitor.get(f"{path}?{query(name, value)}"), f"GET {path} {name}={value[:40]!r}")


@pytest.mark.parametrize("rule, endpoint", [(r, e) for r, e in routes(frozenset({"GET"})) if "<" in r])
def test_hostile_path_parameters(catalog, visitor, rule, endpoint):
    client = visitor
    for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule):
        for value in (*HOSTILE, "../app.py", "..%2F..%2Fapp.py"):
            path = url(rule, {**catalog, name: value})
            assert_clear(client.get(path), f"GET {path[:120]}")


@pytest.mark.parametrize("rule, endpoint", routes(STATE_CHANGING))
def test_forms_without_a_csrf_token_are_refused(app, visitor, rule, endpoint):
    exempt = exempt_view(app, endpoint)
    allowed = (200,) if reads_by_post(app, endpoint) else (400, 401) if exempt else (400,)
    for method in methods_of(app, rule, endpoint):
        response = visitor.open(url(rule, {}), method=method, data={"q": SCRIPT})
        assert response.status_code in allowed, f"{method} {rule}: {response.status_code}"
        assert_clear(response, f"{method} {rule}")


@pytest.mark.parametrize("rule, endpoint", routes(STATE_CHANGING))
def test_hostile_form_fields_with_a_valid_token(app, catalog, client, sign_in, rule, endpoint):
    sign_in(client, "dieuphoi", "coordinator")
    for method in methods_of(app, rule, endpoint):
        for value in HOSTILE:
            form = {name: value for name in PARAMETERS} | {"csrf_token": csrf_token(client)}
            response = client.open(url(rule, catalog), method=method, data=form)
            assert_clear(response, f"{method} {rule} every field={value[:40]!r}")


def methods_of(app, rule: str, endpoint: str) -> list[str]:
    found = next(r for r in app.url_map.iter_rules() if r.rule == rule and r.endpoint == endpoint)
    return sorted(found.methods & STATE_CHANGING)


def reads_by_post(app, endpoint: str) -> bool:
    """Whether the view is a protocol's that reads by POST as by GET (OAI-PMH): its whole blueprint is csrf.exempt."""
    return app.blueprints.get(endpoint.rpartition(".")[0]) in csrf._exempt_blueprints


def exempt_view(app, endpoint: str) -> bool:
    """Whether the view answers to bearer tokens only (marked csrf.exempt): there no cookie acts."""
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


@pytest.mark.parametrize("field", ["library", "format", "encoding", "dry_run", "name"])
def test_hostile_upload_form_fields(client, sign_in, field):
    sign_in(client, "dieuphoi", "coordinator")
    for value in HOSTILE:
        if value in RAW:
            continue
        form = {"library": "", "format": "auto", "encoding": "auto", field: value}
        name = form.pop("name", "qt.mrc")
        form["file"] = (io.BytesIO(iso2709(make_record("U1"))), name)
        response = client.post("/imports", data={**form, "csrf_token": csrf_token(client)},
                               content_type="multipart/form-data", follow_redirects=True)
        assert_clear(response, f"POST /imports {field}={value[:40]!r}")
