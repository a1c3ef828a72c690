"""A yes/no question decided from the evidence, with the model's bias toward "Yes" taken out.

A small model asked "Does X hold? Reply Yes or No." says "Yes" to nearly anything (the local 1.5B model said "Yes" to
136 of 139 yes/no MultiHop questions). Flipping negated questions and inverting the verdict only borrowed one
benchmark's prior (every negated question in it is false). Instead the model's reply is not sampled but scored: over
the passage sentences that share the most content words with the question, the log-odds of its first token,

    support = log P(Yes) - log P(No)   for "Question: ... Reply with one word: Yes or No."

and its bias toward "Yes" is a constant offset on that log-odds, taken out by a threshold (the simplest contextual
calibration, Zhao et al. 2021): "Yes" above ``YES_THRESHOLD``, "No" below. The threshold was chosen on the seen folds
of the hand-written, balanced yes/no set (half true, half false, negated questions both true and false) and of
MultiHop's yes/no questions, and checked on the held-out folds (figures in evals/README.md). Asking "do the passages
show the answer is yes?" and "... is no?" and comparing the two (tried first) ranked worse on the seen folds and was
biased toward "No" on negated questions. With no sentence of the passages bearing on the question, the passages do
not settle it: refused.

A backend that cannot score (an OpenAI-compatible endpoint) gets the narrow question and its reply is read
(``decide.read_verdict``), with no inversion of any kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..text import content_terms, split_sentences
from ..types import Passage
from .prompt import REDACTED, Prompt, load_template

EVIDENCE_SENTENCES = 4
YES_THRESHOLD = 0.25  # the log-odds of "Yes" above this: "Yes" (chosen on the seen folds, see the module doc)


@dataclass(frozen=True)
class Decision:
    verdict: str  # "Yes", "No", or "" (the passages do not settle it)
    support: float  # the log-odds of the model's "Yes"

    def describe(self) -> str:
        return f"the model's log-odds of Yes {self.support:+.2f} against the threshold {YES_THRESHOLD:+.2f}"


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


def yes_no_prompt(prompts_dir: Path, question: str, lines: list[tuple[int, str]]) -> Prompt:
    """The evidence lines and the question (``prompts/decide_yes_no.md``), after the deciding system prompt."""
    body = "\n".join(f"[{n}] {s}" for n, s in lines) or "(none)"
    user = load_template(prompts_dir, "decide_yes_no.md").format(evidence=body, question=question.strip())
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
    """The verdict the evidence shows (``generator`` must have ``score``); "" when no sentence bears on it."""
    if not lines:
        return Decision("", 0.0)
    s = support(generator, yes_no_prompt(prompts_dir, question, lines))
    return Decision("Yes" if s > YES_THRESHOLD else "No", s)
