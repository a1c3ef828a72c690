"""Present: an Answer, the sources, a search and the log as text for a person; an Answer as one JSON object."""

from __future__ import annotations

import json

from assistant.interfaces.present import (
    answer_json,
    answer_text,
    explain_text,
    log_text,
    passages_text,
    quote,
    source_line,
    sources_table,
    sources_text,
)
from assistant.types import Answer, AnswerCheck, Citation, Passage, SentenceCheck

FERRY = "The harbour ferry will run every twenty minutes from October, the transport office said."
NIGHT = "Night crossings end at midnight instead of two in the morning."


def ferry_answer(**changes) -> Answer:
    passage = Passage(
        n=1,
        chunk_id="w-3:0",
        doc_id="w-3",
        text=f"{FERRY} {NIGHT}",
        score=0.5,
        metadata={"title": "Ferry timetable", "source": "Valley Herald", "published_at": "2024-09-30T08:00:00Z"},
    )
    said = "Night crossings end at midnight [1]."
    fields = dict(
        question="When do night crossings end?",
        answer=said,
        refused=False,
        citations=[Citation.from_passage(passage)],
        passages=[passage],
        unsupported=[],
        model="extractive",
        timings_ms={"total": 12.345},
        sentences=[SentenceCheck(said, "Night crossings end at midnight.", [1], True, evidence={1: NIGHT})],
    )
    return Answer(**{**fields, **changes})


def test_a_source_line_says_what_where_and_when():
    assert source_line(2, "Ferry", "Valley Herald", "2024-09-30T08:00Z", "https://e.com/f") == (
        "[2] Ferry — Valley Herald, 2024-09-30\n    https://e.com/f"
    )
    assert source_line(1, "", "", "", "") == "[1] Untitled"


def test_a_quote_is_one_wrapped_paragraph_cut_at_a_word():
    text = quote("word " * 200, width=40, limit=30)
    assert text.startswith("    “word word") and text.endswith("word …”") and len(text.replace("\n", "")) < 60


def test_the_answer_shows_each_citation_with_the_sentence_that_supports_it():
    text = answer_text(ferry_answer())
    assert text.splitlines()[:4] == [
        "Night crossings end at midnight [1].",
        "",
        "Sources:",
        "[1] Ferry timetable — Valley Herald, 2024-09-30",
    ]
    assert f"“… {NIGHT}”" in text and FERRY not in text  # the matched sentence, marked as an excerpt


def test_a_withheld_answer_says_why_and_lists_what_was_withheld():
    withheld = ferry_answer(
        answer="Insufficient information.",
        refused=True,
        citations=[],
        unsupported=["Crossings end at dawn [1]."],
        answer_check=AnswerCheck(check="kind", reason="the answer gives no time"),
    )
    assert sources_text(withheld).splitlines() == [
        "",
        "The model's answer was withheld: it does not answer the question (the answer gives no time):",
        "  - Crossings end at dawn [1].",
    ]
    assert sources_text(ferry_answer(refused=True, citations=[])) == ""


def test_the_json_is_the_answers_to_json():
    assert json.loads(answer_json(ferry_answer())) == ferry_answer().to_json()


def test_explain_shows_each_sentence_check_and_a_moved_citation():
    moved = SentenceCheck("Crossings end at midnight [1].", "x", [1], True, repaired_from=[3])
    unsupported = SentenceCheck("It is free [1].", "x", [1], False, reason="no passage says so", check="similarity")
    text = explain_text(ferry_answer(sentences=[moved, unsupported], dropped=[4]))
    assert text.splitlines() == [
        "",
        "How the answer was checked:",
        "  - Crossings end at midnight [1].",
        "      supported",
        "      citation moved: [3] → [1]",
        "  - It is free [1].",
        "      NOT supported (similarity: no passage says so)",
        "  citations dropped (no such passage): [4]",
    ]


def test_the_sources_table_has_one_line_per_document():
    rows = [
        {"doc_id": "w-3", "chunks": 2, "title": "Ferry", "source": "Herald", "published_at": "2024-09-30T08:00Z"},
        {"doc_id": "w-4", "chunks": 12, "title": "", "source": "", "published_at": ""},
    ]
    assert sources_table(rows).splitlines() == [
        "w-3    2 chunks  Ferry  (Herald, 2024-09-30)",
        "w-4   12 chunks  Untitled",
    ]
    assert sources_table([]) == "No documents indexed."


def test_search_results_show_rank_score_and_text():
    (passage,) = ferry_answer().passages
    lines = passages_text([passage]).splitlines()
    assert lines[0] == "[1] Ferry timetable — Valley Herald, 2024-09-30  (score 0.5000, w-3)"
    assert lines[1].startswith("    “The harbour ferry") and passages_text([]) == "No passages."


def test_the_log_shows_each_question_as_asked_and_as_answered():
    row = {
        "id": 7,
        "datetime_utc": "2024-10-01T09:00:00+00:00",
        "model": "extractive",
        "asked": "and at night?",
        "question": "When do night crossings end?",
        "answer": "At midnight [1].",
        "citations": [
            {"n": 1, "title": "Ferry", "source": "Herald", "published_at": "2024-09-30", "url": "https://e.com/f"}
        ],
    }
    assert log_text([row]).splitlines() == [
        "# 2024-10-01 09:00:00+00:00  #7  extractive",
        "Q: and at night?",
        "   (asked as: When do night crossings end?)",
        "A: At midnight [1].",
        "   [1] Ferry — Herald, 2024-09-30",
        "       https://e.com/f",
    ]
    assert log_text([]) == "No answers logged yet."
