"""Checking an answer while the model writes it: each sentence is checked (its citations moved or dropped as
``Verifier.verify`` does) as soon as it is complete, and only checked sentences are released, so what a reader is
shown is never changed afterwards.

A sentence is complete once the next one has begun with a whole word: by then a citation written after its full
stop ("... troops. [1]") has been glued to it and a lowercase or abbreviated continuation would have been joined
(``split_sentences``). The verification at the end is made of the same checked sentences, so the shown text is a
prefix of the checked answer, whatever happens later.

Two things are only known at the end, and they decide what may be released before it:
- an answer that starts as a refusal is a refusal: nothing is released, the refusal comes at the end;
- with ``withhold_unsupported``, an answer none of whose sentences is supported becomes a refusal: sentences are
  held until one of them is supported, then released with the ones held before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import LEADING_CITATION, is_refusal, split_sentences
from ..types import SentenceCheck
from .verify import Verification, Verifier, clean_citations, conclude

# the sentence being written has begun: a whole word (followed by a space or punctuation) after any citation
BEGUN = re.compile(r"[A-Za-z0-9][\w'’-]*[\s,;:.!?]")


def begun(sentence: str) -> bool:
    lead = LEADING_CITATION.match(sentence)
    rest = sentence[lead.end() :] if lead else sentence
    return not rest.startswith("[") and bool(BEGUN.search(rest))


@dataclass
class SentenceStream:
    """``feed(text so far)`` returns the checked text to show now; ``finish(whole text)`` the Verification, made of
    the sentences fed (and the rest). Concatenated, what ``feed`` returned and ``rest`` of the final answer are the
    checked answer."""

    verifier: Verifier
    passages: dict[int, str]
    refusal: str = "Insufficient information."
    question: str = ""
    withhold_unsupported: bool = False
    checks: list[SentenceCheck] = field(default_factory=list)
    done: int = 0  # sentences of the text (after cleaning) checked so far
    released: int = 0  # checks shown so far
    refused: bool = False  # the answer began as a refusal
    shown: str = ""  # the text released so far

    def feed(self, text: str) -> str:
        """The text so far; returns the checked text to show now ("" while nothing new is complete)."""
        if self.refused:
            return ""
        cleaned, _ = clean_citations(text, self.passages)
        sentences = split_sentences(cleaned)
        if sentences and not begun(sentences[-1]):
            sentences = sentences[:-1]  # the last may still take a citation or a continuation
        self._check(sentences[:-1])
        return self._release()

    def finish(self, text: str) -> Verification:
        """The whole answer: the sentences not checked yet are, and the verification is made of them all."""
        if self.refused or (not self.checks and is_refusal(text)):
            return Verification(answer=self.refusal, refused=True)
        cleaned, dropped = clean_citations(text, self.passages)
        self._check(split_sentences(cleaned))
        return conclude(self.checks, cleaned, dropped, self.refusal, self.withhold_unsupported)

    def rest(self, answer: str) -> str | None:
        """What of the checked ``answer`` has not been shown yet; None when the shown text is not its start (a step
        after the checks changed a sentence already shown)."""
        return answer[len(self.shown) :] if answer.startswith(self.shown) else None

    def _check(self, sentences: list[str]) -> None:
        for sentence in sentences[self.done :]:
            self.done += 1
            if self.refused:
                return
            if not self.checks and re.search(r"[A-Za-z0-9]", sentence) and is_refusal(sentence):
                self.refused = True  # as verify() has it: an answer that starts as a refusal is one
                return
            check = self.verifier.check_sentence(sentence, self.passages, self.question)
            if check is not None:
                self.checks.append(check)

    def _release(self) -> str:
        if self.refused or self.released == len(self.checks):
            return ""
        if self.withhold_unsupported and not any(c.supported for c in self.checks):
            return ""  # held: if none turns out supported, the answer is withheld
        new = " ".join(c.text for c in self.checks[self.released :])
        self.released = len(self.checks)
        piece = f" {new}" if self.shown else new
        self.shown += piece
        return piece
