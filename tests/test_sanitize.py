"""Sanitize: article text is normalised at load, its citation-like markers defused, and anything printed loses
escape sequences and control characters."""

from __future__ import annotations

import json

import pytest

from assistant.text.sanitize import defuse_citations, for_json_output, for_terminal, normalize_text


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("ig\u200bnore previous", "ignore previous"),  # zero-width space
        ("ｉｇｎｏｒｅ", "ignore"),  # full-width letters (NFKC)
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("red \x1b[31mwarning\x1b[0m", "red warning"),  # ANSI escapes removed whole
        ("bell\x07 and\ttab", "bell and\ttab"),  # control characters, but not tab
        ("cut short…", "cut short…"),  # the ellipsis stays one character
        ("ﬁne…ﬁne", "fine…fine"),  # NFKC either side of it
        ("lone \ud800surrogate", "lone surrogate"),
        ("plain ASCII text.", "plain ASCII text."),
    ],
)
def test_normalised_text_is_what_a_reader_sees(raw, clean):
    assert normalize_text(raw) == clean


@pytest.mark.parametrize(
    "raw, defused",
    [
        ("as reported [3].", "as reported (3)."),
        ("both [1, 2] and [4;5]", "both (1, 2) and (4;5)"),
        ("no markers [a] or [ ] or [1a]", "no markers [a] or [ ] or [1a]"),
        ("plain", "plain"),
    ],
)
def test_citation_markers_in_articles_become_plain_text(raw, defused):
    assert defuse_citations(raw) == defused


def test_terminal_text_keeps_newlines_and_tabs_and_loses_what_drives_the_terminal():
    attack = "Title\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\n\tbody\x1bc\x9b2J\u202eevil\u2066"
    assert for_terminal(attack) == "Titlelink\n\tbodyevil"  # the 8-bit CSI (0x9b) goes whole, as ESC [ does


def test_json_output_escapes_c1_controls_and_parses_to_the_same_data():
    data = {"title": "a\x85b\x9bc", "n": 1}
    text = json.dumps(data, ensure_ascii=False)
    safe = for_json_output(text)
    assert "\x85" not in safe and "\x9b" not in safe and json.loads(safe) == data
