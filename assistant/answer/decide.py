"""Answer a question across articles whose structure is explicit (see ``plan.py``): yes/no ("Does The Verge
suggest ..., while TechCrunch ...?") or a choice between stated options ("consistent or inconsistent?", "which of
the two sources ...?").

A small model asked such a question with the usual prompt rarely says "Yes" or "No": it restates one passage. So
the decision is a narrow question — the same passages, the question, "Reply with one word: Yes or No." — read from
the first words the model gives (generation stops there), and the answer is composed in code: the verdict first,
then the evidence each named source brought (its passage sentence that best matches the part of the question about
that source), cited:

    Yes. The Verge reports: ... [1]. TechCrunch reports: ... [3].

The composed answer goes through the citation verifier like any other. A model that names no option gets the usual
prompt instead.

A yes/no question (about one article or several) is decided by ``yesno.py`` when the backend can score: the
model's log-odds of "Yes" over its evidence sentences, past a threshold that takes out its bias toward "Yes"; no
question is flipped and no verdict inverted. A choice between a word and its negation ("consistent or
inconsistent?") is the yes/no question about the word (``Plan.decision``). A backend that cannot score gets the
narrow question and its reply is read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .plan import Plan, SubQuery
from .prompt import REDACTED, Prompt, format_passage, load_template
from ..text import content_terms, split_sentences
from ..types import Passage

MAX_DECISION_CHARS = 60  # the verdict is in the first words; the rest is not generated


def annotate(plan: Plan, passages: list[Passage]) -> None:
    """Record on each sub-query the prompt passages it brought (from the ``via`` that ``Budget.merge`` set)."""
    for i, sq in enumerate(plan.subqueries):
        sq.brought = [p.n for p in passages if i in p.metadata.get("via", [])]


def options_of(plan: Plan) -> list[str]:
    """What the model is asked to reply with."""
    return plan.options if plan.kind == "choice" and plan.options and not plan.decision.question else ["Yes", "No"]


def decision_prompt(prompts_dir: Path, prompt: Prompt, plan: Plan, passages: list[Passage]) -> Prompt:
    """The narrow question: the answer prompt's system rules (so a local model reuses their KV cache), the same
    passages as the model saw them, the question, and the options to reply with."""
    body = "\n\n".join(format_passage(prompts_dir, p, text=prompt.seen.get(p.n)) for p in passages)
    options = options_of(plan)
    question = plan.decision.question or prompt.question  # a negated question is asked in its positive form
    user = load_template(prompts_dir, "decide_user.md").format(
        passages=body, question=question.strip(), options=" or ".join(options)
    )
    return replace(prompt, messages=[prompt.messages[0], {"role": "user", "content": user.strip()}])


def read_verdict(text: str, options: list[str]) -> str:
    """The option the reply names first ("Yes [1]." → "Yes"; "The Verge." → "The Verge"), or ""."""
    best: tuple[int, str] | None = None
    for option in options:
        forms = {option, re.sub(r"^The\s+", "", option), re.split(r"\s+[-|–:]\s+", option)[0]}
        for form in forms:
            m = re.search(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text, re.I)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), option)
    return best[1] if best else ""


def decide(generator, prompts_dir: Path, prompt: Prompt, plan: Plan, passages: list[Passage]) -> tuple[str, str]:
    """Ask the model the narrow question; (the option it chose or "", what it said). A question the plan asks in
    another form (``Plan.decision``) gets the option its Yes or No stands for."""
    options = options_of(plan)
    said = ""
    for piece in generator.stream(decision_prompt(prompts_dir, prompt, plan, passages)):
        said += piece
        if read_verdict(said, options) and re.search(r"\W", said[-1:] or "x") or len(said) > MAX_DECISION_CHARS:
            break
    verdict = read_verdict(said[:MAX_DECISION_CHARS], options)
    if plan.decision.question and verdict:
        verdict = plan.decision.yes if verdict == "Yes" else plan.decision.no
    return verdict, said.strip()


def can_score(generator) -> bool:
    return callable(getattr(generator, "score", None))


def decided(
    generator, prompts_dir: Path, prompt: Prompt, plan: Plan, passages: list[Passage], question: str
) -> tuple[str, str]:
    """(the answer, how it was made) for a question the plan says is decided; ("", why not) when the model named
    no option (then it is answered as usual)."""
    yes_no = plan.kind == "yes/no" or bool(plan.decision.question)
    if yes_no and can_score(generator):
        from .yesno import best_first, decide_yes_no, evidence

        asked = plan.decision.question or question
        lines = evidence(asked, passages, prompt.seen, k=max(4, 2 * len(plan.subqueries)))
        d = decide_yes_no(generator, prompts_dir, asked, lines)
        if not d.verdict:
            return prompt.refusal, f"refused: the passages do not settle it ({d.describe()})"
        verdict = d.verdict
        if plan.decision.question:
            verdict = plan.decision.yes if verdict == "Yes" else plan.decision.no
        text, _ = compose(verdict, "", plan, passages, prompt.seen, best_first(asked, lines))
        asked_as = f" asked as {asked!r}," if plan.decision.question else ""
        return text, f"decided from the evidence,{asked_as} {d.describe()} → {verdict}"
    verdict, said = decide(generator, prompts_dir, prompt, plan, passages)
    if not verdict:
        return "", f"the model gave no {' / '.join(options_of(plan))} ({said!r}): answered as usual"
    return compose(verdict, said, plan, passages, prompt.seen)


def best_sentence(sq: SubQuery, candidates: list[Passage], seen: dict[int, str], used: set[str]) -> tuple[int, str]:
    """The sentence of these passages sharing the most content words with the part of the question about this
    source: (passage number, sentence), or (0, "")."""
    terms = content_terms(sq.query)
    best: tuple[int, int, str] = (-1, 0, "")
    for p in candidates:
        for sentence in split_sentences(seen.get(p.n, p.text)):
            sentence = sentence.strip()
            if len(sentence.split()) < 4 or REDACTED in sentence or sentence in used:
                continue
            overlap = len(terms & content_terms(sentence))
            if overlap > best[0]:
                best = (overlap, p.n, sentence)
    return best[1], best[2]


def compose(
    verdict: str,
    said: str,
    plan: Plan,
    passages: list[Passage],
    seen: dict[int, str],
    lines: list[tuple[int, str]] | None = None,
) -> tuple[str, str]:
    """The answer: the verdict, then each named source's evidence (or, when it names none, the evidence ``lines``
    the verdict was decided from), cited; and how it was made (for --explain)."""
    chosen_source = plan.kind == "choice" and verdict not in ("Yes", "No") and verdict in plan.sources
    groups = [sq for sq in plan.subqueries if not chosen_source or sq.source == verdict]
    parts: list[str] = []
    used: set[str] = set()
    for i, sq in enumerate(plan.subqueries):
        if sq not in groups:
            continue
        mine = [p for p in passages if i in p.metadata.get("via", [])] or [
            p for p in passages if p.metadata.get("source") in sq.sources
        ]
        n, sentence = best_sentence(sq, mine, seen, used)
        if not n:
            continue
        used.add(sentence)
        parts.append(f"{sq.source} reports: {sentence.rstrip(' .')} [{n}].")
    if not plan.subqueries and lines:
        parts = [f"{sentence.rstrip(' .')} [{n}]." for n, sentence in lines[:2]]
    parts = list(dict.fromkeys(parts))
    if verdict in ("Yes", "No"):
        text = " ".join([f"{verdict}."] + parts)
    elif chosen_source:
        text = " ".join(parts) if parts else f"{verdict}."
    else:
        text = " ".join([f"{verdict}: {parts[0]}"] + parts[1:]) if parts else f"{verdict}."
    cited = ", ".join(re.findall(r"\[\d+\]", " ".join(parts))) or "none"
    asked = f"asked as {plan.decision.question!r}; " if plan.decision.question else ""
    method = (
        f"decided by a narrow question to the model ({asked}reply with one word: {' or '.join(options_of(plan))}; "
        f"it said {said[:40]!r} → {verdict}); the evidence is each named source's best-matching passage sentence "
        f"({cited})"
    )
    return text, method
