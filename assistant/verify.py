"""Verify citations: every cited sentence is checked against the passages it cites.

A sentence is supported by its cited passages when (1) every number in it occurs in them, (2) every named entity in
it occurs in them, and (3) it is semantically close to one of their sentences (cosine with the embedder ≥ a floor).
Citations to passages that do not exist are dropped. A sentence that fails, or cites nothing, is re-attributed to a
passage that does support it when exactly that check passes for one (the fact was in [1], the model cited [2]);
otherwise it is reported as unsupported. When no sentence at all is supported, the answer is withheld and becomes a
refusal (``refuse_unsupported``), the withheld sentences still reported. A refusal is a refusal, not an unsupported
answer.

The eval suite reuses ``Verifier.supports`` as its offline (heuristic) judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

CITATION = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
LEADING_CITATION = re.compile(r"(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+")
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
WORD = re.compile(r"[A-Za-z][A-Za-z’'\-.]*[A-Za-z]|[A-Z]")
REFUSAL = re.compile(
    r"^\W*(insufficient information|i (?:do not|don't|cannot|can't) (?:know|answer|find)|"
    r"(?:the )?(?:provided )?(?:passages?|sources?|context|articles?) (?:do(?:es)? not|don't|doesn't) "
    r"(?:contain|mention|provide|say|state|include|specify|give)|there is no (?:information|mention)|"
    r"no information)", re.I)
YES_NO = re.compile(r"\W*(?:yes|no)\W*", re.I)
YES_NO_LEAD = re.compile(r"^\s*(?:yes|no)\s*[,;:.\-–—]\s*", re.I)
QUOTED = re.compile(r"[\"“]([^\"“”]{3,300})[\"”]")
ENTITY_SUFFIXES = ("’s", "'s", "ians", "ian", "ans", "an", "ns", "n", "es", "s")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from llama_index.core.utils import globals_helper

    return frozenset(globals_helper.stopwords)


@lru_cache(maxsize=1)
def sentence_splitter():
    from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer

    return split_by_sentence_tokenizer()


ABBREVIATION = re.compile(r"(?:\b(?:[A-Z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|Gen|Sen|Rep|Gov|Lt|Col|Sgt|St|Jr|Sr|Inc|Corp|"
                          r"Co|No|vs|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\.)$")


def split_sentences(text: str) -> list[str]:
    """Sentences, with a citation that stands after the full stop ('... troops. [1]') kept on its sentence, and
    no break after an abbreviation ('U.S. weapons') or before a lowercase word."""
    out: list[str] = []
    for line in text.splitlines():
        glue = False
        for i, piece in enumerate(sentence_splitter()(line)):
            piece = piece.strip()
            lead = LEADING_CITATION.match(piece)
            if i and out and lead and lead.end() < len(piece):  # '... troops. [1] Then ...': [1] is the previous one's
                out[-1] = f"{out[-1]} {lead.group().strip()}"
                piece = piece[lead.end():]
            if not piece:
                continue
            if out and (glue or CITATION.fullmatch(piece) or piece[0].islower()):
                out[-1] = f"{out[-1]} {piece}"
            else:
                out.append(piece)
            glue = bool(ABBREVIATION.search(out[-1]))
    return out


def cited_numbers(sentence: str) -> list[int]:
    return [int(n) for group in CITATION.findall(sentence) for n in re.split(r"[,;]\s*", group)]


def strip_citations(text: str) -> str:
    return re.sub(r"\s+([.,;:!?])", r"\1", CITATION.sub("", text)).strip()


def is_refusal(answer: str) -> bool:
    text = strip_citations(answer)
    return not text or bool(REFUSAL.match(text))


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in NUMBER.findall(text)}


def number_units(text: str) -> list[tuple[str, set[str]]]:
    """Each number with the stems of the (up to 3) words after it: '190 miles' → ('190', {'mile'})."""
    out = []
    for match in NUMBER.finditer(text):
        after = re.findall(r"[A-Za-z]+", text[match.end():match.end() + 40])[:3]
        out.append((match.group().replace(",", "").rstrip("."), {_stemmer().stemWord(w.lower()) for w in after}))
    return out


def unit_mismatch(claim: str, passages: str, question: str = "") -> str | None:
    """'190 kilometers' against passages that only say '190 miles': the word right after a number must follow
    that number somewhere in the passages (or the question), unless it is a stopword."""
    have: dict[str, set[str]] = {}
    for number, words in number_units(passages) + number_units(question):
        have.setdefault(number, set()).update(words)
    for match in NUMBER.finditer(claim):
        number = match.group().replace(",", "").rstrip(".")
        following = re.match(r"[\s-]*([A-Za-z]+)", claim[match.end():])
        if not following or following.group(1).lower() in stopwords() or number not in have:
            continue
        if _stemmer().stemWord(following.group(1).lower()) not in have[number]:
            return f"{match.group()} {following.group(1)}"
    return None


def entities_in(sentence: str) -> list[str]:
    """Capitalised words and acronyms; the first word only when it is not a common word."""
    found = []
    for i, match in enumerate(WORD.finditer(sentence)):
        word = match.group().strip(".'’-")
        if not word or not word[0].isupper():
            continue
        if i == 0 and word.lower() in stopwords():
            continue
        if len(word) == 1 and word != "U":
            continue
        found.append(word)
    return found


def entity_occurs(entity: str, haystack_lower: str) -> bool:
    word = entity.lower()
    if word in haystack_lower:
        return True
    for suffix in ENTITY_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and word[: -len(suffix)] in haystack_lower:
            return True
    return False


def content_terms(text: str) -> set[str]:
    """Stemmed content words (stopwords dropped), for lexical overlap."""
    stem = _stemmer()
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {stem.stemWord(w) for w in words if w not in stopwords() and len(w) > 1}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@dataclass
class Support:
    supported: bool
    reason: str = ""
    similarity: float = 0.0


@dataclass
class SentenceCheck:
    text: str  # as shown, with its citations
    claim: str  # without citation markers
    cited: list[int]
    supported: bool
    reason: str = ""
    similarity: float = 0.0
    repaired_from: list[int] | None = None


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


class Verifier:
    def __init__(self, embedder, floor: float = 0.45):
        self.embedder = embedder
        self.floor = floor
        self._cache: dict[str, list[float]] = {}

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self.embedder.embed(missing)))
        if len(self._cache) > 20000:
            self._cache = {t: self._cache[t] for t in texts}
        return [self._cache[t] for t in texts]

    def supports(self, claim: str, passages: list[str], question: str = "") -> Support:
        """Do these passages, together, support the claim? (numbers, entities, similarity floor)

        Numbers and names that the question itself states are its premise, not the answer's claim: they need not
        occur in the passages (a snippet about "the 2020 US Open final" rarely repeats every word of the question).
        """
        claim = strip_citations(claim)
        if not passages:
            return Support(False, "cites no passage")
        joined = " ".join(passages)
        lower = joined.lower()
        have_numbers = numbers_in(joined) | numbers_in(question)
        missing_numbers = [n for n in numbers_in(claim) if n not in have_numbers]
        if missing_numbers:
            return Support(False, f"number {missing_numbers[0]} is not in the cited passages")
        for quoted in QUOTED.findall(claim):
            words = re.findall(r"\w+", quoted.lower())
            if len(words) >= 2 and " ".join(words) not in " ".join(re.findall(r"\w+", lower)):
                return Support(False, f"the quotation “{quoted}” is not in the cited passages")
        wrong_unit = unit_mismatch(claim, joined, question)
        if wrong_unit:
            return Support(False, f"'{wrong_unit}' does not occur with that number in the cited passages")
        lower_q = question.lower()
        missing_entities = [e for e in entities_in(claim) if not entity_occurs(e, lower) and
                            not entity_occurs(e, lower_q)]
        if missing_entities:
            return Support(False, f"'{missing_entities[0]}' is not in the cited passages")
        units = [s for p in passages for s in split_sentences(p)] or passages
        vectors = self._vectors([claim] + units)
        similarity = max(sum(a * b for a, b in zip(vectors[0], v)) for v in vectors[1:])
        terms = content_terms(claim)
        coverage = len(terms & content_terms(joined)) / len(terms) if terms else 0.0
        # a short claim ("Donald Trump.") embeds poorly: all of its words occurring in the passages is enough
        if similarity < self.floor and coverage < 0.999:
            return Support(False, f"similarity {similarity:.2f} to the cited passages is below {self.floor}", similarity)
        return Support(True, "", similarity)

    def verify(self, answer: str, passages: dict[int, str], refusal: str = "Insufficient information.",
               repair: bool = True, question: str = "", withhold_unsupported: bool = False) -> Verification:
        """Check an answer against its numbered passages ({n: text})."""
        if is_refusal(answer):
            return Verification(answer=refusal, refused=True)
        dropped: list[int] = []

        def keep_valid(match: re.Match) -> str:
            nums = [int(n) for n in re.split(r"[,;]\s*", match.group(1))]
            valid = [n for n in nums if n in passages]
            dropped.extend(n for n in nums if n not in passages)
            return "".join(f" [{n}]" for n in dict.fromkeys(valid))

        cleaned = CITATION.sub(keep_valid, answer).strip()
        checks = []
        for sentence in split_sentences(cleaned):
            claim = strip_citations(sentence)
            if not re.search(r"[A-Za-z0-9]", claim):
                continue
            if YES_NO.fullmatch(claim):  # a bare "Yes." states no fact to find in a passage: it stands on the rest
                checks.append(SentenceCheck(sentence, claim, cited_numbers(sentence), True, "yes/no"))
                continue
            claim = YES_NO_LEAD.sub("", claim)  # "Yes, both articles ..." is checked as "both articles ..."
            cited = list(dict.fromkeys(cited_numbers(sentence)))
            support = self.supports(claim, [passages[n] for n in cited], question) if cited \
                else Support(False, "no citation")
            check = SentenceCheck(sentence, claim, cited, support.supported, support.reason, support.similarity)
            if not support.supported and repair:
                self._repair(check, passages, question)
            checks.append(check)
        text = " ".join(c.text for c in checks) if checks else cleaned
        if withhold_unsupported and checks and not any(c.supported for c in checks):
            # nothing the model said is in the passages: that is a refusal, with what was withheld reported
            return Verification(answer=refusal, refused=True, sentences=checks, dropped=sorted(set(dropped)),
                                withheld=True)
        return Verification(answer=text, refused=False, sentences=checks, dropped=sorted(set(dropped)))

    def _repair(self, check: SentenceCheck, passages: dict[int, str], question: str = "") -> None:
        """Re-attribute a failing sentence to the passage that best supports it, else to the best pair of passages
        that support it together (a sentence joining two facts), if any does."""
        best: tuple[float, tuple[int, ...]] | None = None
        for n, text in passages.items():
            s = self.supports(check.claim, [text], question)
            if s.supported and (best is None or s.similarity > best[0]) and [n] != check.cited:
                best = (s.similarity, (n,))
        if best is None and len(passages) > 1 and self.supports(check.claim, list(passages.values()),
                                                                 question).supported:
            numbers = sorted(passages)
            for i, a in enumerate(numbers):
                for b in numbers[i + 1:]:
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
        check.supported, check.reason, check.similarity = True, "", best[0]
