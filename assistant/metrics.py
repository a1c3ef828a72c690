"""Metric definitions, each from a published anchor (see the eval report for the wording).

- answer accuracy: a gold answer occurs in the answer (RGB, Chen et al. 2024), normalised; token F1 (SQuAD).
- citation recall / precision: ALCE (Gao et al., 2023), with a pluggable support judge.
- faithfulness: share of answer claims supported by the retrieved context (RAGAS, Es et al., 2023).
- hits@k, map@10, mrr@10: MultiHop-RAG (Tang & Yang, 2024): a retrieved chunk is relevant when it contains a gold
  fact, spaces and newlines removed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Callable

Judge = Callable[[str, list[str]], bool]  # (claim, passages) → supported?


def normalize(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    # 10,000 / 10 000 / 1,000,000 → one number; a longer group is not a thousands group ("in 2021 100 people")
    text = re.sub(r"\b\d{1,3}(?:[,\s]\d{3})+\b", lambda m: re.sub(r"[,\s]", "", m.group()), text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.split()


def contains(answer: str, gold: str) -> bool:
    """The gold string's normalised tokens occur, in order and contiguous, in the answer's ('no' is not in 'not')."""
    g, a = normalize(gold), normalize(answer)
    if not g:
        return False
    return any(a[i:i + len(g)] == g for i in range(len(a) - len(g) + 1))


def answer_correct(answer: str, golds: list[str]) -> bool:
    return any(contains(answer, g) for g in golds)


def token_f1(answer: str, golds: list[str]) -> float:
    best = 0.0
    a = normalize(answer)
    for gold in golds:
        g = normalize(gold)
        common = sum((Counter(a) & Counter(g)).values())
        if common:
            p, r = common / len(a), common / len(g)
            best = max(best, 2 * p * r / (p + r))
    return best


def citation_scores(sentences: list[tuple[str, list[int]]], passages: dict[int, str], judge: Judge) -> dict:
    """ALCE citation recall and precision for one answer: sentences with their cited passage numbers."""
    if not sentences:
        return {}
    entailed = 0
    precise = 0
    total_citations = 0
    for claim, cited in sentences:
        refs = [n for n in cited if n in passages]
        total_citations += len(refs)
        joint = bool(refs) and judge(claim, [passages[n] for n in refs])
        entailed += joint
        if joint and len(refs) > 1:
            for n in refs:
                if judge(claim, [passages[n]]):
                    precise += 1
                elif not judge(claim, [passages[m] for m in refs if m != n]):
                    precise += 1  # needed together with the others
        else:
            precise += joint * len(refs)
    out = {"citation_recall": entailed / len(sentences)}
    if total_citations:
        out["citation_precision"] = precise / total_citations
    return out


def faithfulness(claims: list[str], context: list[str], judge: Judge) -> float | None:
    if not claims:
        return None
    return sum(judge(c, context) for c in claims) / len(claims)


def squash(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


def retrieval_scores(ranked_texts: list[str], facts: list[str]) -> dict:
    """MultiHop-RAG's retrieval_evaluate.py, per question: hits@4 / hits@10 (1 when any top-k chunk holds a gold
    fact), AP@10 (at each relevant rank, the gold facts first found there / rank, summed, over min(#facts, 10)),
    RR@10; plus evidence_recall@10, the share of gold facts found in the top 10 (ours: multi-hop needs them all)."""
    if not facts:
        return {}
    gold = [squash(f) for f in facts]
    chunks = [squash(t) for t in ranked_texts[:10]]
    found: list[str] = []
    ap, first, hit4 = 0.0, None, False
    for rank, chunk in enumerate(chunks, 1):
        if any(f in chunk for f in gold):
            first = first or rank
            hit4 = hit4 or rank <= 4
            new = [f for f in gold if f in chunk and f not in found]
            found.extend(new)
            ap += len(new) / rank
    return {"hits@4": float(hit4), "hits@10": float(first is not None), "map@10": ap / min(len(gold), 10),
            "mrr@10": 1 / first if first else 0.0, "evidence_recall@10": len(set(found)) / len(set(gold))}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


CONFLICT = re.compile(r"\b(incorrect|inaccurate|factual errors?|misinformation|conflict\w*|contradict\w*|"
                      r"not (?:true|correct|accurate)|false)\b", re.I)


def flags_conflict(answer: str) -> bool:
    return bool(CONFLICT.search(answer))
