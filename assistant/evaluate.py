"""``assistant eval``: run a question set through the pipeline and score it.

One index for all questions (``--corpus``, cached by corpus content and embedding settings, never the user's store),
or, for questions that carry their own passages (RGB), one small index per question: ``noise`` (positives +
negatives), ``rejection`` (negatives only: every answer should be a refusal), ``counterfactual`` (counterfactual
passages + negatives). Results are appended per question to ``results.jsonl``, so an interrupted run resumes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import metrics as M
from .errors import AssistantError
from .evalsets import EvalQuestion, load_questions
from .types import Document

MODES = ("corpus", "noise", "rejection", "counterfactual")
RATE_METRICS = ("answer_accuracy", "correct_and_cited", "token_f1", "rejection_rate", "false_refusal_rate",
                "citation_recall", "citation_precision", "faithfulness", "hits@4", "hits@10", "map@10", "mrr@10",
                "evidence_recall@10",
                "fake_answer_rate", "conflict_flag_rate")


@dataclass
class EvalConfig:
    questions: Path
    out: Path
    corpus: list[Path] = field(default_factory=list)
    mode: str | None = None
    limit: int | None = None
    sample: int | None = None  # evenly spaced questions, for a quick representative run
    judge: str = "heuristic"
    compare: Path | None = None
    fail_under: dict[str, float] = field(default_factory=dict)
    judge_pairs: int | None = None  # cap on judge-calibration pairs (evenly spaced); default all, 60 for --judge llm


def default_paths() -> tuple[Path, Path]:
    from .resources import claims_file
    from .settings import datasets_dir

    return claims_file(), datasets_dir() / "rgb_en_fact" / "questions.dev.jsonl"


def run_fingerprint(cfg: EvalConfig, mode: str, settings) -> dict:
    return {"questions": str(cfg.questions.resolve()), "corpus": [str(p.resolve()) for p in cfg.corpus],
            "mode": mode, "llm": settings.llm, "llm_model": str(settings.llm_model_path or settings.llm_model),
            "k": settings.k, "k_max": settings.k_max, "context_tokens": settings.context_tokens, "embed": f"{settings.embed_backend}:{settings.embed_model_name}",
            "chunk_tokens": settings.chunk_tokens, "judge": cfg.judge,
            "refuse_unsupported": settings.refuse_unsupported}


def corpus_index(assistant, paths: list[Path]):
    """An Assistant over a cached index of the corpus, keyed by its content and the embedding settings."""
    from .load import load_paths

    loaded = load_paths(paths)
    if loaded.errors:
        raise AssistantError(f"--corpus: {loaded.errors[0]}")
    s = assistant.settings
    key = hashlib.sha256(json.dumps(
        [sorted(d.doc_id + d.content_hash for d in loaded.documents), s.embed_backend, s.embed_model_name,
         s.chunk_tokens, s.chunk_overlap]).encode()).hexdigest()[:20]
    root = s.cache_dir / "eval-index" / key
    index = assistant.derive(data_dir=root, chroma_url="", collection="corpus")
    if not (root / "complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        index = assistant.derive(data_dir=root, chroma_url="", collection="corpus")
        index.add_documents(loaded.documents)
        (root / "complete").write_text(str(len(loaded.documents)))
    return index


def question_index(assistant, root: Path, q: EvalQuestion, mode: str):
    texts = {"noise": q.positive + q.negative, "rejection": q.negative,
             "counterfactual": q.counterfactual + q.negative}[mode]
    if not texts:
        return None
    name = "q-" + hashlib.sha1(q.id.encode()).hexdigest()[:16]
    index = assistant.derive(data_dir=root, chroma_url="", collection=name)
    if index.store.count() == 0:
        from .load import content_hash

        docs = [Document(doc_id=f"{name}-{i}", title=q.question, text=t, path="", content_hash=content_hash(t),
                         source="snippet") for i, t in enumerate(dict.fromkeys(texts))]
        index.add_documents(docs)
    return index


def score(q: EvalQuestion, answer, ranked: list, judge, mode: str) -> dict:
    from .verify import cited_numbers, split_sentences, strip_citations

    m: dict = {"refused": answer.refused, "latency_ms": answer.timings_ms["total"]}
    if q.answers:
        m["correct"] = (not answer.refused) and M.answer_correct(answer.answer, q.answers)
        m["token_f1"] = 0.0 if answer.refused else M.token_f1(answer.answer, q.answers)
        m["correct_and_cited"] = m["correct"] and any(M.answer_correct(c.text, q.answers) for c in answer.citations)
    if q.fake_answers and mode == "counterfactual":
        m["fake_answer"] = (not answer.refused) and M.answer_correct(answer.answer, q.fake_answers)
        m["conflict_flagged"] = M.flags_conflict(answer.answer)
    if not answer.refused:
        passages = {p.n: p.text for p in answer.passages}
        sentences = [(strip_citations(s), cited_numbers(s)) for s in split_sentences(answer.answer)]
        def supports(claim: str, texts: list[str]) -> bool:
            return judge.supports(claim, texts, q.question)

        m.update(M.citation_scores([s for s in sentences if s[0]], passages, supports))
        m["faithfulness"] = M.faithfulness(judge.claims(q.question, answer.answer), list(passages.values()),
                                           supports)
    if q.evidence and not q.unanswerable:
        m.update(M.retrieval_scores([p.text for p in ranked], q.evidence))
    return m


def aggregate(rows: list[dict]) -> dict:
    def pick(key, where=lambda r: True):
        return [r["metrics"][key] for r in rows if r["metrics"].get(key) is not None and where(r)]

    answerable = lambda r: not r["gold"]["unanswerable"]  # noqa: E731
    out = {"n": len(rows), "n_answerable": sum(map(answerable, rows))}
    out["n_unanswerable"] = out["n"] - out["n_answerable"]
    values = {
        "answer_accuracy": pick("correct"), "correct_and_cited": pick("correct_and_cited"),
        "token_f1": pick("token_f1"),
        "rejection_rate": pick("refused", lambda r: not answerable(r)),
        "false_refusal_rate": pick("refused", answerable),
        "citation_recall": pick("citation_recall"), "citation_precision": pick("citation_precision"),
        "faithfulness": pick("faithfulness"),
        "hits@4": pick("hits@4"), "hits@10": pick("hits@10"), "map@10": pick("map@10"), "mrr@10": pick("mrr@10"),
        "evidence_recall@10": pick("evidence_recall@10"),
        "fake_answer_rate": pick("fake_answer"), "conflict_flag_rate": pick("conflict_flagged"),
    }
    for key, vals in values.items():
        if vals:
            out[key] = M.mean(float(v) for v in vals)
    latencies = pick("latency_ms")
    if latencies:
        out["latency_ms_p50"] = M.percentile(latencies, 0.5)
        out["latency_ms_p95"] = M.percentile(latencies, 0.95)
    return out


def run_eval(assistant, cfg: EvalConfig, progress: Callable[[int, int], None] | None = None) -> dict:
    from .judges import calibrate, calibration_pairs, make_judge

    questions = load_questions(cfg.questions, cfg.limit)
    if cfg.sample and cfg.sample < len(questions):
        questions = [questions[i * len(questions) // cfg.sample] for i in range(cfg.sample)]
    has_passages = any(q.positive or q.negative or q.counterfactual for q in questions)
    mode = cfg.mode or ("corpus" if cfg.corpus else "noise" if has_passages else None)
    if mode is None:
        raise AssistantError("these questions carry no passages; give --corpus PATH (anything `ingest` accepts)")
    if mode not in MODES:
        raise AssistantError(f"unknown --mode '{mode}'; use one of {', '.join(MODES[1:])}")
    if mode == "corpus" and not cfg.corpus:
        raise AssistantError("--mode corpus needs --corpus PATH")
    if mode != "corpus" and not has_passages:
        raise AssistantError(f"--mode {mode} needs questions with positive/negative passages (RGB format)")
    unknown = set(cfg.fail_under) - set(RATE_METRICS) - {"judge_accuracy"}
    if unknown:
        raise AssistantError(f"--fail-under: unknown metric '{sorted(unknown)[0]}'; use one of "
                             f"{', '.join(RATE_METRICS + ('judge_accuracy',))}")
    if mode == "rejection":  # every answer should be a refusal
        for q in questions:
            q.answers, q.unanswerable, q.evidence = [], True, []

    cfg.out.mkdir(parents=True, exist_ok=True)
    s = assistant.settings
    fingerprint = run_fingerprint(cfg, mode, s)
    run_file, results_file = cfg.out / "run.json", cfg.out / "results.jsonl"
    if run_file.exists() and json.loads(run_file.read_text()) != fingerprint and results_file.exists():
        raise AssistantError(f"{cfg.out} holds a run with other settings; use another --out or delete it")
    run_file.write_text(json.dumps(fingerprint, indent=1))

    done: dict[str, dict] = {}
    if results_file.exists():
        text = results_file.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):  # the last line was cut short: drop it, or the next row is glued on
            text = text[:text.rfind("\n") + 1]
            results_file.write_text(text, encoding="utf-8")
        for line in text.splitlines():
            try:
                row = json.loads(line)
                done[row["id"]] = row
            except (json.JSONDecodeError, KeyError):
                continue  # a line cut short by an interruption: that question runs again
    judge = make_judge(cfg.judge, assistant)
    index = corpus_index(assistant, cfg.corpus) if mode == "corpus" else None
    todo = [q for q in questions if q.id not in done]
    if progress:
        progress(len(questions) - len(todo), len(questions))
    with results_file.open("a", encoding="utf-8") as out:
        for q in todo:
            idx = index or question_index(assistant, cfg.out / "index", q, mode)
            t0 = time.perf_counter()
            ranked = idx.retrieve(q.question, k=max(10, s.k, s.k_max)) if idx else []
            t1 = time.perf_counter()
            answer = idx.ask(q.question, passages=idx.select(ranked)) if idx else assistant.ask(q.question, passages=[])
            answer.timings_ms["retrieve"] = (t1 - t0) * 1000
            answer.timings_ms["total"] += (t1 - t0) * 1000
            row = {"id": q.id, "question": q.question, "type": q.type, "gold": q.gold(),
                   "response": answer.to_json(), "metrics": score(q, answer, ranked, judge, mode)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            done[q.id] = row
            if progress:
                progress(len(done), len(questions))

    rows = [done[q.id] for q in questions if q.id in done]
    summary = aggregate(rows)
    types = sorted({r["type"] for r in rows if r["type"]})
    if types:
        summary["by_type"] = {t: aggregate([r for r in rows if r["type"] == t]) for t in types}
    claims_file, rgb_file = default_paths()
    pairs = calibration_pairs(claims_file, rgb_file)
    cap = cfg.judge_pairs or (60 if cfg.judge == "llm" else None)
    if cap and cap < len(pairs):
        pairs = [pairs[i * len(pairs) // cap] for i in range(cap)]
    summary["judge"] = cfg.judge
    summary.update(calibrate(judge, pairs, s.cache_dir))
    if cfg.judge != "heuristic":
        heuristic = calibrate(make_judge("heuristic", assistant), pairs, s.cache_dir)
        summary["heuristic_judge"] = {k: v for k, v in heuristic.items() if k != "judge_accuracy_by_origin"}
    summary["settings"] = fingerprint | {"model": rows[0]["response"]["model"] if rows else "",
                                         "limit": cfg.limit, "calibration_pairs": len(pairs)}
    (cfg.out / "summary.json").write_text(json.dumps(summary, indent=1))

    previous = None
    if cfg.compare:
        prev_file = cfg.compare / "summary.json" if cfg.compare.is_dir() else cfg.compare
        if not prev_file.is_file():
            raise AssistantError(f"--compare: no summary.json in {cfg.compare}")
        previous = json.loads(prev_file.read_text())
    from .report import write_report

    write_report(cfg.out, summary, rows, previous)
    summary["_previous"] = previous
    summary["_failed_gates"] = [f"{k}={summary.get(k)} is below {v}" for k, v in cfg.fail_under.items()
                                if summary.get(k) is None or summary[k] < v]
    return summary
