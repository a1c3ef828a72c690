"""``assistant eval``: run a question set through the pipeline and score it.

One index for all questions (``--corpus``, cached by corpus content and embedding settings, never the user's store),
or, for questions that carry their own passages (RGB), one small index per question: ``noise`` (positives +
negatives), ``rejection`` (negatives only: every answer should be a refusal), ``counterfactual`` (counterfactual
passages + negatives). Results are appended per question to ``results.jsonl``, so an interrupted run resumes.

The steps, in order: ``resolve_mode`` → ``ResultsLog`` (resume) → ``answer_questions`` (the loop) → ``summarize``
(the metric table, by type, judge calibration) → report → gates, all returned as an ``EvalResult``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Callable, Iterator

from ..errors import AssistantError
from ..types import Document
from . import metrics as M
from .sets import EvalQuestion, load_questions

MODES = ("corpus", "noise", "rejection", "counterfactual")
Progress = Callable[[int, int], None]


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
    fail_under: dict[str, float] = field(default_factory=dict)  # exit 1 when a metric is below
    fail_over: dict[str, float] = field(default_factory=dict)  # exit 1 when a metric is above (lower is better)
    judge_pairs: int | None = None  # cap on judge-calibration pairs (evenly spaced); default all, 60 for --judge llm
    folds: Path | None = None  # a fold file: every metric in fold (seen) and out of fold (held out)
    seen: list[int] | None = None  # the seen folds [the fold file's own]
    only_folds: list[int] | None = None  # run only the questions of these folds


@dataclass
class EvalResult:
    summary: dict  # what summary.json holds
    rows: list[dict]  # what results.jsonl holds, in question order
    previous: dict | None  # the --compare run's summary
    failed_gates: list[str]  # one line per gate not met


def default_paths() -> tuple[Path, Path]:
    from ..resources import claims_file
    from ..settings import datasets_dir

    return claims_file(), datasets_dir() / "rgb_en_fact" / "questions.dev.jsonl"


# ---- what to run


def select_questions(cfg: EvalConfig) -> list[EvalQuestion]:
    return narrow(load_questions(cfg.questions), cfg)


def narrow(items: list, cfg: EvalConfig) -> list:
    """The questions (or follow-ups) to run: those of ``--only-folds``, then the first ``--limit``, then ``--sample``
    evenly spaced ones."""
    if (cfg.seen or cfg.only_folds) and not cfg.folds:
        raise AssistantError("--seen and --only-folds need --folds FILE (evals/folds/*.json)")
    if cfg.folds:
        from .folds import check_covers, load_folds, only

        folds = load_folds(cfg.folds, cfg.seen)
        check_covers(items, folds)
        if cfg.only_folds:
            items = only(items, folds, cfg.only_folds)
    items = items[: cfg.limit] if cfg.limit else items
    if cfg.sample and cfg.sample < len(items):
        items = [items[i * len(items) // cfg.sample] for i in range(cfg.sample)]
    return items


def resolve_mode(cfg: EvalConfig, questions: list[EvalQuestion]) -> str:
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
    return mode


def check_gate_names(cfg: EvalConfig) -> None:
    for flag, gates in (("--fail-under", cfg.fail_under), ("--fail-over", cfg.fail_over)):
        unknown = M.unknown_gates(gates)
        if unknown:
            raise AssistantError(
                f"{flag}: unknown metric '{unknown[0]}'; use one of {', '.join(m.name for m in M.METRICS)}"
            )


def as_posed(questions: list[EvalQuestion], mode: str) -> list[EvalQuestion]:
    """The questions as this mode poses them (copies: the caller's are not changed). In rejection mode the
    answer-bearing passages are left out, so every right answer is a refusal."""
    if mode != "rejection":
        return questions
    return [replace(q, answers=[], unanswerable=True, evidence=[], withheld=q.answers) for q in questions]


def run_fingerprint(cfg: EvalConfig, mode: str, settings) -> dict:
    return {
        "questions": str(cfg.questions.resolve()),
        "corpus": [str(p.resolve()) for p in cfg.corpus],
        "mode": mode,
        "llm": settings.llm,
        "llm_model": str(settings.llm_model_path or settings.llm_model),
        "k": settings.k,
        "k_max": settings.k_max,
        "context_tokens": settings.context_tokens,
        "embed": f"{settings.embed_backend}:{settings.embed_model_name}",
        "chunk_tokens": settings.chunk_tokens,
        "judge": cfg.judge,
        "refuse_unsupported": settings.refuse_unsupported,
        "check_answers": settings.check_answers,
    }


# ---- where to answer from


def corpus_index(assistant, paths: list[Path]):
    """An Assistant over a cached index of the corpus, keyed by its content and the embedding settings."""
    from ..ingest.load import load_paths

    loaded = load_paths(paths)
    if loaded.errors:
        raise AssistantError(f"--corpus: {loaded.errors[0]}")
    s = assistant.settings
    key = hashlib.sha256(
        json.dumps(
            [
                sorted(d.doc_id + d.content_hash for d in loaded.documents),
                s.embed_backend,
                s.embed_model_name,
                s.chunk_tokens,
                s.chunk_overlap,
            ]
        ).encode()
    ).hexdigest()[:20]
    root = s.cache_dir / "eval-index" / key
    if not (root / "complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        index = assistant.derive(data_dir=root, chroma_url="", collection="corpus")
        index.add_documents(loaded.documents)
        (root / "complete").write_text(str(len(loaded.documents)))
        return index
    return assistant.derive(data_dir=root, chroma_url="", collection="corpus")


def question_index(assistant, root: Path, q: EvalQuestion, mode: str):
    texts = {
        "noise": q.positive + q.negative,
        "rejection": q.negative,
        "counterfactual": q.counterfactual + q.negative,
    }[mode]
    if not texts:
        return None
    name = "q-" + hashlib.sha1(q.id.encode()).hexdigest()[:16]
    index = assistant.derive(data_dir=root, chroma_url="", collection=name)
    if index.store.count() == 0:
        from ..ingest.documents import content_hash
        from ..text.dates import split_date_stamp

        docs = []
        for i, t in enumerate(dict.fromkeys(texts)):
            published, body = split_date_stamp(t)  # as ingest reads a snippet: its date stamp is its date
            docs.append(
                Document(
                    doc_id=f"{name}-{i}",
                    title="",  # a snippet has no title (the question as every passage's title told the model
                    # that each one, distractors included, was about it)
                    text=body or t,
                    path="",
                    content_hash=content_hash(t),
                    source="snippet",
                    published_at=published if body else "",
                )
            )
        index.add_documents(docs)
    return index


# ---- the resumable log


class ResultsLog:
    """results.jsonl in the run folder, one row a question, appended as each is answered; run.json holds the
    settings, and a run folder with other settings is refused rather than mixed."""

    def __init__(self, out: Path, fingerprint: dict):
        out.mkdir(parents=True, exist_ok=True)
        self.file = out / "results.jsonl"
        run_file = out / "run.json"
        if run_file.exists() and json.loads(run_file.read_text()) != fingerprint and self.file.exists():
            raise AssistantError(f"{out} holds a run with other settings; use another --out or delete it")
        run_file.write_text(json.dumps(fingerprint, indent=1))
        self.done = self._read()

    def _read(self) -> dict[str, dict]:
        done: dict[str, dict] = {}
        if not self.file.exists():
            return done
        text = self.file.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):  # the last line was cut short: drop it, or the next row is glued on
            text = text[: text.rfind("\n") + 1]
            self.file.write_text(text, encoding="utf-8")
        for line in text.splitlines():
            try:
                row = json.loads(line)
                done[row["id"]] = row
            except (json.JSONDecodeError, KeyError):
                continue  # a line cut short by an interruption: that question runs again
        return done

    def append(self, rows: Iterator[dict]) -> None:
        with self.file.open("a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
                self.done[row["id"]] = row


# ---- the loop


def score(q: EvalQuestion, answer, ranked: list, judge, mode: str) -> dict:
    from ..text import cited_numbers, split_sentences, strip_citations

    m: dict = {"refused": answer.refused, "latency_ms": answer.timings_ms["total"]}
    if q.answers:
        m["correct"] = (not answer.refused) and M.answer_correct(answer.answer, q.answers)
        m["token_f1"] = 0.0 if answer.refused else M.token_f1(answer.answer, q.answers)
        # a verdict (yes/no) is in no passage: correct and citing evidence at all
        m["correct_and_cited"] = m["correct"] and (
            bool(answer.citations)
            if M.is_verdict(q.answers)
            else any(M.answer_correct(c.text, q.answers) for c in answer.citations)
        )
    if q.withheld and mode == "rejection":
        # RGB's negatives are meant not to hold the answer, but some do: a correct answer citing one that states it
        # is what the tool should say; it is counted apart, and rejection_rate stays RGB's own figure
        m["answered_from_negatives"] = (
            (not answer.refused)
            and M.answer_correct(answer.answer, q.withheld)
            and any(M.answer_correct(c.text, q.withheld) for c in answer.citations)
        )
        m["refused_or_answered_from_negatives"] = answer.refused or m["answered_from_negatives"]
    if q.fake_answers and mode == "counterfactual":
        m["fake_answer"] = (not answer.refused) and M.answer_correct(answer.answer, q.fake_answers)
        m["conflict_flagged"] = M.flags_conflict(answer.answer)
    if not answer.refused:
        from ..answer.dated import dateline

        # each passage with where and when it was published, as the model reads it: a dated answer's date is checkable
        passages = {p.n: f"{dateline(p)}\n{p.text}".lstrip() for p in answer.passages}
        sentences = [(strip_citations(s), cited_numbers(s)) for s in split_sentences(answer.answer)]

        def supports(claim: str, texts: list[str]) -> bool:
            return judge.supports(claim, texts, q.question)

        m.update(M.citation_scores([s for s in sentences if s[0]], passages, supports))
        m["faithfulness"] = M.faithfulness(judge.claims(q.question, answer.answer), list(passages.values()), supports)
    if q.evidence and not q.unanswerable:
        m.update(M.retrieval_scores([p.text for p in ranked], q.evidence))
    return m


def answer_questions(assistant, questions: list[EvalQuestion], mode: str, cfg: EvalConfig, judge) -> Iterator[dict]:
    """Each question through the pipeline once: retrieve the top 10 (for the retrieval metrics), answer from the
    prefix the passage budget takes, score."""
    index = corpus_index(assistant, cfg.corpus) if mode == "corpus" else None
    budget = assistant.budget()
    for q in questions:
        idx = index or question_index(assistant, cfg.out / "index", q, mode)
        started = time.perf_counter()
        if idx is None:  # no passages at all for this question
            ranked, answer = [], assistant.answer(q.question, [], started=started)
        else:
            query = idx.read(q.question)  # read once: the ranking and the answer share its plan
            ranked = idx.rank(query, max(10, budget.k_max))
            answer = idx.answer(query, budget.select(ranked), started=started)
        yield {
            "id": q.id,
            "question": q.question,
            "type": q.type,
            "gold": q.gold(),
            "response": answer.to_json(),
            "metrics": score(q, answer, ranked, judge, mode),
        }


# ---- the summary


def summarize(rows: list[dict]) -> dict:
    summary = M.aggregate(rows)
    types = sorted({r["type"] for r in rows if r["type"]})
    if types:
        summary["by_type"] = {t: M.aggregate([r for r in rows if r["type"] == t]) for t in types}
    return summary


def judge_calibration(judge, cfg: EvalConfig, assistant) -> dict:
    """The judge measured on labelled pairs (and, for an LLM judge, the heuristic one beside it)."""
    from .judges import calibrate, calibration_pairs, make_judge

    claims_file, rgb_file = default_paths()
    pairs = calibration_pairs(claims_file, rgb_file)
    cap = cfg.judge_pairs or (60 if cfg.judge == "llm" else None)
    if cap and cap < len(pairs):
        pairs = [pairs[i * len(pairs) // cap] for i in range(cap)]
    out: dict = {"judge": cfg.judge, "calibration_pairs": len(pairs)}
    out.update(calibrate(judge, pairs, assistant.settings.cache_dir))
    if cfg.judge != "heuristic":
        heuristic = calibrate(make_judge("heuristic", assistant), pairs, assistant.settings.cache_dir)
        out["heuristic_judge"] = {k: v for k, v in heuristic.items() if k != "judge_accuracy_by_origin"}
    return out


def load_previous(compare: Path | None) -> dict | None:
    if not compare:
        return None
    prev_file = compare / "summary.json" if compare.is_dir() else compare
    if not prev_file.is_file():
        raise AssistantError(f"--compare: no summary.json in {compare}")
    return json.loads(prev_file.read_text())


def run_eval(assistant, cfg: EvalConfig, progress: Progress | None = None) -> EvalResult:
    from .judges import make_judge
    from .report import write_report
    from .rewrites import is_followup_set

    if is_followup_set(cfg.questions):
        return run_rewrites(assistant, cfg, progress)
    questions = select_questions(cfg)
    mode = resolve_mode(cfg, questions)
    check_gate_names(cfg)
    previous = load_previous(cfg.compare)
    posed = as_posed(questions, mode)
    fingerprint = run_fingerprint(cfg, mode, assistant.settings)
    log = ResultsLog(cfg.out, fingerprint)
    judge = make_judge(cfg.judge, assistant)
    todo = [q for q in posed if q.id not in log.done]

    def counted(rows: Iterator[dict]) -> Iterator[dict]:
        if progress:
            progress(len(posed) - len(todo), len(posed))
        for row in rows:
            yield row
            if progress:
                progress(len(log.done), len(posed))

    log.append(counted(answer_questions(assistant, todo, mode, cfg, judge)))
    rows = [log.done[q.id] for q in posed if q.id in log.done]
    summary = summarize(rows)
    calibration = judge_calibration(judge, cfg, assistant)
    pairs = calibration.pop("calibration_pairs")
    summary.update(calibration)
    summary["settings"] = fingerprint | {
        "model": rows[0]["response"]["model"] if rows else "",
        "limit": cfg.limit,
        "calibration_pairs": pairs,
    }
    add_folds(summary, rows, cfg, previous)
    (cfg.out / "summary.json").write_text(json.dumps(summary, indent=1))
    write_report(cfg.out, summary, rows, previous)
    return EvalResult(summary, rows, previous, M.gate_failures(summary, cfg.fail_under, cfg.fail_over))


def add_folds(summary: dict, rows: list[dict], cfg: EvalConfig, previous: dict | None) -> None:
    """summary["folds"]: every metric in fold (seen), out of fold (held out) and per fold; "folds_previous": the
    --compare run split the same way."""
    if not cfg.folds:
        return
    from .folds import fold_summary, load_folds, previous_fold_summary

    folds = load_folds(cfg.folds, cfg.seen)
    summary["folds"] = fold_summary(rows, folds)
    summary["settings"]["only_folds"] = cfg.only_folds
    earlier = previous_fold_summary(cfg.compare, previous, folds, {r["id"] for r in rows})
    if earlier:
        summary["folds_previous"] = {s: earlier[s] for s in ("seen", "held_out")}


def run_rewrites(assistant, cfg: EvalConfig, progress: Progress | None = None) -> EvalResult:
    """A follow-up set: each follow-up rewritten by ``Assistant.standalone`` after its earlier turn, and scored
    (``rewrites``); the same run folder, resume, folds, --compare and gates as a question set."""
    from .rewrites import load_followups, rewrite_rows, write_rewrite_report

    check_gate_names(cfg)
    followups = narrow(load_followups(cfg.questions), cfg)
    previous = load_previous(cfg.compare)
    s = assistant.settings
    fingerprint = {"questions": str(cfg.questions.resolve()), "mode": "rewrite", "llm": s.llm}
    log = ResultsLog(cfg.out, fingerprint)
    todo = [f for f in followups if f.id not in log.done]
    if progress:
        progress(len(followups) - len(todo), len(followups))
    log.append(rewrite_rows(assistant, todo))
    rows = [log.done[f.id] for f in followups if f.id in log.done]
    summary = summarize(rows)
    summary["settings"] = fingerprint | {"limit": cfg.limit}
    add_folds(summary, rows, cfg, previous)
    (cfg.out / "summary.json").write_text(json.dumps(summary, indent=1))
    write_rewrite_report(cfg.out, summary, rows)
    return EvalResult(summary, rows, previous, M.gate_failures(summary, cfg.fail_under, cfg.fail_over))
