"""Search answers kept for readers not signed in (serving/page_cache.py): served again while the index is
unchanged, until they are the grace's seconds old after it changed, then (with a stale limit) at once while a
fresh one is made in the background, never to a signed-in librarian or a token's script, never in another
language than the reader's; one store for all the processes of a server."""
from __future__ import annotations

import gzip
import os
import stat

import pytest

import database
from app import create_app
from catalog.importer import import_file
from serving import page_cache
from serving.page_cache import Kept, PageCache
from tests.factories import iso2709, make_record, write


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(page_cache, "clock", clock)
    return clock


def grace(app, seconds: float) -> None:
    app.extensions["page_cache"].grace = seconds


def stale_limit(app, grace_seconds: float, stale_seconds: float) -> None:
    cache = app.extensions["page_cache"]
    cache.grace, cache.stale = grace_seconds, stale_seconds


def made_in_background(app) -> None:
    assert app.extensions["page_refresher"].wait_idle(timeout=30)


def kept_then_changed(app, client, tmp_path, clock, seconds_later: float) -> None:
    """A reader's "Gio Linh" kept (grace 10 s, stale limit 60 s), a record found by it added, the clock on."""
    stale_limit(app, 10, 60)
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "miss")
    add_record(app, tmp_path, "QT2", "Gio Linh xưa và nay")
    clock.now += seconds_later


def add_record(app, tmp_path, control: str, title: str) -> None:
    with app.app_context():  # the import's own sync changes the index
        import_file(database.engine(), write(tmp_path / f"{control}.mrc",
                                             iso2709(make_record(control, title=title, copies=(("TVQT", control),)))))


def titles(client, query: str, **headers) -> tuple[list[str], str]:
    answer = client.get("/api/search", query_string={"q": query}, headers=headers)
    assert answer.status_code == 200
    return [hit["title"] for hit in answer.get_json()["hits"]], answer.headers["X-Cache"]


def test_a_reader_gets_the_kept_answer_while_the_index_is_unchanged_and_a_new_one_after_it_changed(
        app, client, tmp_path, clock):
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "miss")
    assert titles(client, "gio linh") == (["Địa chí Gio Linh"], "miss")  # another question
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "hit")
    page = client.get("/search", query_string={"q": "Gio Linh"})
    again = client.get("/search", query_string={"q": "Gio Linh"})
    assert (page.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit")
    assert again.get_data() == page.get_data() and "Địa chí <mark>Gio</mark> <mark>Linh</mark>" in again.get_data(
        as_text=True)
    assert again.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]

    add_record(app, tmp_path, "QT2", "Gio Linh xưa và nay")  # no grace by default: at once
    assert sorted(titles(client, "Gio Linh")[0]) == ["Gio Linh xưa và nay", "Địa chí Gio Linh"]


def test_within_the_grace_after_a_change_a_reader_may_get_the_answer_made_before_it_then_a_fresh_one(
        app, client, tmp_path, clock):
    grace(app, 10)
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "miss")
    clock.now += 60
    assert titles(client, "Gio Linh")[1] == "hit"  # the index as it was, still in use now
    add_record(app, tmp_path, "QT2", "Gio Linh xưa và nay")
    found, how = titles(client, "Gio Linh")  # made 60 s before now, so perhaps before a change 60 s old
    assert how == "miss" and sorted(found) == ["Gio Linh xưa và nay", "Địa chí Gio Linh"]

    add_record(app, tmp_path, "QT3", "Gio Linh quê hương")
    clock.now += 1
    assert len(titles(client, "Gio Linh")[0]) == 2 and titles(client, "Gio Linh")[1] == "stale"
    clock.now += 8
    found, how = titles(client, "Gio Linh")
    assert how == "stale" and "Gio Linh quê hương" not in found
    clock.now += 2  # the answer is 11 s old: the change may be older than the grace
    found, how = titles(client, "Gio Linh")
    assert how == "miss" and len(found) == 3
    assert titles(client, "Gio Linh")[1] == "hit"


def test_an_answer_made_before_a_change_is_not_served_once_older_than_the_grace(app, client, tmp_path, clock):
    """However few readers came meanwhile: a reader after a quiet night gets the catalogue as it is."""
    grace(app, 10)
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    titles(client, "Gio Linh")
    add_record(app, tmp_path, "QT2", "Gio Linh xưa và nay")
    clock.now += 100
    found, how = titles(client, "Gio Linh")
    assert how == "miss" and len(found) == 2


def test_past_the_grace_a_reader_gets_the_kept_answer_at_once_and_the_readers_after_them_a_fresh_one(
        app, client, tmp_path, clock):
    """Production's stale-while-revalidate: under librarians' writes no reader waits for a popular answer to be
    made again."""
    kept_then_changed(app, client, tmp_path, clock, 5)
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "stale")  # within the grace: nothing made
    made_in_background(app)
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "stale")
    clock.now += 6
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "stale")  # at once, and made again meanwhile
    made_in_background(app)
    found, how = titles(client, "Gio Linh")
    assert how == "hit" and sorted(found) == ["Gio Linh xưa và nay", "Địa chí Gio Linh"]


def test_no_answer_is_made_again_in_the_background_while_a_reader_waits_for_one_made_for_them(
        app, client, tmp_path, clock):
    """The reader who waits goes first: a refresh is for readers who do not."""
    kept_then_changed(app, client, tmp_path, clock, 11)
    refresher = app.extensions["page_refresher"]
    with refresher.reader_waiting():  # as while another thread of the worker makes a reader's answer
        assert titles(client, "Gio Linh")[1] == "stale"
        assert not refresher.wait_idle(timeout=0.5)
        assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "stale")
    made_in_background(app)
    assert titles(client, "Gio Linh")[1] == "hit"


def test_past_the_stale_limit_the_reader_waits_for_the_fresh_answer(app, client, tmp_path, clock):
    """A reader after a quiet hour never gets an answer older than the limit, however it was kept."""
    kept_then_changed(app, client, tmp_path, clock, 61)
    found, how = titles(client, "Gio Linh")
    assert how == "miss" and len(found) == 2


def test_a_page_made_again_in_the_background_is_in_the_language_of_the_reader_who_asked(
        app, client, tmp_path, clock):
    stale_limit(app, 10, 60)
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    client.set_cookie("lang", "en")
    assert client.get("/search", query_string={"q": "Gio Linh"}).headers["X-Cache"] == "miss"
    add_record(app, tmp_path, "QT2", "Gio Linh xưa và nay")
    clock.now += 11
    assert client.get("/search", query_string={"q": "Gio Linh"}).headers["X-Cache"] == "stale"
    made_in_background(app)
    page = client.get("/search", query_string={"q": "Gio Linh"})
    assert page.headers["X-Cache"] == "hit"
    assert 'lang="en"' in page.get_data(as_text=True) and "xưa và nay" in page.get_data(as_text=True)
    vietnamese = app.test_client().get("/search", query_string={"q": "Gio Linh"})
    assert vietnamese.headers["X-Cache"] == "miss" and 'lang="vi"' in vietnamese.get_data(as_text=True)


def test_a_query_string_sent_without_escapes_is_made_again_as_it_was_sent(app, client, tmp_path, clock):
    """A script or curl may send the words' UTF-8 as they are, where a browser escapes them."""
    stale_limit(app, 10, 60)
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    unescaped = {"QUERY_STRING": "q=địa chí".encode().decode("latin-1")}  # as WSGI carries the bytes

    def ask() -> tuple[list[str], str]:
        answer = client.get("/api/search", environ_overrides=unescaped)
        return sorted(hit["title"] for hit in answer.get_json()["hits"]), answer.headers["X-Cache"]

    assert ask() == (["Địa chí Gio Linh"], "miss")
    add_record(app, tmp_path, "QT2", "Địa chí Cồn Cỏ")
    clock.now += 11
    assert ask() == (["Địa chí Gio Linh"], "stale")
    made_in_background(app)
    assert ask() == (["Địa chí Cồn Cỏ", "Địa chí Gio Linh"], "hit")


def test_while_the_database_is_out_readers_get_the_kept_answers_and_a_failed_remaking_loses_none(
        app, client, tmp_path, clock, caplog):
    """The answer made again in the background meets the database out (503): the kept one serves on, up to the
    stale limit; past it the reader is told the database is not answering."""
    kept_then_changed(app, client, tmp_path, clock, 20)
    down = create_app({**app.config, "DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite3'}",
                       "PUBLIC_PAGE_GRACE_SECONDS": 10, "PUBLIC_PAGE_STALE_SECONDS": 60})
    reader = down.test_client()
    for _ in range(2):
        assert titles(reader, "Gio Linh") == (["Địa chí Gio Linh"], "stale")
        made_in_background(down)
    # Tried once, then left alone for a while rather than asked again by every reader.
    assert caplog.text.count("kept answers not made again") == 1 and "answered 503" in caplog.text
    clock.now += 41
    answer = reader.get("/api/search", query_string={"q": "Gio Linh"})
    assert answer.status_code == 503 and "X-Cache" not in answer.headers
    assert titles(client, "Gio Linh")[1] == "miss"  # the database back: a fresh answer


def test_the_processes_of_a_server_share_their_kept_answers(app, client, tmp_path, clock):
    """Another app on the same index (another gunicorn worker) serves what this one made."""
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    assert titles(client, "Gio Linh")[1] == "miss"
    other = create_app({**app.config})
    assert titles(other.test_client(), "Gio Linh") == (["Địa chí Gio Linh"], "hit")
    assert (tmp_path / "index" / page_cache.STORE_DIRECTORY).is_dir()


def test_a_browser_that_takes_gzip_gets_the_kept_answer_gzipped_and_others_get_it_plain(app, client, tmp_path,
                                                                                         clock):
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    made = client.get("/search", query_string={"q": "Gio Linh"})
    zipped = client.get("/search", query_string={"q": "Gio Linh"}, headers={"Accept-Encoding": "gzip, br"})
    plain = client.get("/search", query_string={"q": "Gio Linh"}, headers={"Accept-Encoding": "identity"})
    assert (zipped.headers["X-Cache"], zipped.headers["Content-Encoding"]) == ("hit", "gzip")
    assert gzip.decompress(zipped.get_data()) == made.get_data()
    assert len(zipped.get_data()) < len(made.get_data()) / 2
    assert plain.headers.get("Content-Encoding") is None and plain.get_data() == made.get_data()
    assert all("Accept-Encoding" in answer.headers["Vary"] for answer in (made, zipped, plain))


def test_searches_are_answered_when_the_store_cannot_be_written(app, client, tmp_path, clock):
    """A full disk or an unwritable directory costs the kept answers, never a reader's search."""
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    (tmp_path / "index" / page_cache.STORE_DIRECTORY).write_text("not a directory")
    for _ in range(2):
        assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "miss")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_searches_are_answered_when_the_store_is_read_only(app, client, tmp_path, clock):
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    titles(client, "Gio Linh")
    store = tmp_path / "index" / page_cache.STORE_DIRECTORY
    for path in [store, *store.iterdir()]:
        path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        other = create_app({**app.config}).test_client()
        assert titles(other, "gio linh") == (["Địa chí Gio Linh"], "miss")
    finally:
        for path in [store, *store.iterdir()]:
            path.chmod(stat.S_IRWXU)


def test_repeated_parameters_in_another_order_are_another_search(app, client, tmp_path, clock):
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    first = client.get("/api/search?q=linh&q=zzzz")
    other = client.get("/api/search?q=zzzz&q=linh")
    assert other.headers["X-Cache"] == "miss"
    assert (first.get_json()["total"], other.get_json()["total"]) == (1, 0)  # the search reads the first q


def test_nothing_is_kept_longer_than_its_age_limit_even_with_the_index_unchanged(app, client, tmp_path, clock):
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    titles(client, "Gio Linh")
    clock.now += page_cache.MAX_AGE_SECONDS + 1
    assert titles(client, "Gio Linh")[1] == "miss"


def test_a_signed_in_librarian_and_a_script_with_a_token_always_get_a_fresh_answer(app, client, tmp_path, clock,
                                                                                   sign_in, api):
    grace(app, 60)
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    assert titles(client, "Gio Linh")[1] == "miss"
    add_record(app, tmp_path, "QT2", "Gio Linh xưa và nay")
    assert titles(client, "Gio Linh") == (["Địa chí Gio Linh"], "stale")  # the public, within the grace

    librarian = app.test_client()
    sign_in(librarian, "thuthu.cc", library="TVCC")
    page = librarian.get("/search", query_string={"q": "Gio Linh"})
    assert "X-Cache" not in page.headers and "xưa và nay" in page.get_data(as_text=True)
    by_token = api("thuthu.qt", "get", "/api/search?q=Gio+Linh")
    assert "X-Cache" not in by_token.headers and len(by_token.get_json()["hits"]) == 2


def test_each_language_gets_its_own_page(app, client, tmp_path, clock):
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    vietnamese = client.get("/search", query_string={"q": "Gio Linh"}).get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get("/search", query_string={"q": "Gio Linh"})
    assert english.headers["X-Cache"] == "miss"
    assert english.get_data(as_text=True) != vietnamese and 'lang="en"' in english.get_data(as_text=True)
    assert client.get("/search", query_string={"q": "Gio Linh"}).headers["X-Cache"] == "hit"


def test_an_invalid_search_is_not_kept(client, clock):
    for _ in range(2):
        answer = client.get("/api/search", query_string={"sort": "nonsense"})
        assert answer.status_code == 400 and answer.headers.get("X-Cache") is None


def test_past_the_size_limit_the_answers_stored_longest_ago_go_first(tmp_path):
    cache = PageCache(tmp_path / "kept", max_bytes=1_000_000, grace_seconds=5)
    for number in range(1000):
        cache.put(f"{number:04d}", Kept("v", 0.0, 200, "text/html", os.urandom(4000)))  # gzip gains nothing
    assert 100 < len(cache) < 300
    assert cache.get("0000", "v", 0.0) is None and cache.get("0999", "v", 0.0)[1] == "hit"
    assert cache.get("0999", "w", 0.0)[1] == "stale"
    cache.put("huge", Kept("v", 0.0, 200, "text/html", b"x" * 200_000))  # over an eighth of the store
    assert cache.get("huge", "v", 0.0) is None


def test_long_query_strings_count_against_the_limit(tmp_path):
    """A kept answer is charged for its key too: thousands of long query strings with tiny answers must not
    grow the store past the limit."""
    cache = PageCache(tmp_path / "kept", max_bytes=100_000, grace_seconds=0)
    for number in range(1000):
        cache.put(f"vi /api/search?q=z{number}&" + "a=&" * 1300, Kept("v", 0.0, 200, "application/json", b"{}"))
    assert len(cache) < 30


def test_a_server_starting_forgets_the_answers_kept_before(app, client, tmp_path, clock):
    """gunicorn.conf.py clears them when the master is ready: a deploy may bring new pages or a new API."""
    add_record(app, tmp_path, "QT1", "Địa chí Gio Linh")
    titles(client, "Gio Linh")
    assert titles(client, "Gio Linh")[1] == "hit"
    page_cache.clear(app.config["INDEX_DIR"])
    assert titles(create_app({**app.config}).test_client(), "Gio Linh")[1] == "miss"
