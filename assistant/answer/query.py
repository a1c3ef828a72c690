"""A question, read once: ``Query`` carries what every stage after it needs (the question as asked, the standalone
form of a follow-up, what the generator reads, the plan across articles, what the answer checks hold it to), so no
stage parses the question again or calls back to ask.

Built by ``Assistant.read`` once per question; retrieval, the prompt, generation, verification and the answer checks
all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..errors import AssistantError

if TYPE_CHECKING:
    from .checks import Asked
    from .plan import Plan


def check_question_length(question: str, limit: int) -> None:
    """A question longer than the limit is refused, saying so (it would crowd the passages out of the model's
    context, or overflow it)."""
    if len(question) > limit:
        raise AssistantError(
            f"the question is {len(question):,} characters; the limit is {limit:,} "
            "(max_question_chars): shorten it, or raise ASSISTANT_MAX_QUESTION_CHARS"
        )


@dataclass(frozen=True)
class Query:
    text: str  # as asked
    standalone: str  # a follow-up rewritten to stand on its own (the text itself when it does): retrieved, checked
    for_generation: str  # what the generator reads after the earlier turn ("and how many?" as a question)
    history: tuple[tuple[str, str], ...] = ()
    plan: Plan | None = None  # the sources, dates and kind of answer it names (None when nothing is indexed)

    @classmethod
    def read(
        cls, question: str, history: list[tuple[str, str]] | None = None, sources: list[str] | None = None
    ) -> Query:
        """Read a question once. ``sources`` are the indexed sources the plan matches names against; None when
        nothing is indexed (no plan)."""
        from .followup import asked_for_generation, rewrite
        from .plan import make_plan

        turns = tuple(history or ())
        standalone = rewrite(question, *turns[-1]) if turns else question
        for_generation = asked_for_generation(question, *turns[-1], standalone=standalone) if turns else question
        plan = make_plan(standalone, sources) if sources is not None else None
        return cls(question, standalone, for_generation, turns, plan)

    @cached_property
    def asked(self) -> Asked:
        """What the answer checks hold the answer to (the kind of value, years, names): parsed on first use."""
        from .checks import parse_question

        return parse_question(self.standalone)

    @cached_property
    def recent(self) -> bool:
        """Does it ask for the newest state of things ("latest", "currently", "still")? Retrieval then prefers newer
        passages among the relevant ones (``dated.py``)."""
        from .dated import asks_recent

        return asks_recent(self.standalone)

    @property
    def decides(self) -> bool:
        """Is it decided rather than generated (``decide.py``): any yes/no question, or a choice across named
        sources?"""
        plan = self.plan
        return plan is not None and (plan.kind == "yes/no" or (plan.kind == "choice" and plan.across()))
