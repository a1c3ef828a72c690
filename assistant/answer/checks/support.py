"""The general answer check: read against the evidence it cites, is the answer shown to answer the question?

The rule checks (``rules.py``) see the kind of value and the years; whether "the LEGO Foundation" is LEGO, whether a
sentence about a final names its winner or its loser, whether a date is the one first planned, takes reading. So the
model reads the question, the proposed answer and the few sentences of the cited passages that bear on both, and is
asked two things about the same evidence (``yesno.py``'s calibration by polarity):

    support_right = log P(Yes) - log P(No)  for "Do the passages show that the proposed answer is right?"
    support_wrong = log P(Yes) - log P(No)  for "... is wrong?"

The answer fails when ``support_right - support_wrong`` is below ``THRESHOLD``, chosen on the seen folds of the dev
sets from the answers the pipeline gave there and checked on the held-out folds (evals/README.md). It runs only where
the backend can score (the local model) and the question asks for a kind of value (``Asked.checks_anything``): the
questions whose answers the checks hold to something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..yesno import Decision, evidence, polarity_prompt, support
from .evidence import Given

THRESHOLD = -1.0  # support_right - support_wrong below this: not shown to answer (chosen on the seen folds)


@dataclass(frozen=True)
class Scorer:
    """Scores a proposed answer against its evidence with a backend that can score (``generator.score``)."""

    generator: object
    prompts_dir: Path

    def __call__(self, question: str, answer: str, lines: list[tuple[int, str]]) -> Decision:
        def side(polarity: str) -> float:
            prompt = polarity_prompt(
                self.prompts_dir, question, lines, polarity, template="check_answer.md", answer=answer
            )
            return support(self.generator, prompt)

        right, wrong = side("right"), side("wrong")
        return Decision("Yes" if right - wrong >= THRESHOLD else "No", right, wrong)


def evidence_check(g: Given) -> str | None:
    score: Callable[[str, str, list], Decision] | None = g.scorer
    if score is None or not g.cited:
        return None
    lines = evidence(g.asked.question + " " + g.answer, g.cited, g.seen)
    d = score(g.asked.question, g.answer, lines)
    if d.verdict == "No":
        return (
            f"read against the sentences it cites, the answer is not shown to answer the question "
            f"(support for right {d.support_yes:+.2f}, for wrong {d.support_no:+.2f})"
        )
    return None
