"""A question read once (answer/query.py): hand-written questions and turns."""

from __future__ import annotations

import pytest

from assistant.answer.query import Query, check_question_length
from assistant.errors import AssistantError


def test_a_question_that_stands_alone_is_read_as_it_is():
    q = Query.read("When does the Brill ferry leave?")
    assert q.text == q.standalone == q.for_generation == "When does the Brill ferry leave?"
    assert q.plan is None and q.history == () and not q.decides
    assert q.asked.kind == "date"


def test_a_follow_up_is_rewritten_once_and_the_generator_reads_the_fragment_as_a_question():
    q = Query.read("and how many bus passengers?", [("How many ferry passengers crossed in May?", "About 9,000 [1].")])
    assert q.standalone == "How many bus passengers crossed in May?"
    assert q.for_generation == "How many bus passengers?"
    assert q.asked.kind == "count" and q.asked.question == "How many bus passengers crossed in May?"


def test_the_plan_names_indexed_sources_and_every_yes_no_question_is_decided():
    sources = ["Harbour Gazette", "Coast Courier"]
    q = Query.read(
        "Does the Harbour Gazette report a new timetable, while the Coast Courier reports delays?", [], sources
    )
    assert q.plan is not None and q.plan.sources == ["Harbour Gazette", "Coast Courier"] and q.decides
    # a yes/no follow-up and a yes/no question about one article are decided too; an open question is not
    turns = [("What did the Coast Courier report?", "Delays [1].")]
    assert Query.read("Does the Harbour Gazette agree with the Coast Courier?", turns, sources).decides
    assert Query.read("Was the ferry timetable changed in May?", [], sources).decides
    assert not Query.read("Why was the ferry timetable changed?", [], sources).decides
    # a choice is decided only between named sources
    assert not Query.read("Is the new timetable earlier or later?", [], sources).decides


def test_a_question_over_the_limit_is_refused_saying_so():
    check_question_length("x" * 10, 10)
    with pytest.raises(AssistantError, match="11 characters; the limit is 10"):
        check_question_length("x" * 11, 10)
