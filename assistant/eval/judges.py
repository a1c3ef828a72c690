"""Judges of whether passages support a claim, used by the eval suite, and how far each can be trusted.

- ``heuristic`` (offline, default): the pipeline's own Verifier (numbers and entities must occur, similarity floor).
- ``llm``: the configured LLM gives a SUPPORTED / NOT_SUPPORTED verdict per claim and extracts claims (RAGAS-style).

Each judge is measured on labelled (claim, passages, supported?) pairs: built from RGB (gold-answer claim over its
positive passages: supported; the fake answer over the same positives: not; the gold claim over negatives only: not)
plus the project's hand-labelled pairs in evals/claims.jsonl.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ..errors import AssistantError
from ..answer.prompt import Prompt, load_template
from ..text import is_refusal, split_sentences, strip_citations
from .metrics import contains


class HeuristicJudge:
    name = "heuristic"

    def __init__(self, verifier):
        self.verifier = verifier
        self.model = f"verifier(floor={verifier.floor})"

    def supports(self, claim: str, passages: list[str], question: str = "") -> bool:
        return self.verifier.supports(claim, passages, question).supported

    def claims(self, question: str, answer: str) -> list[str]:
        if is_refusal(answer):
            return []
        return [c for c in (strip_citations(s) for s in split_sentences(answer)) if re.search(r"\w", c)]


class LLMJudge:
    name = "llm"

    def __init__(self, generator, prompts_dir: Path):
        self.generator = generator
        self.prompts_dir = prompts_dir
        self.model = generator.name
        self._cache: dict[str, bool] = {}

    def _complete(self, text: str) -> str:
        prompt = Prompt(messages=[{"role": "user", "content": text}], question="", passages=[], refusal="")
        return "".join(self.generator.stream(prompt)).strip()

    def supports(self, claim: str, passages: list[str], question: str = "") -> bool:
        key = json.dumps([claim, passages])
        if key not in self._cache:
            body = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
            verdict = self._complete(
                load_template(self.prompts_dir, "judge_support.md").format(passages=body, claim=strip_citations(claim))
            )
            self._cache[key] = bool(re.match(r"\W*supported", verdict, re.I))
        return self._cache[key]

    def claims(self, question: str, answer: str) -> list[str]:
        if is_refusal(answer):
            return []
        out = self._complete(
            load_template(self.prompts_dir, "judge_claims.md").format(question=question, answer=strip_citations(answer))
        )
        lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", ln).strip() for ln in out.splitlines()]
        return [ln for ln in lines if ln and ln.upper() != "NONE"][:12]


JUDGES = ("heuristic", "llm")


def make_judge(name: str, assistant):
    if name == "heuristic":
        return HeuristicJudge(assistant.verifier)
    if name == "llm":
        if assistant.settings.llm == "extractive":
            raise AssistantError("--judge llm needs an LLM: use --llm local or --llm openai")
        return LLMJudge(assistant.generator, assistant.settings.prompts_dir)
    raise AssistantError(f"unknown judge '{name}'; use {' or '.join(JUDGES)}")


def calibration_pairs(claims_file: Path | None, rgb_file: Path | None, rgb_limit: int | None = None) -> list[dict]:
    """Labelled pairs: {claim, passages, supported, origin}."""
    pairs: list[dict] = []
    if claims_file and claims_file.is_file():
        for line in claims_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                pairs.append(
                    {
                        "claim": r["claim"],
                        "passages": r["passages"],
                        "supported": bool(r["supported"]),
                        "origin": f"hand:{r.get('kind', '')}",
                    }
                )
    if rgb_file and rgb_file.is_file():
        from .sets import load_questions

        for q in load_questions(rgb_file, limit=rgb_limit):
            if not q.answers or not q.positive:
                continue
            gold = q.answers[0]
            pairs.append(
                {
                    "claim": f"{q.question}: {gold}.",
                    "passages": q.positive,
                    "supported": True,
                    "origin": "rgb:gold/positive",
                    "question": q.question,
                }
            )
            fake = next((f for f in q.fake_answers if not any(contains(p, f) for p in q.positive)), None)
            if fake:
                pairs.append(
                    {
                        "claim": f"{q.question}: {fake}.",
                        "passages": q.positive,
                        "supported": False,
                        "origin": "rgb:fake/positive",
                        "question": q.question,
                    }
                )
            # RGB's negatives occasionally hold the answer after all; such a pair's label would be wrong: skip it
            if q.negative and not any(contains(p, a) for p in q.negative for a in q.answers):
                pairs.append(
                    {
                        "claim": f"{q.question}: {gold}.",
                        "passages": q.negative,
                        "supported": False,
                        "origin": "rgb:gold/negative",
                        "question": q.question,
                    }
                )
    return pairs


def calibrate(judge, pairs: list[dict], cache_dir: Path | None = None) -> dict:
    """Accuracy, precision and recall (of 'supported') of a judge on labelled pairs; cached by judge and pairs."""
    if not pairs:
        return {}
    key = hashlib.sha256(json.dumps([judge.name, judge.model, pairs], sort_keys=True).encode()).hexdigest()[:20]
    cache = cache_dir / "judge" / f"{key}.json" if cache_dir else None
    if cache and cache.is_file():
        return json.loads(cache.read_text())
    tp = fp = tn = fn = 0
    by_origin: dict[str, list[int]] = {}
    for pair in pairs:
        said = judge.supports(pair["claim"], pair["passages"], pair.get("question", ""))
        right = said == pair["supported"]
        tp += said and pair["supported"]
        fp += said and not pair["supported"]
        tn += (not said) and not pair["supported"]
        fn += (not said) and pair["supported"]
        by_origin.setdefault(pair["origin"], []).append(int(right))
    result = {
        "judge_accuracy": (tp + tn) / len(pairs),
        "judge_precision": tp / (tp + fp) if tp + fp else 0.0,
        "judge_recall": tp / (tp + fn) if tp + fn else 0.0,
        "judge_n": len(pairs),
        "judge_confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
        "judge_accuracy_by_origin": {k: sum(v) / len(v) for k, v in sorted(by_origin.items())},
    }
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(result))
    return result
