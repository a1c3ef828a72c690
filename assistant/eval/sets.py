"""Eval question files: one JSON object a line, ``{id, question, answers: [...], ...}`` (see evals/README.md).

Unanswerable (the right output is a refusal): empty ``answers``, ``unanswerable: true``, or the answer
"Insufficient information.". Optional: ``evidence: [{fact}]`` for retrieval scoring, ``question_type`` / ``type``,
and RGB's per-question ``positive`` / ``negative`` / ``counterfactual`` passages with ``fake_answer``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

REFUSAL_ANSWERS = {"insufficient information", "insufficient information."}


@dataclass
class EvalQuestion:
    id: str
    question: str
    answers: list[str]
    unanswerable: bool
    type: str = ""
    evidence: list[str] = field(default_factory=list)  # gold facts
    positive: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)
    counterfactual: list[str] = field(default_factory=list)
    fake_answers: list[str] = field(default_factory=list)
    # rejection mode: the answers of the question whose answer-bearing passages were left out (a "negative" that
    # states one anyway makes an answer, not a refusal, the right output)
    withheld: list[str] = field(default_factory=list)
    graded: bool = True  # False: an answers file gave no gold answer, so neither answerable nor not is known

    def gold(self) -> dict:
        return {
            "answers": self.answers,
            "unanswerable": self.unanswerable if self.graded else None,
            "type": self.type,
            "evidence": self.evidence,
            "fake_answers": self.fake_answers,
            "withheld": self.withheld,
        }


def flatten(value) -> list[str]:
    """RGB nests alternative spellings in lists: ['Tampa'] or [['May 15 2012', 'May 15, 2012']]."""
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [str(value)]
    out: list[str] = []
    for item in value:
        out.extend(flatten(item))
    return out


def parse_question(record: dict, where: str) -> EvalQuestion:
    if not isinstance(record, dict) or not isinstance(record.get("question"), str) or not record["question"].strip():
        raise InputError(f"{where}: each line needs a JSON object with a non-empty 'question'")
    answers = [a for a in flatten(record.get("answers", record.get("answer"))) if a.strip()]
    unanswerable = (
        bool(record.get("unanswerable")) or not answers or all(a.strip().lower() in REFUSAL_ANSWERS for a in answers)
    )
    if unanswerable:
        answers = []
    evidence = [
        e["fact"] if isinstance(e, dict) else str(e)
        for e in record.get("evidence") or []
        if (isinstance(e, dict) and e.get("fact")) or isinstance(e, str)
    ]
    qtype = str(record.get("question_type") or record.get("type") or "")
    return EvalQuestion(
        id=str(record.get("id") or where),
        question=record["question"].strip(),
        answers=answers,
        unanswerable=unanswerable,
        type=qtype.removesuffix("_query"),
        evidence=evidence,
        positive=flatten(record.get("positive")),
        negative=flatten(record.get("negative")),
        counterfactual=flatten(record.get("counterfactual")),
        fake_answers=flatten(record.get("fake_answer")),
    )


def load_questions(path: Path, limit: int | None = None) -> list[EvalQuestion]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such question file; give a .jsonl file of {{id, question, answers}} lines")
    questions: list[EvalQuestion] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{path}:{lineno}: invalid JSON ({err.msg}); fix or remove that line") from None
            q = parse_question(record, f"{path}:{lineno}")
            if q.id in seen:
                raise InputError(f"{path}:{lineno}: duplicate question id '{q.id}'")
            seen.add(q.id)
            questions.append(q)
            if limit and len(questions) >= limit:
                break
    if not questions:
        raise InputError(f"{path}: no questions in the file")
    return questions
