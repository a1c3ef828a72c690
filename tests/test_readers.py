"""Readers: the one table of supported formats, by suffix."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest.readers import BY_SUFFIX, READERS, SUPPORTED, reader_for


def test_each_suffix_has_one_reader_and_the_binary_ones_read_the_file_themselves():
    suffixes = [s for r in READERS for s in r.suffixes]
    assert len(suffixes) == len(set(suffixes)) == len(SUPPORTED)
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    assert {r.name for r in READERS if r.binary} == {"pdf", "docx"}


@pytest.mark.parametrize(
    "name, reader", [("a.TXT", "text"), ("b.markdown", "text"), ("c.htm", "html"), ("d.ndjson", "records")]
)
def test_the_suffix_in_any_case_names_the_reader(name, reader):
    assert reader_for(Path(name)).name == reader
    assert BY_SUFFIX[Path(name).suffix.lower()].name == reader


@pytest.mark.parametrize("name, shown", [("report.xyz", "'.xyz'"), ("README", "'(none)'")])
def test_an_unsupported_type_names_the_file_and_the_supported_ones(name, shown):
    with pytest.raises(InputError) as err:
        reader_for(Path(name))
    assert str(err.value) == f"{name}: unsupported file type {shown}; use {', '.join(sorted(SUPPORTED))}"


def test_a_text_reader_is_given_the_text_and_returns_documents():
    docs = reader_for(Path("/n/brief.md")).read(Path("/n/brief.md"), "# Ferry timetable\nBoats leave hourly.")
    assert [(d.title, d.text) for d in docs] == [("Ferry timetable", "Boats leave hourly.")]
