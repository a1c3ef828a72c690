"""A yes/no question decided from the evidence, with the model's bias toward "Yes" cancelled out.

A small model asked "Does X hold? Reply Yes or No." says "Yes" to nearly anything (the local 1.5B model said "Yes" to
136 of 139 yes/no MultiHop questions). Flipping negated questions and inverting the verdict only borrows one
benchmark's prior (every negated question in it is false). Instead the model is asked two questions about the same
evidence, and its first-token log-probabilities read (``score``, no sampling):

    support_yes = log P(Yes) - log P(No)  for "Do the passages show that the answer to this question is yes?"
    support_no  = log P(Yes) - log P(No)  for "Do the passages show that the answer to this question is no?"

The bias toward "Yes" is in both, so their difference ``support_yes - support_no`` measures which answer the
evidence shows (comparing the support for each polarity; cf. contextual calibration, Zhao et al. 2021). The verdict
is "Yes" above ``YES_THRESHOLD`` and "No" below; the threshold was chosen on the seen folds of the hand-written
yes/no set and of MultiHop's yes/no questions, and checked on the held-out folds (figures in evals/README.md). When
both polarities are denied (neither is shown) by more than ``UNSETTLED``, the passages do not settle it: refused.

The evidence is the few passage sentences that share the most content words with the question, labelled with their
passage numbers, so the model reads the relevant lines, not 2,000 characters of each passage.

A backend that cannot score (the extractive one, an OpenAI-compatible endpoint) gets the narrow question and its
reply is read (``decide.read_verdict``), with no inversion of any kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..text import content_terms, split_sentences
from ..types import Passage
from .prompt import REDACTED, Prompt, load_template

EVIDENCE_SENTENCES = 4
YES_THRESHOLD = 0.7  # support_yes - support_no above this: "Yes" (chosen on the seen folds, see the module doc)
UNSETTLED = -3.0  # both polarities denied below this: the passages do not settle it


@dataclass(frozen=True)
class Decision:
    verdict: str  # "Yes", "No", or "" (the passages do not settle it)
    support_yes: float
    support_no: float

    @property
    def score(self) -> float:
        return self.support_yes - self.support_no

    def describe(self) -> str:
        return (
            f"support for yes {self.support_yes:+.2f}, for no {self.support_no:+.2f} "
            f"(log-odds of the model's Yes; the difference {self.score:+.2f} against {YES_THRESHOLD:+.2f})"
        )


def evidence(question: str, passages: list[Passage], seen: dict[int, str], k: int = EVIDENCE_SENTENCES):
    """The ``k`` passage sentences sharing the most content words with the question, as (passage number, sentence),
    in passage order."""
    terms = content_terms(question)
    scored = []
    for rank, p in enumerate(passages):
        for i, sentence in enumerate(split_sentences(seen.get(p.n, p.text))):
            sentence = " ".join(sentence.split())
            if len(sentence.split()) < 4 or REDACTED in sentence:
                continue
            overlap = len(terms & content_terms(sentence))
            if overlap:
                scored.append((-overlap, rank, i, p.n, sentence))
    best = sorted(dict.fromkeys(scored))[:k]
    return [(n, s) for _, _, _, n, s in sorted(best, key=lambda t: (t[1], t[2]))]


def best_first(question: str, lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The evidence lines, the one sharing the most content words with the question first (stable)."""
    terms = content_terms(question)
    return sorted(lines, key=lambda line: -len(terms & content_terms(line[1])))


def polarity_prompt(
    prompts_dir: Path,
    question: str,
    lines: list[tuple[int, str]],
    polarity: str,
    template: str = "decide_yes_no.md",
    **fields: str,
) -> Prompt:
    """The evidence, the question and "do the passages show that ... is {polarity}?" (``template``, with any
    other ``fields`` it names), after the deciding system prompt."""
    body = "\n".join(f"[{n}] {s}" for n, s in lines) or "(none)"
    user = load_template(prompts_dir, template).format(
        evidence=body, question=question.strip(), polarity=polarity, **fields
    )
    system = load_template(prompts_dir, "decide_system.md").strip()
    return Prompt(  # no question to cut at: nothing is prepared (stored) for a prefix no later prompt shares
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user.strip()}],
        question="",
        passages=[],
        refusal="",
    )


def support(generator, prompt: Prompt) -> float:
    lp = generator.score(prompt, ["Yes", "No"])
    return lp["Yes"] - lp["No"]


def decide_yes_no(generator, prompts_dir: Path, question: str, lines: list[tuple[int, str]]) -> Decision:
    """The verdict the evidence shows (``generator`` must have ``score``)."""
    yes = support(generator, polarity_prompt(prompts_dir, question, lines, "yes"))
    no = support(generator, polarity_prompt(prompts_dir, question, lines, "no"))
    if not lines or (yes < UNSETTLED and no < UNSETTLED):
        return Decision("", yes, no)
    return Decision("Yes" if yes - no > YES_THRESHOLD else "No", yes, no)
