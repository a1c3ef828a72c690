"""The rule checks: the kind of value the answer gives, and the years the question states."""

from __future__ import annotations

from .asked import YEAR
from .evidence import KIND_WORDS, Given, gives_kind, own_year, year_holds


def kind_check(g: Given) -> str | None:
    if g.asked.kind and not gives_kind(g.answer, g.asked):
        return f"the question asks {KIND_WORDS[g.asked.kind]}"
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
