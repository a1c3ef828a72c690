"""Verify citations: every cited sentence is checked against the passages it cites.

A sentence is supported by its cited passages when each named check passes (each returns the reason it failed, or
None): ``numbers`` (every number in it occurs in them), ``quote`` (a quotation occurs verbatim), ``unit`` (the word
after a number follows that number there: '190 kilometers' fails against '190 miles'), ``entity`` (every capitalised
name occurs), and ``similarity`` (cosine to one of their sentences with the embedder ≥ a floor, unless all of its
content words occur). Names and numbers the question itself states are its premise and exempt.

Citations to passages that do not exist are dropped. A sentence that fails, or cites nothing, is re-attributed to a
passage that does support it when exactly that check passes for one (the fact was in [1], the model cited [2]);
otherwise it is reported as unsupported. When no sentence at all is supported, the answer is withheld and becomes a
refusal (``refuse_unsupported``), the withheld sentences still reported. A refusal is a refusal, not an unsupported
answer. Each checked sentence carries its evidence (the best-matching sentence of each cited passage) on the Answer.

The eval suite reuses ``Verifier.supports`` as its offline (heuristic) judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Callable

from ..text import (
    CITATION,
    NUMBER,
    QUOTED,
    YES_NO,
    YES_NO_LEAD,
    cited_numbers,
    content_terms,
    entities_in,
    entity_occurs,
    is_refusal,
    number_units,
    numbers_in,
    split_sentences,
    stemmer,
    stopwords,
    strip_citations,
)
from ..types import SentenceCheck


@dataclass
class Cited:
    """The text a claim is checked against: its cited passages, joined once, and the question (its premise)."""

    passages: list[str]
    question: str = ""
    joined: str = field(init=False)
    lower: str = field(init=False)

    def __post_init__(self) -> None:
        self.joined = " ".join(self.passages)
        self.lower = self.joined.lower()


def numbers_check(claim: str, cited: Cited) -> str | None:
    have = numbers_in(cited.joined) | numbers_in(cited.question)
    missing = [n for n in numbers_in(claim) if n not in have]
    return f"number {missing[0]} is not in the cited passages" if missing else None


def quote_check(claim: str, cited: Cited) -> str | None:
    words_of_passages = " ".join(re.findall(r"\w+", cited.lower))
    for quoted in QUOTED.findall(claim):
        words = re.findall(r"\w+", quoted.lower())
        if len(words) >= 2 and " ".join(words) not in words_of_passages:
            return f"the quotation “{quoted}” is not in the cited passages"
    return None


def unit_check(claim: str, cited: Cited) -> str | None:
    """The word right after a number must follow that number somewhere in the passages (or the question), unless
    it is a stopword."""
    have: dict[str, set[str]] = {}
    for number, words in number_units(cited.joined) + number_units(cited.question):
        have.setdefault(number, set()).update(words)
    for match in NUMBER.finditer(claim):
        number = match.group().replace(",", "").rstrip(".")
        following = re.match(r"[\s-]*([A-Za-z]+)", claim[match.end() :])
        if not following or following.group(1).lower() in stopwords() or number not in have:
            continue
        if stemmer().stemWord(following.group(1).lower()) not in have[number]:
            return f"'{match.group()} {following.group(1)}' does not occur with that number in the cited passages"
    return None


def entity_check(claim: str, cited: Cited) -> str | None:
    lower_q = cited.question.lower()
    missing = [e for e in entities_in(claim) if not entity_occurs(e, cited.lower) and not entity_occurs(e, lower_q)]
    return f"'{missing[0]}' is not in the cited passages" if missing else None


# The lexical checks, in the order they run; similarity (which needs the embedder) runs last, in Verifier.
CHECKS: tuple[tuple[str, Callable[[str, Cited], str | None]], ...] = (
    ("numbers", numbers_check),
    ("quote", quote_check),
    ("unit", unit_check),
    ("entity", entity_check),
)


@dataclass
class Support:
    supported: bool
    reason: str = ""
    similarity: float = 0.0
    check: str = ""  # the failed check's name


@dataclass
class Verification:
    answer: str
    refused: bool
    sentences: list[SentenceCheck] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # citation numbers removed: no such passage
    withheld: bool = False  # refused because no sentence of the model's answer was supported

    @property
    def cited(self) -> list[int]:
        if self.refused:
            return []
        seen: list[int] = []
        for s in self.sentences:
            seen.extend(n for n in s.cited if n not in seen)
        return seen

    @property
    def unsupported(self) -> list[str]:
        return [s.text for s in self.sentences if not s.supported]


def best_sentence(claim: str, passage: str) -> str:
    """The passage sentence sharing the most content words with the claim (what a reader wants to check)."""
    terms = content_terms(claim)
    sentences = split_sentences(passage)
    if not sentences or not terms:
        return passage
    return max(sentences, key=lambda s: len(terms & content_terms(s)))


def clean_citations(answer: str, passages: dict[int, str]) -> tuple[str, list[int]]:
    """The answer with each citation of a passage that does not exist removed (and repeats in one bracket merged),
    and the numbers removed."""
    dropped: list[int] = []

    def keep_valid(match: re.Match) -> str:
        nums = [int(n) for n in re.split(r"[,;]\s*", match.group(1))]
        valid = [n for n in nums if n in passages]
        dropped.extend(n for n in nums if n not in passages)
        return "".join(f" [{n}]" for n in dict.fromkeys(valid))

    return CITATION.sub(keep_valid, answer).strip(), dropped


def conclude(
    checks: list[SentenceCheck], cleaned: str, dropped: list[int], refusal: str, withhold_unsupported: bool
) -> Verification:
    """The verification of an answer from its checked sentences: their texts joined, or a refusal (withheld, the
    sentences still reported) when none is supported and ``withhold_unsupported``."""
    text = " ".join(c.text for c in checks) if checks else cleaned
    if withhold_unsupported and checks and not any(c.supported for c in checks):
        # nothing the model said is in the passages: that is a refusal, with what was withheld reported
        return Verification(answer=refusal, refused=True, sentences=checks, dropped=sorted(set(dropped)), withheld=True)
    return Verification(answer=text, refused=False, sentences=checks, dropped=sorted(set(dropped)))


class Verifier:
    """Checks answers against their passages. ``embedder`` embeds claims and passage sentences; give it a cached one
    (``Backends.sentence_embedder``: vectors kept by text, in the process and on disk), as sentences recur."""

    def __init__(self, embedder, floor: float = 0.45):
        self.embedder = embedder
        self.floor = floor

    def similarity_check(self, claim: str, cited: Cited) -> tuple[str | None, float]:
        """A short claim ("Donald Trump.") embeds poorly: all of its content words occurring is enough."""
        units = [s for p in cited.passages for s in split_sentences(p)] or cited.passages
        vectors = self.embedder.embed([claim] + units)
        similarity = max(sum(a * b for a, b in zip(vectors[0], v)) for v in vectors[1:])
        terms = content_terms(claim)
        coverage = len(terms & content_terms(cited.joined)) / len(terms) if terms else 0.0
        if similarity < self.floor and coverage < 0.999:
            return f"similarity {similarity:.2f} to the cited passages is below {self.floor}", similarity
        return None, similarity

    def supports(self, claim: str, passages: list[str], question: str = "") -> Support:
        """Do these passages, together, support the claim? The first failing check gives the reason."""
        claim = strip_citations(claim)
        if not passages:
            return Support(False, "cites no passage", check="citation")
        cited = Cited(passages, question)
        for name, check in CHECKS:
            reason = check(claim, cited)
            if reason:
                return Support(False, reason, check=name)
        reason, similarity = self.similarity_check(claim, cited)
        if reason:
            return Support(False, reason, similarity, check="similarity")
        return Support(True, "", similarity)

    def verify(
        self,
        answer: str,
        passages: dict[int, str],
        refusal: str = "Insufficient information.",
        repair: bool = True,
        question: str = "",
        withhold_unsupported: bool = False,
    ) -> Verification:
        """Check an answer against its numbered passages ({n: text})."""
        if is_refusal(answer):
            return Verification(answer=refusal, refused=True)
        cleaned, dropped = clean_citations(answer, passages)
        checks = [c for s in split_sentences(cleaned) if (c := self.check_sentence(s, passages, question, repair))]
        return conclude(checks, cleaned, dropped, refusal, withhold_unsupported)

    def check_sentence(
        self, sentence: str, passages: dict[int, str], question: str = "", repair: bool = True
    ) -> SentenceCheck | None:
        """One sentence (its citations already cleaned) checked against the passages it cites, its citation moved
        to the passage that holds it when ``repair`` finds one; None for a sentence with nothing to check."""
        claim = strip_citations(sentence)
        if not re.search(r"[A-Za-z0-9]", claim):
            return None
        if YES_NO.fullmatch(claim):  # a bare "Yes." states no fact to find in a passage: it stands on the rest
            return SentenceCheck(sentence, claim, cited_numbers(sentence), True, "yes/no")
        claim = YES_NO_LEAD.sub("", claim)  # "Yes, both articles ..." is checked as "both articles ..."
        cited = list(dict.fromkeys(cited_numbers(sentence)))
        support = (
            self.supports(claim, [passages[n] for n in cited], question)
            if cited
            else Support(False, "no citation", check="citation")
        )
        check = SentenceCheck(
            sentence, claim, cited, support.supported, support.reason, support.check, support.similarity
        )
        if not support.supported and repair:
            self._repair(check, passages, question)
        check.evidence = {n: best_sentence(check.claim, passages[n]) for n in check.cited}
        return check

    def _repair(self, check: SentenceCheck, passages: dict[int, str], question: str = "") -> None:
        """Re-attribute a failing sentence to the passage that best supports it, else to the best pair of passages
        that support it together (a sentence joining two facts), if any does."""
        best: tuple[float, tuple[int, ...]] | None = None
        for n, text in passages.items():
            s = self.supports(check.claim, [text], question)
            if s.supported and (best is None or s.similarity > best[0]) and [n] != check.cited:
                best = (s.similarity, (n,))
        if (
            best is None
            and len(passages) > 1
            and self.supports(check.claim, list(passages.values()), question).supported
        ):
            numbers = sorted(passages)
            for i, a in enumerate(numbers):
                for b in numbers[i + 1 :]:
                    s = self.supports(check.claim, [passages[a], passages[b]], question)
                    if s.supported and (best is None or s.similarity > best[0]) and [a, b] != sorted(check.cited):
                        best = (s.similarity, (a, b))
        if best is None:
            return
        body = CITATION.sub("", check.text).rstrip()
        tail = ""
        if body and body[-1] in ".!?":
            body, tail = body[:-1].rstrip(), body[-1]
        check.repaired_from = check.cited
        check.cited = list(best[1])
        check.text = body + "".join(f" [{n}]" for n in best[1]) + tail
        check.supported, check.reason, check.check, check.similarity = True, "", "", best[0]
