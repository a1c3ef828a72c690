"""Dates in text: month names, the dates a question or answer states, an article's dateline and a snippet's date
stamp, a day as YYYYMMDD, and "source, date" as citations show it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from assistant.errors import AssistantError
from assistant.text.dates import (
    DATE,
    MONTH_NAME,
    MONTH_WORD,
    MONTHS,
    date_key,
    dateline_date,
    day_int,
    parse_date,
    source_and_day,
    split_date_stamp,
)


def test_every_spelling_of_a_month_has_its_number():
    assert [MONTHS[m] for m in ("january", "jan", "sept", "sep", "september", "may", "dec")] == [1, 1, 9, 9, 9, 5, 12]
    assert len({MONTHS[m] for m in MONTHS}) == 12


@pytest.mark.parametrize("word", ["Jan", "January", "Sept.", "Sep", "June", "Jun.", "May"])
def test_a_capitalised_month_is_a_month_name(word):
    assert re.fullmatch(MONTH_NAME, word)


@pytest.mark.parametrize("word", ["january", "Janu", "Mayday", "Octo"])
def test_other_words_are_no_month_name(word):
    assert not re.fullmatch(MONTH_NAME, word)


def test_the_lower_case_month_word_is_for_case_insensitive_patterns():
    assert re.fullmatch(MONTH_WORD, "SEPTEMBER", re.I) and re.fullmatch(MONTH_WORD, "sept")
    assert not re.fullmatch(MONTH_WORD, "sept.") and not re.fullmatch(MONTH_WORD, "Sept")


@pytest.mark.parametrize(
    "text, default_year, first, last",
    [
        ("published on October 2, 2023", None, date(2023, 10, 2), date(2023, 10, 2)),
        ("on 2 October 2023", None, date(2023, 10, 2), date(2023, 10, 2)),
        ("on the 2nd of Oct. 2023", None, date(2023, 10, 2), date(2023, 10, 2)),
        ("in February 2024", None, date(2024, 2, 1), date(2024, 2, 29)),
        ("in December 2023", None, date(2023, 12, 1), date(2023, 12, 31)),
        ("dated 2023-11-05T10:00:00Z", None, date(2023, 11, 5), date(2023, 11, 5)),
        ("on October 2", 2021, date(2021, 10, 2), date(2021, 10, 2)),  # the year the question gives elsewhere
    ],
)
def test_a_stated_date_is_read_as_the_days_it_names(text, default_year, first, last):
    m = DATE.search(text)
    assert m is not None and parse_date(m, default_year) == (first, last)


@pytest.mark.parametrize("text", ["on October 2", "on February 30, 2023", "on Sept 31, 2023"])
def test_a_day_without_a_year_or_that_does_not_exist_is_no_date(text):
    m = DATE.search(text)
    assert m is not None and parse_date(m, None) is None


def test_words_that_are_no_date_are_not_matched():
    assert DATE.search("The 2023 season had 17 games in May.") is None  # a month without a day or year


@pytest.mark.parametrize(
    "text, iso",
    [
        ("WASHINGTON, Nov. 18, 2024 (Reuters) - President Joe Biden ...", "2024-11-18"),
        ("KYIV, 18 November 2024 — Ukraine said ...", "2024-11-18"),
        ("2024-03-02: The harbour bridge reopened.", "2024-03-02"),
        ("LONDON, September 3rd, 2023 - Shares rose.", "2023-09-03"),
        ("The bridge reopened.\nMarch 2, 2024 was a Saturday.", ""),  # not on the first line: not a dateline
        ("Talks resume on Feb 30, 2024 in Geneva.", ""),  # no such day
    ],
)
def test_dateline(text, iso):
    assert dateline_date(text) == iso


def test_a_dateline_is_read_from_where_the_text_after_the_title_starts():
    text = "Harbour news\n  PORTSMOUTH, 4 March 2024 — The ferry ..."
    assert dateline_date(text) == "" and dateline_date(text, start=len("Harbour news")) == "2024-03-04"
    assert dateline_date("x" * 200 + " March 4, 2024") == ""  # past the window: about something else


@pytest.mark.parametrize(
    "text, iso, rest",
    [
        ("Feb 7, 2021 ... The game was played indoors.", "2021-02-07", "The game was played indoors."),
        ("2021-02-07 · The game was played indoors.", "2021-02-07", "The game was played indoors."),
        ("7 February 2021 | Scores", "2021-02-07", "Scores"),
        ("Feb 7, 2021, the game was played ... indoors.", "", "Feb 7, 2021, the game was played ... indoors."),
        ("Last week ... the game was played.", "", "Last week ... the game was played."),
    ],
)
def test_a_snippets_date_stamp_is_split_from_its_text(text, iso, rest):
    assert split_date_stamp(text) == (iso, rest)


@pytest.mark.parametrize(
    "value, key",
    [
        ("2024-11-18", 20241118),
        ("2024-11-18T23:30:00-05:00", 20241118),  # the day as written, not converted to UTC
        ("2024-06-15T08:30:00Z", 20240615),
        ("2024-06-15 is when", 20240615),
        ("yesterday", None),
        ("", None),
    ],
)
def test_a_stored_date_becomes_a_day_number_or_none(value, key):
    assert date_key(value) == key


def test_a_date_the_user_gives_is_a_day_number_or_a_one_line_error():
    assert day_int(" 2024-11-01 ", "--since") == 20241101
    with pytest.raises(AssistantError, match=r"^--until '1 Nov' is not a date; use YYYY-MM-DD$"):
        day_int("1 Nov", "--until")


@pytest.mark.parametrize(
    "source, published_at, shown",
    [
        ("Reuters", "2024-11-18T09:30:00Z", "Reuters, 2024-11-18"),
        ("Reuters", "", "Reuters"),
        ("", "2024-11-18", "2024-11-18"),
        ("", "", ""),
    ],
)
def test_source_and_day_is_how_a_citation_says_where_and_when(source, published_at, shown):
    assert source_and_day(source, published_at) == shown
