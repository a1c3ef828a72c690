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
    generated: bool = False  # the generator was asked (for the usage counts)


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

    def __init__(
        self,
        generate: Callable[[Prompt], str],
        verify: Verify,
        reprompt: Callable[[Query, list], Prompt],
    ):
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

        steps += [
            CheckAnswer(generate, verify, reprompt),
            NoteConflict(),
            CompleteDate(),
        ]
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


def with_preference(prompt: Prompt, style: str, prompts_dir) -> Prompt:
    """The reader's preference for the answer's form (``housekeeping.preference`` of a system message) after the
    question, under the rules (``prompts/preference.md``); the system turn and the passages are unchanged, so the
    prompt's prefix stays the one cached."""
    from dataclasses import replace

    from .prompt import load_template

    note = load_template(prompts_dir, "preference.md").format(preference=style.strip()).strip()
    last = prompt.messages[-1]
    content = last["content"]
    at = content.rfind("\nAnswer:")
    content = f"{content[:at]}\n{note}{content[at:]}" if at >= 0 else f"{content}\n\n{note}"
    return replace(prompt, messages=[*prompt.messages[:-1], {**last, "content": content}])


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
        style: str = "",
    ) -> Iterator[str | Answer]:
        """Yields the checked answer's text as it may be shown, then the Answer: the texts joined are its ``answer``,
        and nothing yielded is changed afterwards. Each sentence is yielded once its citations are checked (moved or
        dropped as ``Verify`` does, ``stream.py``), while the model writes the next. When the question asks for a
        kind of value (``asked.checks_anything``: a date, a count, a name, a year ...), the answer checks may answer
        again or refuse the whole answer, so the text is held until they have run, then yielded at once."""
        say = status or (lambda stage: None)
        t1 = time.perf_counter()
        t0 = started if started is not None else t1
        check_question_length(query.for_generation, self.settings.max_question_chars)
        prompt = prompt_for(self.settings, query, passages)
        if style.strip():
            prompt = with_preference(prompt, style, self.settings.prompts_dir)
        plan = query.plan
        if plan is not None:
            from .decide import annotate

            annotate(plan, passages)
        draft = Draft(query, passages, prompt, "", say)
        verify_at = next((i for i, step in enumerate(self.steps) if isinstance(step, Verify)), None)
        if verify_at is None or query.asked.checks_anything:
            yield from self._held(draft, t0, t1)
            return
        verify = self.steps[verify_at]
        assert isinstance(verify, Verify)
        before, after = self.steps[:verify_at], self.steps[verify_at + 1 :]
        from .stream import SentenceStream

        checking = SentenceStream(verify.verifier, prompt.seen, prompt.refusal, query.standalone, verify.withhold)
        text, checking_s, first = "", 0.0, 0.0
        for piece in self._generate(draft):
            text += piece
            c = time.perf_counter()
            shown = checking.feed(self._raw(before, draft, text))
            checking_s += time.perf_counter() - c
            if shown:
                first = first or time.perf_counter()
                yield shown
        t2 = time.perf_counter()
        if not checking.shown:
            say("checking citations")
        for step in before:
            step(draft)
        draft.verification = checking.finish(draft.raw)
        for step in after:
            step(draft)
        t3 = time.perf_counter()
        timings = {"retrieve": t1 - t0, "generate": t2 - t1 - checking_s, "verify": t3 - t2 + checking_s}
        answer = self._answer(draft, {**timings, "total": t3 - t0, "first_shown": (first or t3) - t0})
        rest = checking.rest(answer.answer)
        if rest is None:  # a step after the checks changed a sentence already shown: say so, never silently
            rest = f"\n\n(Corrected after checking: {answer.answer})"
        if rest:
            yield rest
        yield answer

    def _held(self, d: Draft, t0: float, t1: float) -> Iterator[str | Answer]:
        """Generation, then every step, then the checked text at once and the Answer."""
        for _ in self._generate(d):
            pass
        t2 = time.perf_counter()
        d.say("checking citations")
        for step in self.steps:
            step(d)
        t3 = time.perf_counter()
        seconds = {
            "retrieve": t1 - t0,
            "generate": t2 - t1,
            "verify": t3 - t2,
            "total": t3 - t0,
            "first_shown": t3 - t0,
        }
        answer = self._answer(d, seconds)
        yield answer.answer
        yield answer

    @staticmethod
    def _raw(before: list[Step], d: Draft, text: str) -> str:
        """The text so far as the steps before ``Verify`` leave it (the removal notice dropped)."""
        partial = Draft(d.query, d.passages, d.prompt, text)
        for step in before:
            step(partial)
        return partial.raw

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
        if d.query.decides and plan is not None and (plan.across() or generator.name != "extractive"):
            from .decide import decided

            d.say("deciding")
            d.generated = True
            text, d.method = decided(
                generator, self.settings.prompts_dir, d.prompt, plan, d.passages, d.query.standalone
            )
            if text:
                d.raw = text
                yield d.raw
                return
        d.say("generating")
        d.generated = True
        pieces = []
        for piece in generator.stream(d.prompt):
            pieces.append(piece)
            yield piece
        d.raw = "".join(pieces).strip()

    def _answer(self, d: Draft, seconds: dict[str, float]) -> Answer:
        from .usage import usage

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
            usage=usage(self.backends.generator, d.prompt.messages, d.raw) if d.generated else usage(None, [], ""),
        )
