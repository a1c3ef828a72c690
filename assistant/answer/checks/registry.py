"""The registry of answer checks, run in order on a verified answer; the first failure is the verdict.

Each check has its name, when it applies, what is done when it fails, and hand-written examples that pass and fail:
those examples drive its test (tests/test_checks.py). The rules written from particular dev questions (superseded,
subject, winner, runner-up, named, role) were removed this round and measured: without them RGB noise lost one
question in fold (0.826 → 0.783) and one held out (0.865 → 0.838), and RGB rejection in fold fell 0.478 → 0.20, so
they were put back, each now with hand-written examples. A model-based reading of the answer against its evidence,
tried to replace them, ranked right above wrong answers little better than chance with the local 1.5B model (AUC
0.62 on the seen RGB noise folds) and was not kept (figures in evals/README.md, "Answer checks").
"""

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
# the failed answer cited (they spoke of another year, another body, another event)
RETRY_OTHERS = "from the passages that could answer"
RETRY_WITHOUT_CITED = "from the passages that could answer, without the ones cited"


@dataclass(frozen=True)
class Example:
    """A hand-written case: the question, the one passage the answer cites as [1], the answer, and whether it
    passes the check."""

    question: str
    passage: str
    answer: str
    passes: bool
    published: str = ""


@dataclass(frozen=True)
class Check:
    """One answer check: its name, when it applies (in words), what it does, what is done when it fails, and its
    examples."""

    name: str
    run: Callable[[Given], str | None]  # the reason it failed, or None
    applies: str
    retry: str = RETRY_OTHERS
    examples: tuple[Example, ...] = ()


CHECKS: tuple[Check, ...] = (
    Check(
        "kind",
        kind_check,
        "the question asks for a date, a year, a count, money or a name",
        examples=(
            Example(
                "How many ferries cross the strait each day?",
                "Eleven ferries cross the strait each day, the port authority said.",
                "Eleven ferries cross the strait each day [1].",
                True,
            ),
            Example(
                "How many ferries cross the strait each day?",
                "The strait is 14 miles wide, and ferries cross it from dawn to dusk.",
                "The strait is 14 miles wide [1].",
                False,
            ),
            Example(
                "How much did the new pier cost?",
                "The new pier, 300 meters long, cost the town $12 million.",
                "The new pier cost the town $12 million [1].",
                True,
            ),
            Example(  # a change of any measure: no amount of money is asked for
                "By how much did the port raise its capacity?",
                "The port raised its capacity by 20 percent this year.",
                "The port raised its capacity by 20 percent [1].",
                True,
            ),
            Example(
                "How much did the new pier cost?",
                "The new pier is 300 meters long and opened in the spring.",
                "The new pier is 300 meters long [1].",
                False,
            ),
            Example(
                "When did the Elm Street library reopen?",
                "The Elm Street library reopened on March 3 to crowds of readers.",
                "The Elm Street library reopened on March 3 [1].",
                True,
            ),
            Example(
                "When did the Elm Street library reopen?",
                "The Elm Street library reopened to crowds of readers.",
                "The library reopened to crowds of readers [1].",
                False,
            ),
            Example(
                "Who designed the Larkspur footbridge?",
                "The engineer Lucia Ferrante designed the Larkspur footbridge.",
                "Lucia Ferrante designed the Larkspur footbridge [1].",
                True,
            ),
            Example(
                "Who designed the Larkspur footbridge?",
                "The Larkspur footbridge was designed with two slender towers.",
                "The Larkspur footbridge was designed with two slender towers [1].",
                False,
            ),
        ),
    ),
    Check(
        "year",
        year_check,
        "the question states a year of its own (not 'since 2019')",
        RETRY_WITHOUT_CITED,
        examples=(
            Example(
                "Who won the Harbor Regatta in 2019?",
                "Team Selkie won the 2019 Harbor Regatta by four minutes.",
                "Team Selkie won the Harbor Regatta [1].",
                True,
            ),
            Example(
                "Who won the Harbor Regatta in 2019?",
                "Team Selkie won the Harbor Regatta in 2021 by four minutes.",
                "Team Selkie won the Harbor Regatta [1].",
                False,
            ),
            Example(  # the year the passage was published is its year
                "Who won the Harbor Regatta in 2019?",
                "Team Selkie won the Harbor Regatta on Sunday by four minutes.",
                "Team Selkie won the Harbor Regatta [1].",
                True,
                "2019-06-02",
            ),
        ),
    ),
    Check(
        "superseded",
        superseded_check,
        "the question asks when (a date or a year)",
        RETRY_WITHOUT_CITED,
        examples=(
            Example(
                "When did the Cobalt Line open?",
                "The Cobalt Line opened on June 9, 2021, after a long delay.",
                "The Cobalt Line opened on June 9, 2021 [1].",
                True,
            ),
            Example(
                "When did the Cobalt Line open?",
                "The Cobalt Line was originally scheduled to open on May 4, 2021.",
                "The Cobalt Line opened on May 4, 2021 [1].",
                False,
            ),
        ),
    ),
    Check(
        "subject",
        subject_check,
        "the question names one of a series (season 4)",
        RETRY_WITHOUT_CITED,
        examples=(
            Example(
                "When does season 4 of Harbor Lights premiere?",
                "Season 4 of Harbor Lights premieres on March 3, 2022.",
                "It premieres on March 3, 2022 [1].",
                True,
            ),
            Example(
                "When does season 4 of Harbor Lights premiere?",
                "Season 5 of Harbor Lights premieres on March 3, 2023.",
                "It premieres on March 3, 2023 [1].",
                False,
            ),
        ),
    ),
    Check(
        "winner",
        winner_check,
        "the question asks who won",
        examples=(
            Example(
                "Who won the 2019 Harbor Regatta?",
                "Team Selkie won the 2019 Harbor Regatta, beating Team Osprey by four minutes.",
                "Team Selkie won the 2019 Harbor Regatta [1].",
                True,
            ),
            Example(
                "Who won the 2019 Harbor Regatta?",
                "Team Osprey lost to Team Selkie in the 2019 Harbor Regatta.",
                "Team Osprey [1].",
                False,
            ),
        ),
    ),
    Check(
        "runner-up",
        runner_up_check,
        "the question asks who lost or came second",
        examples=(
            Example(
                "Who was the runner-up in the 2019 Harbor Regatta?",
                "Team Osprey finished second in the 2019 Harbor Regatta, behind Team Selkie.",
                "Team Osprey [1].",
                True,
            ),
            Example(
                "Who was the runner-up in the 2019 Harbor Regatta?",
                "Team Selkie beat Team Osprey to win the 2019 Harbor Regatta.",
                "Team Selkie [1].",
                False,
            ),
        ),
    ),
    Check(
        "named",
        named_check,
        "the question gives a name and asks for a value",
        RETRY_WITHOUT_CITED,
        examples=(
            Example(
                "Who is the chief executive of Northfield?",
                "Greta Lind is the chief executive of Northfield.",
                "Greta Lind [1].",
                True,
            ),
            Example(
                "Who is the chief executive of Northfield?",
                "Greta Lind is the chief executive of the Northfield Foundation.",
                "Greta Lind [1].",
                False,
            ),
        ),
    ),
    # the same failing: the sentence speaks of another body
    Check("named", role_check, "the question asks who holds a role in a named body", RETRY_WITHOUT_CITED),
)

OTHER_ONE = frozenset(c.name for c in CHECKS if c.retry == RETRY_WITHOUT_CITED)


def check_answer(
    asked: Asked,
    sentences: list[SentenceCheck],
    passages: list[Passage],
    seen: dict[int, str],
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
