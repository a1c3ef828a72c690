"""What an answer, and the passages it cites, give: a value of the asked kind, names the question does not give, a year
as their own claim; ``Given``, what every check reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from ...text import entities_in, entity_occurs, split_sentences, stemmer
from ...types import Passage
from .asked import DATE, MEASURES, MONEY, NOT_NAMES, NOT_OWN_YEAR, QUANTITY, YEAR, Asked


def has_count(text: str, thing: frozenset[str]) -> bool:
    """A number that counts things: not one followed by a measure (miles, percent, dollars) other than the things
    asked for, nor a money amount, nor a year."""
    for m in QUANTITY.finditer(text):
        before = text[max(0, m.start() - 2) : m.start()]
        if re.search(r"[$€£¥₹]\s?$", before) or YEAR.fullmatch(m.group()):
            continue
        after = [stemmer().stemWord(w.lower()) for w in re.findall(r"[A-Za-z%]+", text[m.end() : m.end() + 30])[:2]]
        after = ["percent" if w == "%" else w for w in after]
        if after and text[m.end() : m.end() + 1] == "%":
            after = ["percent"]
        measure = next((w for w in after if w in MEASURES), None)
        if measure is not None and measure not in thing:
            continue
        return True
    return False


def names_beyond(text: str, question: str) -> list[str]:
    """Capitalised names in the text that the question does not already give (months and weekdays are no names)."""
    lower_q = question.lower()
    return [e for e in entities_in(text) if not entity_occurs(e, lower_q) and not NOT_NAMES.match(e)]


def lead_name(text: str, question: str) -> list[str]:
    """The words of the first name in the text the question does not give: "Emmanuel Macron won ..." →
    ["Emmanuel", "Macron"]."""
    names = names_beyond(text, question)
    if not names:
        return []
    start = text.find(names[0]) + len(names[0])
    more = re.match(r"(?:\s+[A-Z][\w’'.-]*)*", text[start:])
    return [names[0]] + [w.strip(".'’-") for w in (more.group().split() if more else [])]


def gives_kind(text: str, asked: Asked) -> bool:
    if asked.kind == "date":
        return bool(DATE.search(text))
    if asked.kind == "year":
        return bool(YEAR.search(text))
    if asked.kind == "money":
        return bool(MONEY.search(text))
    if asked.kind == "count":
        return has_count(text, asked.thing)
    if asked.kind == "name":
        return bool(names_beyond(text, asked.question))
    return True


KIND_WORDS = {
    "date": "when: the answer gives no date",
    "year": "which year: the answer gives no year",
    "money": "how much money: the answer gives no amount of money",
    "count": "how many: the answer gives no count of them (a number of another kind is no answer)",
    "name": "who: the answer names no one the question does not already name",
}


def own_year(year: str, text: str) -> bool:
    """The year occurs in the text as its own claim, not only as "since 2018", "until 2018"."""
    for m in re.finditer(r"(?<![\w.])" + year + r"(?![\w%])", text):
        if not NOT_OWN_YEAR.search(text[: m.start()][-30:]):
            return True
    return False


def year_holds(year: str, passage_text: str, published_at: str) -> bool:
    return own_year(year, passage_text) or published_at[:4] == year


@dataclass
class Given:
    """What a check reads: the question asked, the answer's supported sentences, and the passages they cite."""

    asked: Asked
    answer: str  # the supported sentences, citations stripped
    cited: list[Passage]
    seen: dict[int, str]  # passage n → its text as the model saw it
    evidence: list[tuple[int, str]] = field(default_factory=list)  # (passage n, its sentence that supports a claim)

    @cached_property
    def sentences(self) -> list[str]:
        """The cited passages' sentences, as the model saw them (split once, for every check that reads them)."""
        return [s for p in self.cited for s in split_sentences(self.seen.get(p.n, p.text))]


# "a Colombian has won": a capitalised word after "a"/"an", then a verb or the end of a clause, says what kind of
# person, not who ("an Apple spokesperson said" is left alone: a noun follows)


def plain(text: str) -> str:
    """Lower case, abbreviation dots out ("U.S." → "us"), dashes as spaces."""
    return re.sub(r"[-–—]", " ", re.sub(r"(?<=\b\w)\.(?=\w\b|\s|$)", "", text)).lower()
