"""Property tests (hypothesis): the loaders and the citation parser on arbitrary text never crash, and keep their
invariants — whatever an article holds, the loaded text is normalised and holds no marker the citation parser would
read, and every bad JSONL line is reported by its number while the good ones load."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from assistant.errors import InputError
from assistant.ingest.load import load_file
from assistant.ingest.records import RecordErrors
from assistant.text.sanitize import defuse_citations, for_terminal, normalize_text
from assistant.text import CITATION, cited_numbers, strip_citations

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# text with the characters attacks use: brackets and digits, escapes, format and control characters, combining marks
TRICKY = st.text(
    alphabet=st.one_of(
        st.characters(), st.sampled_from(list("[]0123456789,; \n\x1b\x07\x9b\u200b\u202e\u0301\ufeff<>|/-=\"'"))
    ),
    max_size=300,
)


def assert_clean(text: str) -> None:
    assert CITATION.search(text) is None
    assert not any(unicodedata.category(c) == "Cf" for c in text)
    assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text)
    assert normalize_text(text) == text


@FAST
@given(TRICKY)
def test_normalize_and_defuse_are_idempotent_and_leave_no_marker(text):
    once = defuse_citations(normalize_text(text))
    assert_clean(once)
    assert defuse_citations(normalize_text(once)) == once


@FAST
@given(TRICKY)
def test_format_characters_are_dropped_exactly_as_a_walk_over_every_character_would(text):
    from assistant.text.sanitize import _drop_format_chars

    assert _drop_format_chars(text) == "".join(c for c in text if unicodedata.category(c) != "Cf")


@FAST
@given(TRICKY)
def test_terminal_text_has_no_control_characters(text):
    out = for_terminal(text)
    assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in out)
    assert for_terminal(out) == out


LINES = st.text(
    alphabet=st.one_of(
        st.characters(), st.sampled_from(list("#  #\t\n\n\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029ab1…é[]"))
    ),
    max_size=200,
)


def whole_text_document(path, text):
    """text_document as it was: the stripped text split into a list of lines (the oracle)."""
    from assistant.ingest.documents import make_document

    lines = text.strip().splitlines()
    first = lines[0].strip()
    if first.startswith("#"):
        return make_document(path, first.lstrip("#").strip(), "\n".join(lines[1:]))
    heading = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("# ")), "")
    if heading:
        return make_document(path, heading, text)
    title = first if len(first) <= 200 else first[:120].rsplit(" ", 1)[0] + "…"
    return make_document(path, title, text)


@FAST
@given(LINES)
@example("intro\r# Heading\rbody")
@example("  \n intro\u2028# Heading \x85 body\n\n")
@example("# Title\r\nbody\u2028more\x0bend  ")
@example("#\n\n# \n")
def test_a_text_file_reads_as_its_stripped_lines_would(text):
    """text_document finds the title and body without a list of the text's lines, with the same result."""
    from assistant.ingest.plain import text_document

    assume(text.strip())  # an empty file is refused before its title is looked for
    results = []
    for read in (text_document, whole_text_document):
        try:
            results.append(read(Path("/t.md"), text))
        except InputError as err:
            results.append(str(err))
    assert results[0] == results[1]


@FAST
@given(TRICKY, st.sampled_from([".txt", ".md", ".html"]))
def test_text_loaders_never_crash_and_load_clean_text(tmp_path_factory, body, suffix):
    p = tmp_path_factory.mktemp("t") / f"doc{suffix}"
    p.write_bytes(body.encode("utf-8", errors="replace"))
    try:
        docs = load_file(p)
    except InputError as err:
        assert "\n" not in str(err) and str(p) in str(err)
        return
    assert len(docs) == 1 and docs[0].text.strip()
    assert_clean(docs[0].text)
    assert_clean(docs[0].title)


@FAST
@given(
    st.lists(
        st.one_of(TRICKY, st.builds(lambda t, b: json.dumps({"title": t, "body": b}), TRICKY, TRICKY)),
        min_size=1,
        max_size=8,
    )
)
def test_jsonl_loader_reports_each_bad_line_and_keeps_the_good(tmp_path_factory, lines):
    lines = [ln.replace("\n", " ") for ln in lines]
    p = tmp_path_factory.mktemp("j") / "feed.jsonl"
    p.write_bytes("\n".join(lines).encode("utf-8", errors="replace"))
    try:
        docs, errors = load_file(p), []
    except RecordErrors as err:
        docs, errors = err.documents, err.errors
    except InputError as err:  # nothing readable at all: one line for the file
        assert "\n" not in str(err) and str(p) in str(err)
        return
    for doc in docs:
        assert_clean(doc.text)
        assert_clean(doc.title)
    for e in errors:
        assert e.startswith(f"{p}:") and "\n" not in e
    bad_lines = {int(e[len(str(p)) + 1 :].split(":", 1)[0]) for e in errors}
    assert len(bad_lines) == len(errors)  # one error per bad line
    assert len(docs) + len(errors) <= sum(1 for ln in lines if ln.strip())
    # every line that holds a valid record with a body is loaded (or is the same article as an earlier one)
    # ("the same article" as the loader judges it: its content hash, after title and body clean-up)
    from assistant.ingest.records import record_document

    written = [ln.encode("utf-8", errors="replace").decode("utf-8") for ln in lines]  # what the file holds
    good = [json.loads(ln) for ln in written if _is_record(ln)]
    assert len(docs) >= len({record_document(p, r, "line").content_hash for r in good}) - len(errors)


def test_a_lone_surrogate_escape_in_a_record_is_dropped_not_a_traceback(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"title": "t\\ud800", "body": "a \\ud800b", "source": "s\\udc00"}\n', encoding="utf-8")
    (doc,) = load_file(p)
    assert (doc.title, doc.text, doc.source) == ("t", "a b", "s")


def _is_record(line: str) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and bool(normalize_text(record.get("body", "")).strip())


@FAST
@given(TRICKY)
def test_the_citation_parser_never_crashes(text):
    numbers = cited_numbers(text)
    # each number read is read back as itself when written as a marker
    assert all(cited_numbers(f"x [{n}]") == [n] for n in numbers)
    # stripping the markers only removes: the text left is the original's characters, in order
    kept = iter("".join(text.split()))
    assert all(c in kept for c in "".join(strip_citations(text).split()))
    assert cited_numbers(defuse_citations(text)) == []


@FAST
@given(
    st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=200),
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=5),
)
def test_a_citation_at_the_end_is_read_back(sentence, numbers):
    marked = f"{sentence} [{', '.join(map(str, numbers))}]"
    assert cited_numbers(marked) == numbers
    assert CITATION.search(strip_citations(marked)) is None
