"""The answerer: prompt → generate (or decide, or refuse) → a list of steps run in order → the Answer.

What happens after generation is a list of small steps (as a llama-index query engine takes a list of node
postprocessors), each reading and writing one ``Draft``: a step is added, removed or tested alone.

    DropNotice   the prompt's removal notice, if the model copied it, is no part of an answer
    Verify       every cited sentence checked against the passages as the model saw them (verify.py)
    CheckAnswer  does the verified answer answer the question (checks/); when not, answer again or refuse
    NoteConflict another passage gives another figure for it: say so (checks/conflicts.py)
    CompleteDate a "when" answer as precise as its evidence (checks/precision.py)
    DateEvidence when the evidence was published, per source: "As of 18 November 2023, per Reuters [2]." (dated.py)

``default_steps`` builds the list from the settings; ``Answerer(backends, settings, steps)`` runs it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..types import Answer, AnswerCheck, Citation, Passage
from .prompt import REDACTED, Prompt, build_prompt
from .dated import DateEvidence
from .query import Query, check_question_length

if TYPE_CHECKING:
    from ..settings import Settings
    from .verify import Verification


@dataclass
class Draft:
    """An answer on its way: what generation made, and what each step after it found."""

    query: Query
    passages: list[Passage]
    prompt: Prompt
    raw: str  # the generated (or decided, or refusal) text
    say: Callable[[str], None] = lambda stage: None
    verification: Verification | None = None
    check: AnswerCheck = field(default_factory=AnswerCheck)  # does it answer the question
    method: str = ""  # how the answer was made when not simply generated


class Step(Protocol):
    name: str

    def __call__(self, draft: Draft, /) -> None: ...


class DropNotice:
    """The model may copy the prompt's removal notice (and cite it): that is no part of an answer."""

    name = "drop notice"

    def __call__(self, d: Draft) -> None:
        d.raw = re.sub(re.escape(REDACTED) + r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*", "", d.raw).strip()


class Verify:
    """Checked against the passages as the model saw them: a sentence addressed to the model supports nothing."""

    name = "verify"

    def __init__(self, verifier, withhold_unsupported: bool):
        self.verifier, self.withhold = verifier, withhold_unsupported

    def check(self, raw: str, prompt: Prompt, question: str) -> Verification:
        return self.verifier.verify(
            raw, prompt.seen, prompt.refusal, question=question, withhold_unsupported=self.withhold
        )

    def __call__(self, d: Draft) -> None:
        d.verification = self.check(d.raw, d.prompt, d.query.standalone)


class CheckAnswer:
    """The checks of ``checks/`` on a verified answer. When one fails: answer again from the passages that could
    satisfy it (the right answer is often in another passage), else refuse, keeping the failed answer."""

    name = "answer checks"

    def __init__(self, generate: Callable[[Prompt], str], verify: Verify, reprompt: Callable[[Query, list], Prompt]):
        self.generate, self.verify, self.reprompt = generate, verify, reprompt

    def __call__(self, d: Draft) -> None:
        from .checks import OTHER_ONE, check_answer, could_answer
        from .verify import Verification

        v = d.verification
        if v is None or not d.passages or v.refused:
            return
        asked = d.query.asked
        verdict = check_answer(asked, v.sentences, d.passages, d.prompt.seen)
        d.check = verdict
        if not verdict.check:
            return
        verdict.first_answer = v.answer
        candidates = could_answer(asked, d.passages, d.prompt.seen)
        if verdict.check in OTHER_ONE:
            cited = {n for s in v.sentences if s.supported for n in s.cited}
            candidates = [p for p in candidates if p.n not in cited]
        if candidates and len(candidates) < len(d.passages):
            d.say("answering again")
            verdict.retried_with = [p.n for p in candidates]
            again = self.reprompt(d.query, candidates)
            second = self.verify.check(self.generate(again).strip(), again, d.query.standalone)
            if second.refused or not check_answer(asked, second.sentences, candidates, again.seen).check:
                d.verification = second
                return
        d.verification = Verification(
            answer=d.prompt.refusal, refused=True, sentences=v.sentences, dropped=v.dropped, withheld=True
        )


class NoteConflict:
    """An answer that passed the checks, when another passage gives another figure for it: say so; when that passage
    is newer, give its figure and note the older one with its date."""

    name = "note conflicts"

    def __call__(self, d: Draft) -> None:
        from .checks import note_conflicts

        v = d.verification
        if v is None or v.refused or not d.passages or d.check.check:
            return
        dates = {p.n: p.metadata.get("published_at", "") for p in d.passages}
        note_conflicts(v, d.query.standalone, d.prompt.seen, dates)


class CompleteDate:
    """A "when" answer's dates completed from its evidence ("premieres November 15" → "November 15, 2020")."""

    name = "complete dates"

    def __call__(self, d: Draft) -> None:
        from .checks import precise_dates

        if d.verification is not None and d.passages:
            d.verification = precise_dates(d.query.asked, d.verification)


def default_steps(settings: Settings, backends) -> list[Step]:
    """The steps after generation, in order, as the settings ask for them."""
    verify = Verify(backends.verifier, settings.refuse_unsupported)
    steps: list[Step] = [DropNotice(), verify]
    if settings.check_answers:

        def generate(prompt: Prompt) -> str:
            return "".join(backends.generator.stream(prompt))

        def reprompt(query: Query, passages: list[Passage]) -> Prompt:
            return prompt_for(settings, query, passages)

        steps += [CheckAnswer(generate, verify, reprompt), NoteConflict(), CompleteDate()]
    steps += [DateEvidence()] if settings.date_answers else []
    return steps


def prompt_for(settings: Settings, query: Query, passages: list[Passage]) -> Prompt:
    return build_prompt(
        settings.prompts_dir,
        query.for_generation,
        passages,
        list(query.history),
        max_title_chars=settings.max_title_chars,
        max_passage_chars=settings.max_passage_chars,
    )


class Answerer:
    """Answers a Query from its passages: the prompt, then generation (or a decision, or a refusal without
    generating), then ``steps`` in order. ``backends`` gives the generator (built on first use) and the verifier."""

    def __init__(self, backends, settings: Settings, steps: list[Step] | None = None):
        self.backends, self.settings = backends, settings
        self.steps = steps if steps is not None else default_steps(settings, backends)

    def stream(
        self,
        query: Query,
        passages: list[Passage],
        started: float | None = None,
        status: Callable[[str], None] | None = None,
    ) -> Iterator[str | Answer]:
        """Yields the answer's text as it is generated, then the checked Answer."""
        say = status or (lambda stage: None)
        t1 = time.perf_counter()
        t0 = started if started is not None else t1
        check_question_length(query.for_generation, self.settings.max_question_chars)
        prompt = prompt_for(self.settings, query, passages)
        plan = query.plan
        if plan is not None:
            from .decide import annotate

            annotate(plan, passages)
        draft = Draft(query, passages, prompt, "", say)
        yield from self._generate(draft)
        t2 = time.perf_counter()
        say("checking citations")
        for step in self.steps:
            step(draft)
        t3 = time.perf_counter()
        yield self._answer(draft, {"retrieve": t1 - t0, "generate": t2 - t1, "verify": t3 - t2, "total": t3 - t0})

    def _generate(self, d: Draft) -> Iterator[str]:
        """Sets ``d.raw`` (and ``d.method``), yielding the text as it comes."""
        plan = d.query.plan
        if not d.passages:
            d.raw = d.prompt.refusal
            yield d.raw
            return
        if plan is not None and plan.unknown:  # what a source reported cannot be in passages from other sources
            names = ", ".join(plan.unknown)
            d.method = f"refused: the question asks what {names} reported, and no indexed article is from {names}"
            d.raw = d.prompt.refusal
            yield d.raw
            return
        if not self.backends.generator_built:
            d.say("loading the language model")
            load = getattr(self.backends.generator, "llm", None)  # the local backend loads its weights lazily
            if callable(load):
                load()
        generator = self.backends.generator
        if d.query.decides and plan is not None:
            from .decide import compose, decide

            d.say("deciding")
            verdict, said = decide(generator, self.settings.prompts_dir, d.prompt, plan, d.passages)
            if verdict:
                d.raw, d.method = compose(verdict, said, plan, d.passages, d.prompt.seen)
                yield d.raw
                return
            d.method = f"the model gave no {' / '.join(plan.options or ['Yes', 'No'])} ({said!r}): answered as usual"
        d.say("generating")
        pieces = []
        for piece in generator.stream(d.prompt):
            pieces.append(piece)
            yield piece
        d.raw = "".join(pieces).strip()

    def _answer(self, d: Draft, seconds: dict[str, float]) -> Answer:
        v = d.verification
        assert v is not None, "the steps must include Verify"
        by_n = {p.n: p for p in d.passages}
        unsupported = v.unsupported
        if d.check.check and v.refused and d.check.first_answer:
            unsupported = unsupported or [d.check.first_answer]
        plan = d.query.plan
        return Answer(
            question=d.query.standalone,
            answer=v.answer,
            refused=v.refused,
            citations=[Citation.from_passage(by_n[n]) for n in sorted(v.cited)],
            passages=d.passages,
            unsupported=unsupported,
            model=self.backends.generator.name if d.passages else "none",
            timings_ms={k: s * 1000 for k, s in seconds.items()},
            sentences=v.sentences,
            dropped=v.dropped,
            withheld=v.withheld,
            answer_check=d.check,
            plan=plan if plan is not None and (plan.across() or plan.unknown) else None,
            method=d.method,
        )
