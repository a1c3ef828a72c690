"""The registry of answer checks, run in order on a verified answer; the first failure is the verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...text import YES_NO
from ...types import AnswerCheck, Passage, SentenceCheck
from .asked import Asked
from .evidence import Given, gives_kind, year_holds
from .names import WIN_WORD, named_check, role_check, runner_up_check, winner_check
from .rules import kind_check, subject_check, superseded_check, year_check

# what is done when a check fails: answer again from the passages that could answer, or also without the passages
# the failed answer cited (they spoke of another body, one of a series, another year or date)
RETRY_OTHERS = "from the passages that could answer"
RETRY_WITHOUT_CITED = "from the passages that could answer, without the ones cited"


@dataclass(frozen=True)
class Check:
    """One answer check: its name, when it applies (in words), what it does, and what is done when it fails."""

    name: str
    run: Callable[[Given], str | None]  # the reason it failed, or None
    applies: str
    retry: str = RETRY_OTHERS


CHECKS: tuple[Check, ...] = (
    Check("kind", kind_check, "the question asks for a date, a year, a count, money or a name"),
    Check("year", year_check, "the question states a year of its own", RETRY_WITHOUT_CITED),
    Check("superseded", superseded_check, "the question asks when (a date or a year)", RETRY_WITHOUT_CITED),
    Check("subject", subject_check, "the question names one of a series (season 4)", RETRY_WITHOUT_CITED),
    Check("winner", winner_check, "the question asks who won"),
    Check("runner-up", runner_up_check, "the question asks who lost or came second"),
    Check("named", named_check, "the question gives a name and asks for a value", RETRY_WITHOUT_CITED),
    # the same failing: the sentence speaks of another body
    Check("named", role_check, "the question asks who holds a role in a named body", RETRY_WITHOUT_CITED),
)

OTHER_ONE = frozenset(c.name for c in CHECKS if c.retry == RETRY_WITHOUT_CITED)


def check_answer(
    asked: Asked, sentences: list[SentenceCheck], passages: list[Passage], seen: dict[int, str]
) -> AnswerCheck:
    """Run the checks on the answer's supported sentences; the first failure is the verdict."""
    supported = [s for s in sentences if s.supported and not YES_NO.fullmatch(s.claim) and s.check != "conflict"]
    if not asked.checks_anything or not supported:
        return AnswerCheck()
    by_n = {p.n: p for p in passages}
    cited = [by_n[n] for n in dict.fromkeys(n for s in supported for n in s.cited) if n in by_n]
    evidence = list(dict.fromkeys((n, t) for s in supported for n, t in s.evidence.items()))
    given = Given(asked, " ".join(s.claim for s in supported), cited, seen, evidence)
    for check in CHECKS:
        reason = check.run(given)
        if reason:
            return AnswerCheck(check.name, reason)
    return AnswerCheck()


def could_answer(asked: Asked, passages: list[Passage], seen: dict[int, str]) -> list[Passage]:
    """The passages that hold a value of the asked kind and the question's years: where a second answer may come
    from."""
    out = []
    for p in passages:
        text = seen.get(p.n, p.text)
        published = str(p.metadata.get("published_at", ""))
        if asked.kind and not gives_kind(text, asked):
            continue
        if not all(year_holds(y, text, published) for y in asked.years):
            continue
        if asked.winner and not WIN_WORD.search(text):
            continue
        out.append(p)
    return out


# ---- passages that disagree with the answer
