"""Only checked text is streamed (assistant/answer/stream.py, Answerer.stream): each sentence is released once its
citations are checked, while the model writes the next; what is released is the checked answer, never changed later."""

from __future__ import annotations

import re

from assistant.answer.answerer import Answerer
from assistant.answer.query import Query
from assistant.types import Answer, Passage

FERRY = "The Brill harbour ferry carries 240 passengers on each crossing."
MUSEUM = "The Brill maritime museum keeps the logbooks of the old paddle steamer Osprey."
# what the model writes: the ferry fact cited to [2] (it is in [1]), the museum fact cited to [7] (there is none)
WRONG = "The Brill ferry carries 240 passengers on each crossing [2]. The museum keeps the logbooks of the Osprey [7]."
CHECKED = (
    "The Brill ferry carries 240 passengers on each crossing [1]. The museum keeps the logbooks of the Osprey [2]."
)
QUESTION = "What do the articles say about the Brill ferry and the museum?"


def passages(*texts: str) -> list[Passage]:
    return [Passage(n, f"c{n}", f"d{n}", t, 1.0, {"title": f"t{n}"}) for n, t in enumerate(texts, 1)]


def tokens(text: str) -> list[str]:
    """The text in model-sized pieces: words with their leading space, punctuation and brackets apart."""
    return re.findall(r"\s*(?:\w+|[^\w\s])", text)


class Writer:
    """A model that writes its reply a token at a time and counts what it has written."""

    name = "writer"

    def __init__(self, reply: str):
        self.reply, self.written = reply, 0

    def stream(self, prompt):
        for piece in tokens(self.reply):
            self.written += 1
            yield piece


def run(make_assistant, reply: str, question: str = QUESTION, texts=(FERRY, MUSEUM)):
    """(each yielded text with how many tokens the model had written when it came, the Answer, the model)."""
    model = Writer(reply)
    a = make_assistant(generator=model)
    seen, answer = [], None
    for item in Answerer(a.backends, a.settings).stream(Query.read(question), passages(*texts)):
        if isinstance(item, Answer):
            answer = item
        else:
            seen.append((item, model.written))
    assert answer is not None
    return seen, answer, model


def test_each_sentence_comes_checked_while_the_model_writes_the_next(make_assistant):
    seen, answer, model = run(make_assistant, WRONG)
    assert answer.answer == CHECKED and "".join(text for text, _ in seen) == CHECKED
    first, when = seen[0]
    assert first == "The Brill ferry carries 240 passengers on each crossing [1]."  # moved before it was shown
    assert when < len(tokens(WRONG))  # shown while the model was still writing the second sentence
    assert answer.sentences[0].repaired_from == [2] and answer.dropped == [7]
    assert answer.timings_ms["first_shown"] <= answer.timings_ms["total"]


def test_a_citation_after_the_full_stop_stays_with_its_sentence(make_assistant):
    reply = "The Brill ferry carries 240 passengers on each crossing. [1] The museum keeps the Osprey logbooks. [2]"
    seen, answer, _ = run(make_assistant, reply)
    assert seen[0][0] == "The Brill ferry carries 240 passengers on each crossing. [1]"
    assert "".join(text for text, _ in seen) == answer.answer and answer.unsupported == []


def test_an_unsupported_sentence_is_held_until_a_supported_one_comes(make_assistant):
    reply = "The ferry was painted green in Leeds [1]. The Brill ferry carries 240 passengers on each crossing [1]."
    seen, answer, _ = run(make_assistant, reply)
    assert len(seen) == 1 and seen[0][0] == answer.answer  # both at once, once the second was supported
    assert answer.unsupported == ["The ferry was painted green in Leeds [1]."] and not answer.refused


def test_an_answer_nothing_supports_is_streamed_as_the_refusal_only(make_assistant):
    reply = "The ferry was painted green in Leeds [1]. Its captain is Mara Quist [2]."
    seen, answer, _ = run(make_assistant, reply)
    assert [text for text, _ in seen] == ["Insufficient information."]
    assert answer.refused and answer.withheld and len(answer.unsupported) == 2


def test_a_refusal_is_streamed_as_the_refusal(make_assistant):
    seen, answer, _ = run(make_assistant, "Insufficient information. The passages do not say.")
    assert [text for text, _ in seen] == ["Insufficient information."] and answer.refused


def test_a_question_for_a_kind_of_value_is_held_until_the_answer_checks_ran(make_assistant):
    """ "How many" asks for a count: the checks may answer again or refuse, so the text comes once, at the end."""
    reply = "The Brill ferry carries 240 passengers on each crossing [2]. It sails from the old quay [1]."
    seen, answer, model = run(make_assistant, reply, "How many passengers does the Brill ferry carry?")
    assert len(seen) == 1 and seen[0] == (answer.answer, model.written)
    assert answer.answer.startswith("The Brill ferry carries 240 passengers on each crossing [1].")


PASSAGES = {
    1: "The Brill harbour ferry carries 240 passengers on each crossing. It was built in Rostock in 1998.",
    2: "Dr. Ilse Marr, the museum's director, said the U.S. loan of two paintings ends in May.",
    3: "The Osprey paddle steamer sank off Brill in 1911; its logbooks are kept at the museum.",
}
ANSWERS = [
    "The ferry carries 240 passengers [2]. It was built in Rostock in 1998 [1].",
    "Dr. Ilse Marr said the U.S. loan ends in May [2]. The Osprey sank in 1911. [3] "
    "Its logbooks are at the museum [9].",
    "The ferry was built in Rostock [1, 3]. the Osprey sank off Brill [3].\nDr. Marr directs the museum [2].",
    "Yes. The ferry carries 240 passengers [1]. It is painted red [1].",
    "The Osprey sank in 1911 [1]. It was built in 1998 [3].",
]


def test_checking_as_it_comes_gives_what_checking_the_whole_text_gives(make_assistant):
    """Fed a token at a time, the sentence stream makes the verification ``Verifier.verify`` makes of the whole text,
    and what it released is the start of that answer."""
    from assistant.answer.stream import SentenceStream

    verifier = make_assistant().verifier
    for reply in ANSWERS:
        whole = verifier.verify(reply, PASSAGES, withhold_unsupported=True)
        checking = SentenceStream(verifier, PASSAGES, withhold_unsupported=True)
        text, shown = "", ""
        for piece in tokens(reply):
            text += piece
            shown += checking.feed(text)
        streamed = checking.finish(text)
        assert (streamed.answer, streamed.refused, streamed.dropped) == (whole.answer, whole.refused, whole.dropped)
        assert [(s.text, s.cited, s.supported) for s in streamed.sentences] == [
            (s.text, s.cited, s.supported) for s in whole.sentences
        ]
        assert whole.answer.startswith(shown) and checking.rest(whole.answer) is not None
