"""The English interface: every message of the code translated, placeholders kept, no Vietnamese left unwrapped
in the templates, and real pages served in English on request (Vietnamese by default)."""
from __future__ import annotations

import os
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATES = PROJECT / "templates"
CATALOG = PROJECT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOG.with_suffix(".mo")
# As the Makefile's `translations` rule: babel's defaults miss lazy_gettext and i18n.counted, and these folders
# hold no interface.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "counted": (1, 2)}
SKIPPED_DIRS = {".venv", "bench", "tests", "instance", "node_modules"}
MAX_LISTED = 20
HOW_TO_FIX = ("Run `make translations`, translate them in translations/en/LC_MESSAGES/messages.po "
              "(and drop their `#, fuzzy` flag), then `make install` to compile.")
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")


def _source_directory(path: str) -> bool:
    """Recurse into a folder unless it is skipped, or hidden (.git, caches: never sources)."""
    name = os.path.basename(path)
    return name not in SKIPPED_DIRS and not name.startswith(".")


def extracted_messages() -> dict[tuple[str, str | None], tuple[str, int]]:
    """Every message of the sources, as babel.cfg maps them: (msgid, context) -> the first (file, line) using it."""
    with open(PROJECT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            PROJECT, method_map, options_map, keywords=KEYWORDS, directory_filter=_source_directory):
        msgid = message[0] if isinstance(message, tuple) else message  # the singular names a plural message
        messages.setdefault((msgid, context), (filename, lineno))
    return messages


@pytest.fixture(scope="module")
def english_catalog():
    with open(CATALOG, "rb") as po:
        return read_po(po, locale="en")


def _forms(value) -> tuple[str, ...]:
    """A message's id or translation as a tuple of its forms (plural messages have several)."""
    return value if isinstance(value, tuple) else (value,)


def _as_tuple(value) -> str | tuple[str, ...]:
    """A plural message's forms as a tuple (the .mo reader gives lists), a singular one as it is."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _untranslated(message) -> bool:
    return message is None or message.fuzzy or not all(_forms(message.string))


def _listing(findings: list[str]) -> str:
    more = f"\n  … and {len(findings) - MAX_LISTED} more" if len(findings) > MAX_LISTED else ""
    return "".join(f"\n  {finding}" for finding in findings[:MAX_LISTED]) + more


def test_every_message_of_the_code_has_an_english_translation(english_catalog):
    problems = []
    for (msgid, context), (filename, lineno) in sorted(extracted_messages().items(), key=lambda item: item[1]):
        message = english_catalog.get(msgid, context)
        if _untranslated(message):
            state = "missing from the catalog" if message is None else "fuzzy" if message.fuzzy else "untranslated"
            problems.append(f"{filename}:{lineno}: {msgid!r} ({state})")
    assert not problems, f"{len(problems)} message(s) have no English translation:{_listing(problems)}\n{HOW_TO_FIX}"


def test_translations_keep_the_placeholders_of_their_message(english_catalog):
    problems = []
    for message in english_catalog:
        if not message.id or _untranslated(message):
            continue
        expected = {token for form in _forms(message.id) for token in PLACEHOLDER.findall(form)}
        for translation in _forms(message.string):
            found = set(PLACEHOLDER.findall(translation))
            if found != expected:
                problems.append(f"{_forms(message.id)[0]!r} -> {translation!r}: "
                                f"expected {sorted(expected)}, found {sorted(found)}")
    assert not problems, ("Translations must keep exactly the %(name)s placeholders of their message "
                          f"(else the page fails or shows the wrong value):{_listing(problems)}")


def test_the_compiled_catalog_is_up_to_date(english_catalog):
    """The pages below are served from the .mo file, which is built, not kept in git: a stale one would hide
    new translations (or fail the English pages for a reason that is not theirs)."""
    assert COMPILED.is_file(), "translations are not compiled: run `make install`"
    with open(COMPILED, "rb") as mo:
        compiled = {(_as_tuple(message.id), message.context): _as_tuple(message.string)
                    for message in read_mo(mo) if message.id}
    stale = [repr(_forms(message.id)[0]) for message in english_catalog
             if message.id and not _untranslated(message)
             and compiled.get((_as_tuple(message.id), message.context)) != _as_tuple(message.string)]
    assert not stale, (f"{len(stale)} translation(s) differ in the compiled catalog:{_listing(stale)}\n"
                       "Run `make install` (or .venv/bin/pybabel compile -d translations).")


# --- Vietnamese text left outside _() in the templates --------------------------------------------------------

# Jinja comments, statements and expressions: what is inside is code (or already translated), not text shown as
# written. Each is replaced by a space (never gluing words) plus its newlines (keeping the line numbers right).
JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
SHOWN_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}
LABELLED_INPUTS = {"submit", "button", "reset"}  # inputs that show their value as their label
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _blank(match: re.Match) -> str:
    return " " + "\n" * match.group().count("\n")


def is_vietnamese(text: str) -> bool:
    """Has a letter with a diacritic (ắ, ơ, ư, …) or đ/Đ, which English text of this interface never has."""
    return any(letter in "đĐ" or (letter.isalpha() and len(unicodedata.normalize("NFD", letter)) > 1)
               for letter in text)


class ShownText(HTMLParser):
    """Collects (line, text) of what a reader sees of an HTML page: text between tags, and the attributes that
    are shown (a tooltip, a placeholder, the label of a submit button). Elements marked lang="vi" are left out:
    they are Vietnamese on purpose in every language of the interface (search examples, book titles)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.shown: list[tuple[int, str]] = []
        self.open: list[tuple[str, bool]] = []  # the elements around the position: (tag, marked Vietnamese)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        vietnamese = self._in_vietnamese() or (attributes.get("lang") or "").startswith("vi")
        if tag not in VOID_ELEMENTS:
            self.open.append((tag, vietnamese))
        if vietnamese:
            return
        shown = SHOWN_ATTRIBUTES | ({"value"} if tag == "input" and attributes.get("type") in LABELLED_INPUTS
                                    else set())
        self.shown += [(self.getpos()[0], value) for name, value in attrs if name in shown and value]

    def handle_endtag(self, tag):
        # Close up to the element named: <p> and <li> are often left open, and Jinja branches may open a tag twice.
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth][0] == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        if not self._in_vietnamese():
            leading_lines = data[:len(data) - len(data.lstrip())].count("\n")  # the text starts after them
            self.shown.append((self.getpos()[0] + leading_lines, data))

    def _in_vietnamese(self) -> bool:
        return bool(self.open) and self.open[-1][1]


def unwrapped_vietnamese(template: Path) -> list[str]:
    """'line: text' for each piece of Vietnamese the template shows as written, untranslatable."""
    source = SCRIPT_OR_STYLE.sub(_blank, JINJA.sub(_blank, template.read_text(encoding="utf-8")))
    parser = ShownText()
    parser.feed(source)
    parser.close()
    return [f"{line}: {' '.join(text.split())!r}" for line, text in parser.shown if is_vietnamese(text)]


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("template", _templates(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_templates_show_no_vietnamese_outside_gettext(template):
    findings = unwrapped_vietnamese(template)
    assert not findings, (f"templates/{template.relative_to(TEMPLATES)} shows Vietnamese that cannot be translated; "
                          f'wrap it as {{{{ _("…") }}}}, then translate it (or, if it is Vietnamese on purpose, such '
                          f'as a search example, mark its element lang="vi"):{_listing(findings)}')


def test_the_checker_finds_unwrapped_text_and_only_that(tmp_path):
    template = tmp_path / "t.html"
    template.write_text('{# Ghi chú #}<script>alert("Lỗi")</script><style>p::after{content:"Đã"}</style>\n'
                        '{% set label = "Tìm" %}<p title="Mở" data-x="Xóa">{{ _("Tìm kiếm") }}</p>\n'
                        '<input type="submit" value="Gửi"><input name="q" value="Huế"><img alt="Ảnh">\n'
                        '<button name="action" value="gửi">Send</button><p>Search {{ n }} kết quả\n'
                        '<li>Try <kbd lang="vi" title="Huế">Huế <b>Đông Ba</b></kbd> or Hue</li><p>Đúng</p>\n',
                        encoding="utf-8")
    assert unwrapped_vietnamese(template) == ["2: 'Mở'", "3: 'Gửi'", "3: 'Ảnh'", "4: 'Search kết quả'", "5: 'Đúng'"]


# --- Pages as a reader sees them ------------------------------------------------------------------------------

PAGES = [("/", {}), ("/search", {"q": "hue"}), ("/login", {})]


@pytest.mark.parametrize("path, query", PAGES)
def test_pages_speak_english_on_request(client, path, query):
    page = client.get(path, query_string={**query, "lang": "en"}).get_data(as_text=True)
    assert 'lang="en"' in page and ">Search<" in page and "Union Catalog" in page
    assert "Tìm kiếm" not in page and "Thư viện thành viên" not in page


@pytest.mark.parametrize("path, query", PAGES)
def test_pages_speak_vietnamese_by_default(client, path, query):
    page = client.get(path, query_string=query).get_data(as_text=True)
    assert 'lang="vi"' in page and ">Tìm kiếm<" in page and ">Search<" not in page
