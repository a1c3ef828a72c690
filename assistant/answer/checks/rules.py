"""The checks on what kind of value, which year, which date and which one of a series the answer gives."""

from __future__ import annotations

import re
from .asked import DATE, YEAR, number_holds, serial_numbers
from .evidence import KIND_WORDS, Given, gives_kind, names_beyond, own_year, year_holds

INDEFINITE = (
    r"\b(?:a|an)\s+{}(?=\s+(?:has|have|had|is|was|were|are|will|won|wins|took|claimed|became|finished|beat|"
    r"defeated|leads|led)\b|\s*[,.;:!?)]|\s*$)"
)


def only_a_kind(name: str, sentences: list[str]) -> bool:
    """Every cited sentence that holds the name says "a <name>" / "an <name>" ("a Colombian has won")."""
    said = [s for s in sentences if re.search(r"\b" + re.escape(name) + r"\b", s)]
    pattern = INDEFINITE.format(re.escape(name))
    return bool(said) and all(
        len(re.findall(pattern, s, re.I)) == len(re.findall(r"\b" + re.escape(name) + r"\b", s)) for s in said
    )


def kind_check(g: Given) -> str | None:
    if g.asked.kind and not gives_kind(g.answer, g.asked):
        return f"the question asks {KIND_WORDS[g.asked.kind]}"
    if g.asked.kind == "name":
        names = names_beyond(g.answer, g.asked.question)
        if names and all(only_a_kind(n, g.sentences) for n in names):
            return f"the question asks who; the cited passages say only 'a {names[0]}', what kind of one, not who"
    return None


def year_check(g: Given) -> str | None:
    """Each year the question states is said in the cited passages (or is their year of publication); and a date
    given for an event of a stated year ("the 2021 NBA Draft") that falls in another year comes from a sentence
    that says the asked year ("Date: Wednesday, November 18, 2020." is the date of another draft)."""
    for year in g.asked.years:
        if not any(year_holds(year, g.seen.get(p.n, p.text), str(p.metadata.get("published_at", ""))) for p in g.cited):
            return f"the question asks about {year}; the cited passages do not say it of {year}"
    if g.asked.kind in ("date", "year") and g.asked.years and g.evidence:
        given = [y for y in dict.fromkeys(YEAR.findall(g.answer)) if y not in g.asked.years]
        evidence = " ".join(t for _, t in g.evidence)
        if given and not any(own_year(y, evidence) for y in g.asked.years):
            asked = " / ".join(g.asked.years)
            return (
                f"the question asks about {asked}; the answer's date is in {given[0]}, from a sentence that does not "
                f"say {asked}"
            )
    return None


SUPERSEDED = re.compile(
    r"\boriginal (?:release |launch |premiere |air |start )?date\b|"
    r"\b(?:original(?:ly)?|initially|first) (?:scheduled|set|slated|planned|announced|expected|due|targeted)\b|"
    r"\bwas (?:supposed|meant) to\b|\bbefore (?:it|the \w+) was (?:delayed|postponed|pushed back)\b",
    re.I,
)


def superseded_check(g: Given) -> str | None:
    """A date the sentence that answers gives as the one first planned ("Cyberpunk 2077's original release date was
    April 16, 2020"; "initially scheduled for May") is not when it happened."""
    if g.asked.kind not in ("date", "year") or not g.evidence:
        return None
    dated = [t for _, t in g.evidence if DATE.search(t)]
    if dated and all(SUPERSEDED.search(t) for t in dated):
        return "the question asks when; the sentence that answers gives the date first planned, since changed"
    return None


def subject_check(g: Given) -> str | None:
    """The cited passages do not speak of another one of the series the question asks about: asked about "season 4"
    (or "the fourth season"), an answer from a passage on "season 5" or "the tenth and final season" (and not on
    season 4) is about another event. A passage that names no season at all is no evidence against it."""
    text = " ".join(g.seen.get(p.n, p.text) for p in g.cited).lower()
    for word, number in g.asked.numbers:
        named = {m.group(1) for m in re.finditer(re.escape(word) + r"\s*(\d{1,3}|[ivx]{1,4})\b", text)}
        named |= {n for w, n in serial_numbers(text) if w == word}
        if named and not any(number_holds(number, n) for n in named):
            others = ", ".join(f"{word} {n}" for n in sorted(named))
            return f"the question asks about {word} {number}; the cited passages speak of {others}"
    return None
