"""Measure the search index against its targets, with tantivy on the same documents as the reference.

Run from the project root:
    .venv/bin/python bench/search_bench.py --records 100000 [--queries 225] [--json] [--profile DIR] [--check]

N synthetic records are imported into a fresh SQLite database; the Whoosh index is rebuilt from it
with search_index.indexer.rebuild, and the same build_document dicts go into a tantivy index
(`pip install -r bench/requirements-bench.txt`; skipped when tantivy is missing). Both answer the
same seeded queries, each with the six facet counts, after a warm-up.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from sqlalchemy.orm import Session
from stdnum import isbn as isbn_numbers

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

# noqa: E402 below - the project root must be on the path first
from bench import synthetic  # noqa: E402
from catalog.edition_read import all_edition_ids  # noqa: E402
from catalog.vietnamese import normalize_tone_placement  # noqa: E402
from search_index import indexer  # noqa: E402
from search_index.analysis import WORD, exact_form, folded_form  # noqa: E402
from search_index.indexer import _documents as load_documents  # noqa: E402 - exactly what rebuild indexes
from search_index.schema import FIELD_WEIGHTS, SHINGLES_FIELD, build_schema  # noqa: E402
from search_index.view import open_views  # noqa: E402
from search_index.search import (EXACT_BOOST, FACET_LIMIT, FACETS, FIELD_ALIASES, _facet_term,  # noqa: E402
                                 normalize_isbns, search)

try:
    import tantivy
except ImportError:  # the reference is optional: bench/requirements-bench.txt
    tantivy = None

# From the issue, at 100,000 records.
TARGET_BUILD_RATE = 1000
TARGET_P95_MS = 50
KINDS = ("folded", "accented", "old_tone", "phrase", "field", "prefix", "filtered", "sorted", "browse")
PER_PAGE = 20
PROFILE_LINES = 30
TANTIVY_HEAP = 256 * 2**20  # the Whoosh writer's limitmb
TANTIVY_THREADS = 2
FOLDED_FIELDS = ("title", "text", "author", "subject", "place", "publisher", "series", "call_number")
MULTI_FACETS = ("library_facet", "place_facet", "subject_facet")
PHRASE_FIELDS = (*FOLDED_FIELDS, "text_exact")  # Whoosh matches phrases in all of them (shingles field)
ALIASES = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
FIELD_NAME = re.compile(r"\b(\w+):")
PREFIX = re.compile(r'(?<![\w"])(\w+)\*')
INDEX_OPTIONS = {"Positions": "position", "Frequency": "freq"}  # Whoosh's postings format -> tantivy's
TANTIVY_TEXT = {**dict.fromkeys(FOLDED_FIELDS, "folded"), "text_exact": "exact",
                "isbn": "whitespace", "library": "keyword", "edition": "raw",
                **dict.fromkeys(("language", "title_sort", "publisher_facet", *MULTI_FACETS), "raw")}


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    text: str
    filters: dict = field(default_factory=dict)
    sort: str = "relevance"


# -- the queries, from the generator's own vocabulary --------------------------------------------

def _vocabulary() -> dict:
    provinces = [name for name, _presses, _districts in synthetic.PROVINCES]
    places = provinces + [name for _p, _presses, districts in synthetic.PROVINCES for name in districts]
    topics = [template.split(" {")[0] for template, *_ in synthetic.TOPICS]
    return {
        "places": places, "provinces": provinces,
        "topics": [topic for topic in topics if " " in topic and "{" not in topic],  # not "Họ", "{name} –"
        "old_places": [place for place in places if synthetic.old_style(place) != place],
        "two_word_places": [place for place in places if len(place.split()) == 2],
        "subjects": [subject for _t, _l, subject, *_ in synthetic.TOPICS],
        "publishers": [press for _place, press in synthetic.NATIONAL_PRESSES],
        "libraries": [code for code, *_ in synthetic.LIBRARIES],
    }


def _isbn(rng: random.Random) -> str:
    """An ISBN the first editions of any run carry, written as readers type it."""
    number = synthetic.isbn13(f"978604{rng.randint(1, 60) * synthetic.ISBN_SCRAMBLE % 1_000_000:06d}")
    return rng.choice((number, isbn_numbers.format(number), isbn_numbers.to_isbn10(number), f"isbn:{number}"))


def _person(rng: random.Random) -> str:
    return " ".join(rng.choice(part) for part in (synthetic.FAMILY, synthetic.MIDDLE, synthetic.GIVEN))


def _prefix(rng: random.Random, place: str) -> str:
    first, second = place.split()
    text = f"{first} {second[:rng.randint(1, max(1, len(second) - 1))]}*"
    return folded_form(text) if rng.random() < 0.5 else text


def _filters(rng: random.Random, v: dict) -> dict:
    values = {"library": rng.choice(v["libraries"]), "place": rng.choice(v["provinces"])}
    return {name: [values[name]] for name in rng.choice((("library",), ("place",), ("library", "place")))}


def _query(kind: str, rng: random.Random, v: dict) -> BenchQuery:
    words = f"{rng.choice(v['topics'])} {rng.choice(v['places'])}"
    if kind in ("folded", "accented"):
        return BenchQuery(kind, folded_form(words) if kind == "folded" else words)
    if kind == "old_tone":
        words = f"{rng.choice(v['topics'] + [''])} {rng.choice(v['old_places'])}"
        return BenchQuery(kind, synthetic.old_style(words.strip()))
    if kind == "phrase":
        return BenchQuery(kind, f'"{rng.choice(v["topics"])}" {rng.choice(v["places"])}')
    if kind == "field":
        return BenchQuery(kind, rng.choice((
            f'tacgia:"{_person(rng)}"', f'nhande:"{rng.choice(v["topics"])}"', f'chude:({rng.choice(v["subjects"])})',
            f'nxb:({rng.choice(v["publishers"])})', _isbn(rng))))
    if kind == "prefix":
        return BenchQuery(kind, _prefix(rng, rng.choice(v["two_word_places"])))
    if kind == "filtered":
        return BenchQuery(kind, rng.choice((rng.choice(v["topics"]), words)), _filters(rng, v))
    if kind == "sorted":
        return BenchQuery(kind, rng.choice(v["places"]), sort=rng.choice(("year", "title")))
    return BenchQuery(kind, "", _filters(rng, v))  # browse: facets picked, no words


def make_queries(count: int, seed: int) -> list[BenchQuery]:
    """`count` queries, as many of each kind, shuffled; the same seed gives the same list."""
    rng, vocabulary = random.Random(seed), _vocabulary()
    queries = [_query(KINDS[i % len(KINDS)], rng, vocabulary) for i in range(count)]
    rng.shuffle(queries)
    return queries


# -- the catalog and the Whoosh index ------------------------------------------------------------

def build_catalog(workdir: Path, records: int, seed: int):
    """Generate, migrate, seed the Union's libraries and import with two workers; return the engine."""
    from catalog.importer import import_file
    from catalog.libraries import seed_union
    from database import make_engine
    from schema import upgrade

    synthetic.write_file(workdir / "synthetic.mrc", records, seed=seed)
    engine = make_engine(f"sqlite:///{workdir / 'bench.sqlite3'}")
    upgrade(engine)
    with Session(engine) as session:
        seed_union(session)
        session.commit()
    import_file(engine, workdir / "synthetic.mrc", user="bench", workers=2)
    return engine


def whoosh_build(engine, directory: Path) -> dict:
    with Session(engine) as session:
        started = time.perf_counter()
        documents = indexer.rebuild(session, str(directory))
        seconds = time.perf_counter() - started
    return {"documents": documents, "seconds": seconds, "rate": documents / seconds, "bytes": dir_size(directory)}


def whoosh_runner(directory: Path):
    def run(query: BenchQuery) -> int:
        return search(str(directory), query.text, per_page=PER_PAGE, sort=query.sort, filters=query.filters,
                      cache=False).total  # measured without the recent-results cache
    return run


def dir_size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


# -- the reference: tantivy, same documents, same queries -----------------------------------------

def _tantivy_index(directory: Path):
    """The project's fields; tantivy matches phrases its own way, with positions on every text field,
    where Whoosh has the shingles field."""
    whoosh, builder = build_schema(), tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name, tokenizer in TANTIVY_TEXT.items():
        postings = "position" if name in PHRASE_FIELDS else INDEX_OPTIONS.get(type(whoosh[name].format).__name__, "basic")
        builder.add_text_field(name, tokenizer_name=tokenizer, index_option=postings, stored=name == "edition",
                               fast=tokenizer == "raw" and name != "edition")  # columns for facets and sorting
    for name in ("year", "decade"):
        builder.add_integer_field(name, indexed=True, fast=True)
    directory.mkdir()
    index = tantivy.Index(builder.build(), path=str(directory))
    words = lambda: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(WORD)).filter(tantivy.Filter.lowercase())
    index.register_tokenizer("folded", words().filter(tantivy.Filter.ascii_fold()).build())  # đ → d as well
    index.register_tokenizer("exact", words().build())  # tone placement is normalized before, in Python
    index.register_tokenizer("keyword", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
                             .filter(tantivy.Filter.lowercase()).build())
    return index


def _tantivy_document(document: dict):
    values = {name: value for name, value in document.items() if value != "" and name not in ("stored", SHINGLES_FIELD)}
    values |= {"text_exact": normalize_tone_placement(document["text_exact"])}
    if "decade" in document:
        values["decade"] = int(document["decade"])
    values |= {name: [value for value in document[name].split(",") if value] for name in MULTI_FACETS}
    return tantivy.Document(**values | {"id": int(document["id"])})


def tantivy_build(engine, directory: Path) -> tuple[dict, object]:
    """Stream the rebuild's documents into tantivy; time loading them apart from indexing them."""
    index = _tantivy_index(directory)
    writer, documents, loading = index.writer(TANTIVY_HEAP, TANTIVY_THREADS), 0, 0.0
    started = time.perf_counter()
    with Session(engine) as session:
        for ids in all_edition_ids(session):
            begun = time.perf_counter()
            batch = load_documents(session, ids)
            loading += time.perf_counter() - begun
            for document in batch:
                writer.add_document(_tantivy_document(document))
            documents += len(batch)
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    index.reload()
    return {"documents": documents, "seconds": seconds, "rate": documents / seconds, "loading_seconds": loading,
            "index_rate": documents / (seconds - loading), "bytes": dir_size(directory)}, index


def tantivy_query(index, query: BenchQuery):
    """search.build_query and build_filter in tantivy's terms: folded Or exact (boosted), filters as terms."""
    text = FIELD_NAME.sub(lambda m: ALIASES.get(m.group(1).lower(), m.group(1)) + ":", normalize_isbns(query.text))
    main = _either(index, text.strip()) if text.strip() else tantivy.Query.all_query()
    filters = [tantivy.Query.const_score_query(tantivy.Query.term_query(
        index.schema, FACETS[name], _facet_term(name, value)), 0.0) for name, values in query.filters.items()
        for value in values]
    Must = tantivy.Occur.Must
    return tantivy.Query.boolean_query([(Must, main), *((Must, f) for f in filters)]) if filters else main


def _either(index, text: str):
    prefixes, rest = PREFIX.findall(text), PREFIX.sub(" ", text).strip()
    folded = _words(index, folded_form(rest), [folded_form(p) for p in prefixes], ("title", "text"))
    exact = _words(index, normalize_tone_placement(rest), [exact_form(p) for p in prefixes], ("text_exact",))
    Should = tantivy.Occur.Should
    return tantivy.Query.boolean_query([(Should, folded), (Should, tantivy.Query.boost_query(exact, EXACT_BOOST))])


def _words(index, text: str, prefixes: list[str], fields: tuple[str, str]):
    """The parsed words And each prefix (tantivy's parser has no term prefix: a regex on each field)."""
    clauses = [_parse(index, text, fields)] if text else []
    clauses += [tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.regex_query(
        index.schema, name, re.escape(prefix) + ".*")) for name in fields]) for prefix in prefixes]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, clause) for clause in clauses])


def _parse(index, text: str, fields: tuple[str, str]):
    """Every bench query is well-formed: an error here is reported as the query's failure."""
    boosts = {name: FIELD_WEIGHTS[name] for name in fields if name in FIELD_WEIGHTS}
    return index.parse_query(text, list(fields), field_boosts=boosts,
                             conjunction_by_default=True)  # Whoosh's AndGroup


def tantivy_runner(index):
    aggregations = {name: {"terms": {"field": column, "size": FACET_LIMIT}} for name, column in FACETS.items()}
    orders = {"year": ("year", tantivy.Order.Desc), "title": ("title_sort", tantivy.Order.Asc)}

    def run(query: BenchQuery) -> int:
        searcher, parsed = index.searcher(), tantivy_query(index, query)
        field_name, order = orders.get(query.sort, (None, tantivy.Order.Desc))
        result = searcher.search(parsed, PER_PAGE, count=True, order_by_field=field_name, order=order)
        for _key, address in result.hits:
            searcher.doc(address)  # the stored id and edition, as Whoosh's hits read them
        searcher.aggregate(parsed, aggregations)  # the six facets, counted on the columns over every hit
        return result.count
    return run


# -- timing ---------------------------------------------------------------------------------------

def percentiles(values: list[float]) -> dict:
    cuts = statistics.quantiles(values * 2 if len(values) == 1 else values, n=100, method="inclusive")
    return {"n": len(values), "p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


def _attempt(run, query: BenchQuery) -> tuple[int | None, str | None]:
    try:
        return run(query), None
    except Exception as error:  # noqa: BLE001 - a failing query is a finding to report, not the end of the run
        return None, f"{type(error).__name__}: {error}"


def time_queries(run, queries: list[BenchQuery], warmup: int) -> dict:
    """Warm up on the first `warmup` queries, then time every query once; milliseconds, failures apart."""
    for query in queries[:warmup]:
        _attempt(run, query)
    timings, totals, errors = {kind: [] for kind in KINDS}, [], []
    for query in queries:
        started = time.perf_counter()
        total, error = _attempt(run, query)
        totals.append(total)
        if error:
            errors.append({"kind": query.kind, "query": query.text, "error": error})
        else:
            timings[query.kind].append((time.perf_counter() - started) * 1000)
    return {"all": percentiles([ms for values in timings.values() for ms in values]), "totals": totals,
            "kinds": {kind: percentiles(values) for kind, values in timings.items() if values}, "errors": errors}


def profile(call, destination: Path) -> str:
    """Run call under cProfile; write its top functions to destination."""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    out = io.StringIO()
    for order in ("cumulative", "tottime"):
        out.write(f"==== top {PROFILE_LINES} by {order} ====\n")
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(PROFILE_LINES)
    destination.write_text(out.getvalue(), encoding="utf-8")
    return str(destination)


# -- the run and its report -----------------------------------------------------------------------

def measure(args, workdir: Path) -> dict:
    open_views.cache_mb = args.cache_mb
    queries = make_queries(args.queries, args.seed)
    _progress(f"generating and importing {args.records:,} records")
    started = time.perf_counter()
    engine = build_catalog(workdir, args.records, args.seed)
    results = {"records": args.records, "queries": len(queries), "warmup": args.warmup, "cache_mb": args.cache_mb,
               "query_list": [[query.kind, query.text, query.filters, query.sort] for query in queries],
               "import_seconds": time.perf_counter() - started, "tantivy": None}
    _progress("rebuilding the Whoosh index")
    results["whoosh"] = {"build": whoosh_build(engine, workdir / "whoosh")}
    _progress("querying Whoosh")
    open_views.forget(str(workdir / "whoosh"))  # as a process that has not searched yet
    started = time.perf_counter()
    whoosh_runner(workdir / "whoosh")(queries[0])
    results["whoosh"]["first_query_ms"] = (time.perf_counter() - started) * 1000
    results["whoosh"]["latency"] = time_queries(whoosh_runner(workdir / "whoosh"), queries, args.warmup)
    if tantivy is None:
        _progress("tantivy is not importable: reference skipped (pip install -r bench/requirements-bench.txt)")
    else:
        _progress("building and querying tantivy")
        build, index = tantivy_build(engine, workdir / "tantivy")
        results["tantivy"] = {"build": build, "latency": time_queries(tantivy_runner(index), queries, args.warmup)}
    if args.profile:
        results["profiles"] = _profiles(engine, workdir, queries, results, Path(args.profile))
    build = results["whoosh"]["build"]
    build["records_rate"] = args.records / build["seconds"]
    # A document is an edition (the records of several libraries); the target counts what is catalogued.
    results["targets"] = {"build_rate": build["records_rate"] >= TARGET_BUILD_RATE,
                          "p95": results["whoosh"]["latency"]["all"]["p95"] <= TARGET_P95_MS}
    return results


def _profiles(engine, workdir: Path, queries, results: dict, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    kinds = results["whoosh"]["latency"]["kinds"]
    slowest = max(kinds, key=lambda kind: kinds[kind]["p95"])
    run, chosen = whoosh_runner(workdir / "whoosh"), [query for query in queries if query.kind == slowest]
    _progress(f"profiling the rebuild and the slowest kind ({slowest}) into {out}")
    # cProfile sees one process: with the indexer's writer processes the profile would show only waiting.
    with Session(engine) as session, mock.patch.object(indexer, "WRITER_PROCESSES", 1):
        rebuilt = profile(lambda: indexer.rebuild(session, str(workdir / "whoosh-profiled")), out / "rebuild.txt")
    return {"slowest_kind": slowest, "rebuild": rebuilt,
            "queries": profile(lambda: [run(query) for query in chosen], out / f"queries-{slowest}.txt")}


def _progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def _build_row(name: str, documents: int, seconds: float, size: int | None = None, note: str = "") -> str:
    megabytes = f"{size / 2**20:>9.1f}" if size is not None else " " * 9
    return f"{name:<36} {documents:>8,} {seconds:>8.1f} {documents / seconds:>9,.0f} {megabytes}  {note}".rstrip()


def _build_rows(results: dict) -> list[str]:
    whoosh, reference = results["whoosh"]["build"], results["tantivy"] and results["tantivy"]["build"]
    verdict = "ok" if results["targets"]["build_rate"] else "MISSED"
    rows = [f"{'build':<36} {'docs':>8} {'seconds':>8} {'docs/s':>9} {'index MB':>9}",
            _build_row("Whoosh: indexer.rebuild", whoosh["documents"], whoosh["seconds"], whoosh["bytes"]),
            f"  documents are editions: {results['records']:,} records in {whoosh['seconds']:.1f} s, "
            f"{whoosh['records_rate']:,.0f} records/s, target ≥{TARGET_BUILD_RATE:,}/s: {verdict}"]
    if "first_query_ms" in results["whoosh"]:
        rows.append(f"  first query of a fresh process (reads lengths, facets, years): "
                    f"{results['whoosh']['first_query_ms']:,.0f} ms")
    if reference:
        n, loading = reference["documents"], reference["loading_seconds"]
        rows += [_build_row("tantivy: load + index", n, reference["seconds"], reference["bytes"],
                            f"{reference['rate'] / whoosh['rate']:.1f}x Whoosh"),
                 _build_row("  of which load (DB, build_document)", n, loading),
                 _build_row("  of which tantivy indexing", n, reference["seconds"] - loading)]
    return rows


def _latency_row(name: str, whoosh: dict, reference: dict | None) -> str:
    cells = [f"{whoosh[p]:>8.1f}" for p in ("p50", "p95", "p99")]
    if reference:
        cells += [f"{reference[p]:>8.2f}" for p in ("p50", "p95", "p99")]
        cells.append(f"{whoosh['p95'] / reference['p95']:>8.0f}x")
    return f"{name:<10} {whoosh['n']:>4} " + " ".join(cells)


def _disagreements(queries: list, whoosh: list, reference: list) -> list[str]:
    """Hits are counted alike when the translation is faithful; list the queries where they are not."""
    differ = [(query[1], mine, theirs) for query, mine, theirs in zip(queries, whoosh, reference) if mine != theirs]
    lines = [f"queries where both engines count the same hits: {len(queries) - len(differ)} of {len(queries)}"]
    lines += [f"  differs: {text!r}: Whoosh {mine}, tantivy {theirs} (None: the query failed)"
              for text, mine, theirs in differ[:5]]
    return lines


def format_table(results: dict) -> str:
    whoosh, reference = results["whoosh"]["latency"], results["tantivy"] and results["tantivy"]["latency"]
    lines = [f"Search benchmark: {results['records']:,} synthetic records, {results['queries']} queries, each with "
             f"its six facets; {results['warmup']} warm-up queries first; "
             f"{results.get('cache_mb', '?')} MB of postings cached", *_build_rows(results), "",
             "latency, ms" + ("" if reference else " (tantivy not installed: reference skipped)"),
             f"{'kind':<10} {'n':>4} {'W p50':>8} {'W p95':>8} {'W p99':>8}"
             + (f" {'T p50':>8} {'T p95':>8} {'T p99':>8} {'p95 W/T':>9}" if reference else "")]
    lines += [_latency_row(kind, whoosh["kinds"][kind], reference and reference["kinds"].get(kind))
              for kind in KINDS if kind in whoosh["kinds"]]
    lines.append(_latency_row("all", whoosh["all"], reference and reference["all"]))
    verdict = "ok" if results["targets"]["p95"] else "MISSED"
    lines.append(f"Whoosh p95 target ≤{TARGET_P95_MS} ms with facets: {verdict}")
    for name, latency in (("Whoosh", whoosh), ("tantivy", reference)):
        if latency and latency["errors"]:
            first = latency["errors"][0]
            lines.append(f"{name}: {len(latency['errors'])} queries FAILED, e.g. {first['query']!r}: {first['error']}")
    if reference:
        lines += _disagreements(results["query_list"], whoosh["totals"], reference["totals"])
    if "profiles" in results:
        lines.append(f"profiles: {json.dumps(results['profiles'], ensure_ascii=False)}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the search index, with tantivy as the reference.")
    parser.add_argument("--records", type=int, default=100_000, help="synthetic records (default 100000)")
    parser.add_argument("--queries", type=int, default=225, help="queries, as many of each kind (default 225)")
    parser.add_argument("--warmup", type=int, default=45, help="queries run before timing (default 45)")
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--profile", metavar="DIR", help="profile the rebuild and the slowest query kind into DIR")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--cache-mb", type=int, default=open_views.cache_mb,
                        help=f"postings kept in memory for searching (SEARCH_CACHE_MB, default {open_views.cache_mb})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mll-search-bench-") as workdir:
        results = measure(args, Path(workdir))
    print(json.dumps(results, indent=2, ensure_ascii=False) if args.json else format_table(results))
    return 1 if args.check and not all(results["targets"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
