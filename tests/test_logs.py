"""The answer log (SQLite): what is kept of each answer, in which order it comes back, and a log that cannot be
opened is one line."""

from __future__ import annotations

import pytest

from assistant.errors import AssistantError
from assistant.interfaces.logs import Log, log_for
from assistant.types import Answer, Citation


def answer(question: str, text: str, refused: bool = False) -> Answer:
    cite = Citation(n=1, doc_id="w-1", title="Ferry", source="Herald", published_at="2024-09-30", url="", text="...")
    return Answer(
        question=question,
        answer=text,
        refused=refused,
        citations=[] if refused else [cite],
        passages=[],
        unsupported=["It sails at dawn [1]."] if refused else [],
        model="extractive",
        timings_ms={},
    )


def test_answers_come_back_oldest_first_with_what_was_asked_and_answered(tmp_path):
    log = Log(tmp_path / "logs.db")
    assert log.recent() == [] and log.last() is None and not log.path.exists()  # reading creates nothing
    first = log.add(answer("When does the ferry leave?", "Hourly [1]."))
    log.add(answer("How many Russian troops?", "Insufficient information.", refused=True), asked="and Russian troops?")
    third = log.add(answer("Who runs it?", "The council [1]."))
    assert third == first + 2
    rows = log.recent(2)
    assert [r["question"] for r in rows] == ["How many Russian troops?", "Who runs it?"]
    assert (rows[0]["asked"], rows[0]["refused"], rows[0]["unsupported"]) == (
        "and Russian troops?",
        True,
        ["It sails at dawn [1]."],
    )
    assert rows[1]["asked"] == "Who runs it?" and rows[1]["citations"][0]["doc_id"] == "w-1"
    assert len(log.recent(0)) == 3 and log.last()["id"] == third
    assert rows[1]["datetime_utc"].endswith("+00:00")


def test_the_log_lives_in_the_data_dir(tmp_path):
    from assistant.settings import load_settings

    assert log_for(load_settings(data_dir=tmp_path / "d")).path == tmp_path / "d" / "logs.db"


def test_a_log_that_cannot_be_opened_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(AssistantError) as err:
        Log(blocker / "logs.db").add(answer("q", "a [1]."))
    assert "cannot open the answer log" in str(err.value) and "--no-log" in str(err.value)
    assert "\n" not in str(err.value)
