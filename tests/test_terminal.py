"""What the terminal shows: text printed without escape sequences, and after a streamed answer the checked answer and
which citations moved or were dropped."""

from __future__ import annotations

from assistant.interfaces.terminal import checked_ending, citation_changes
from assistant.types import Answer, Passage

TROOPS = "Over 10,000 North Korean troops have reportedly joined Russian forces in Kursk"


def answer(text: str, n_passages: int = 3, refused: bool = False) -> Answer:
    passages = [
        Passage(n=i, chunk_id=f"c{i}", doc_id="d", text=f"passage {i}", score=0.1) for i in range(1, n_passages + 1)
    ]
    return Answer(
        question="q",
        answer=text,
        refused=refused,
        citations=[],
        passages=passages,
        unsupported=[],
        model="test",
        timings_ms={},
    )


def test_a_moved_citation_is_named_with_its_sentence():
    raw = f"{TROOPS} [3]. The ATACMS has a range of 190 miles [2]."
    checked = answer(f"{TROOPS} [1]. The ATACMS has a range of 190 miles [2].")
    lines = citation_changes(raw, checked)
    assert lines == [
        "[3] → [1]: moved to the passage that holds “Over 10,000 North Korean troops have reportedly joined …”"
    ]
    ending = checked_ending(raw, checked)
    assert ending.splitlines()[1] == f"Checked answer: {checked.answer}"
    assert ending.splitlines()[2].startswith("  [3] → [1]: moved")


def test_a_citation_of_a_missing_passage_is_listed_as_dropped():
    raw = f"{TROOPS} [1][9]."
    lines = citation_changes(raw, answer(f"{TROOPS} [1]."))
    assert lines == ["[9] dropped: there is no passage [9]"]


def test_nothing_is_added_when_the_stream_was_the_checked_answer():
    text = f"{TROOPS} [1]."
    assert checked_ending(text + "\n", answer(text)) == ""


def test_a_withheld_answer_ends_with_the_refusal():
    ending = checked_ending(f"{TROOPS} [1].", answer("Insufficient information.", refused=True))
    assert ending.splitlines() == ["", "Checked answer: Insufficient information."]


def test_printed_text_loses_escape_sequences_and_json_keeps_its_data(capsys):
    import json

    from assistant.interfaces.terminal import echo, echo_err, echo_json

    echo("Title\x1b]0;owned\x07 [1]\x1b[2J")
    echo_err("error: \x9b31mred\u202e")
    echo_json(json.dumps({"t": "a\x85b"}, ensure_ascii=False))
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "Title [1]" and err == "error: red\n"
    assert "\x85" not in out and json.loads(out.splitlines()[1]) == {"t": "a\x85b"}
