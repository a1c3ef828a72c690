"""The text toolkit the stages share: sentences, citation markers, refusals, numbers, names and content words."""

from __future__ import annotations

import pytest

from assistant.text import (
    cited_numbers,
    content_terms,
    entities_in,
    entity_occurs,
    is_refusal,
    number_units,
    numbers_in,
    split_sentences,
    strip_citations,
)


def test_sentences_keep_a_trailing_citation_and_do_not_break_after_abbreviations():
    text = "The U.S. Army fired two missiles. [1] They flew 190 miles [2]. Gen. Smith said so on Oct. 3.\nNew line"
    assert split_sentences(text) == [
        "The U.S. Army fired two missiles. [1]",
        "They flew 190 miles [2].",
        "Gen. Smith said so on Oct. 3.",
        "New line",
    ]


def test_a_lowercase_start_continues_the_sentence():
    assert split_sentences("It costs 3.5 m. euros, the office said.") == ["It costs 3.5 m. euros, the office said."]


@pytest.mark.parametrize(
    "text, numbers",
    [("Troops [1] joined [2, 3]; more [4;5].", [1, 2, 3, 4, 5]), ("No markers (1) or [a].", []), ("[12]", [12])],
)
def test_citation_numbers_are_read_in_order(text, numbers):
    assert cited_numbers(text) == numbers


def test_stripping_citations_leaves_the_words_and_their_punctuation():
    assert (
        strip_citations("They flew 190 miles [2]. Then [1, 3] turned back [4] .")
        == "They flew 190 miles. Then turned back."
    )


@pytest.mark.parametrize(
    "answer, refused",
    [
        ("Insufficient information.", True),
        ("I don't know [1].", True),
        ("The provided passages do not mention the range.", True),
        ("[1]", True),
        ("The passages show a range of 190 miles [1].", False),
        ("No, the bridge stayed closed [2].", False),
    ],
)
def test_a_refusal_is_recognised_by_how_it_opens(answer, refused):
    assert is_refusal(answer) is refused


def test_numbers_are_read_without_separators_and_with_the_words_after_them():
    assert numbers_in("Over 10,000 troops, 3.5 tonnes, and v2. in 2024.") == {"10000", "3.5", "2024"}
    # up to three words (letters only) within 40 characters after it, stemmed
    assert number_units("a range of 190 miles and 12 cables") == [("190", {"mile", "and", "cabl"}), ("12", {"cabl"})]


def test_names_are_capitalised_words_but_not_a_common_first_word():
    assert entities_in("The Kursk region saw North Korean troops, says NATO.") == ["Kursk", "North", "Korean", "NATO"]
    assert entities_in("Kursk is in Russia.") == ["Kursk", "Russia"]


@pytest.mark.parametrize(
    "entity, found",
    [("Ukraine", True), ("Ukrainians", True), ("Russians", False), ("Kursk", False)],
)
def test_a_name_occurs_with_or_without_its_suffix(entity, found):
    assert entity_occurs(entity, "ukraine said the ukrainian forces held.") is found


def test_content_terms_are_stemmed_and_drop_stopwords():
    assert content_terms("The harbours were reopened by the engineers") == {"harbour", "reopen", "engin"}
