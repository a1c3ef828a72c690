"""What the terminal shows: text printed without escape sequences, and after a streamed answer (the checked answer)
which citations the check moved or dropped."""

from __future__ import annotations

from assistant.interfaces.terminal import checked_ending, citation_changes
from assistant.types import Answer, Passage, SentenceCheck

TROOPS = "Over 10,000 North Korean troops have reportedly joined Russian forces in Kursk"


def answer(text: str, n_passages: int = 3, refused: bool = False, sentences=(), dropped=()) -> Answer:
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
        sentences=list(sentences),
        dropped=list(dropped),
    )


def test_a_moved_citation_is_named_with_its_sentence():
    moved = SentenceCheck(f"{TROOPS} [1].", f"{TROOPS}.", [1], True, repaired_from=[3])
    kept = SentenceCheck("The ATACMS has a range of 190 miles [2].", "The ATACMS has a range of 190 miles.", [2], True)
    checked = answer(f"{moved.text} {kept.text}", sentences=[moved, kept])
    assert citation_changes(checked) == [
        "[3] → [1]: moved to the passage that holds “Over 10,000 North Korean troops have reportedly joined …”"
    ]
    # the stream was the checked answer: after it, only what the check changed, never the answer again
    ending = checked_ending(checked)
    assert ending.splitlines() == ["Citations the check changed:", f"  {citation_changes(checked)[0]}"]
    assert checked.answer not in ending


def test_a_citation_of_a_missing_passage_is_listed_as_dropped():
    kept = SentenceCheck(f"{TROOPS} [1].", f"{TROOPS}.", [1], True)
    assert citation_changes(answer(kept.text, sentences=[kept], dropped=[9])) == [
        "[9] dropped: there is no passage [9]"
    ]


def test_nothing_is_added_when_the_check_changed_nothing():
    kept = SentenceCheck(f"{TROOPS} [1].", f"{TROOPS}.", [1], True)
    assert checked_ending(answer(kept.text, sentences=[kept])) == ""
    assert checked_ending(answer("Insufficient information.", refused=True, dropped=[9])) == ""


def test_printed_text_loses_escape_sequences_and_json_keeps_its_data(capsys):
    import json

    from assistant.interfaces.terminal import echo, echo_err, echo_json

    echo("Title\x1b]0;owned\x07 [1]\x1b[2J")
    echo_err("error: \x9b31mred\u202e")
    echo_json(json.dumps({"t": "a\x85b"}, ensure_ascii=False))
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "Title [1]" and err == "error: red\n"
    assert "\x85" not in out and json.loads(out.splitlines()[1]) == {"t": "a\x85b"}
