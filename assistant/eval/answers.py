"""Answers made by any system, scored with the same metric table, report, gates and ``--compare`` as a pipeline run
(``assistant eval --answers FILE``, or ``assistant eval SET --answers FILE`` to take the gold answers from a set).

One JSON object a line, in RAGAS's field names or this project's:

- the question: ``user_input`` | ``question`` | ``query``; its id: ``id`` | ``question_id`` (else one made from its
  text, or the set's id for the same question text)
- the answer: ``response`` | ``answer``; ``refused`` (else a refusal is recognised in the text)
- the passages it was made from, in retrieval order and numbered from 1 as its ``[n]`` markers cite them:
  ``retrieved_contexts`` | ``contexts`` | ``passages`` | ``citations`` (strings, or objects with ``text`` and ``n``)
- the gold answer: ``reference`` | ``ground_truth`` | ``gold`` | ``answers`` (``unanswerable: true``, or the gold
  "Insufficient information.", for a question whose right answer is a refusal); ``evidence`` (gold facts)
- optional: ``latency_ms``, ``type`` | ``question_type``, ``system`` | ``model`` (the system's name)

A metric that needs what the file does not give (no gold, no passages, no ``[n]`` markers, no latency) is left out,
and summary.json ("left_out") and report.md say why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AssistantError, InputError
from .sets import EvalQuestion, load_questions, parse_question

if TYPE_CHECKING:
    from .run import EvalResult

QUESTION_KEYS = ("user_input", "question", "query")
ANSWER_KEYS = ("response", "answer")
CONTEXT_KEYS = ("retrieved_contexts", "contexts", "passages", "citations")
GOLD_KEYS = ("reference", "ground_truth", "ground_truths", "gold", "answers")
TEXT_KEYS = ("text", "content", "page_content")

NEEDS_GOLD = (
    "answer_accuracy",
    "correct_and_cited",
    "token_f1",
    "rejection_rate",
    "false_refusal_rate",
    "context_precision",
    "context_recall",
)
NEEDS_CONTEXTS = ("citation_recall", "citation_precision", "faithfulness", "correct_and_cited") + NEEDS_GOLD[-2:]
NEEDS_MARKERS = ("citation_recall", "citation_precision", "correct_and_cited")
NEEDS_LATENCY = ("latency_ms_p50", "latency_ms_p95")


@dataclass
class Record:
    """One line of an answers file, read."""

    question: EvalQuestion  # from the set when one is given, else from the line's own gold fields
    answer: str
    refused: bool
    contexts: list[tuple[int, str]] | None
    latency_ms: float | None
    system: str


def first(record: dict, keys: tuple[str, ...]):
    return next((record[k] for k in keys if record.get(k) is not None), None)


def read_contexts(value, where: str) -> list[tuple[int, str]]:
    if not isinstance(value, list):
        raise InputError(f"{where}: the passages must be a list of strings or of {{text, n}} objects")
    out: list[tuple[int, str]] = []
    for i, item in enumerate(value, 1):
        if isinstance(item, dict):
            text = first(item, TEXT_KEYS)
            n = item.get("n", i)
        else:
            text, n = item, i
        if not isinstance(text, str) or not isinstance(n, int) or isinstance(n, bool):
            raise InputError(f"{where}: passage {i} is not a string or a {{text, n}} object; fix the line")
        out.append((n, text))
    if len({n for n, _ in out}) < len(out):
        raise InputError(f"{where}: two passages have the same number n; number them 1, 2, 3, ...")
    return out


def read_record(record: object, where: str) -> tuple[dict, Record]:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object with a question and an answer")
    question = first(record, QUESTION_KEYS)
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"{where}: no question; give 'user_input' (RAGAS) or 'question'")
    answer = first(record, ANSWER_KEYS)
    if not isinstance(answer, str):
        raise InputError(f"{where}: no answer; give 'response' (RAGAS) or 'answer' as a string")
    contexts_value = first(record, CONTEXT_KEYS)
    contexts = read_contexts(contexts_value, where) if contexts_value is not None else None
    latency = record.get("latency_ms")
    if latency is not None and (not isinstance(latency, (int, float)) or isinstance(latency, bool) or latency < 0):
        raise InputError(f"{where}: latency_ms must be a number of milliseconds")
    refused = record.get("refused")
    if refused is not None and not isinstance(refused, bool):
        raise InputError(f"{where}: refused must be true or false")
    from ..text import is_refusal

    gold = first(record, GOLD_KEYS)
    if gold is not None and not isinstance(gold, (str, int, float, list)):
        raise InputError(f"{where}: the gold answer must be a string or a list of strings")
    graded = gold is not None or bool(record.get("unanswerable"))
    fields = {
        # no id: one made from the question's text, so two files answering the same questions line up (--compare)
        "id": record.get("id") or record.get("question_id") or "q-" + hashlib.sha1(question.encode()).hexdigest()[:12],
        "question": question,
        "answers": gold,
        "unanswerable": record.get("unanswerable"),
        "evidence": record.get("evidence"),
        "type": record.get("type") or record.get("question_type"),
    }
    q = parse_question(fields, where)
    if not graded:
        q = replace(q, graded=False, unanswerable=False)
    system = str(record.get("system") or record.get("model") or "")
    return fields, Record(q, answer, is_refusal(answer) if refused is None else refused, contexts, latency, system)


def load_answers(path: Path, questions: list[EvalQuestion] | None = None) -> list[Record]:
    """The file's records; with a question set, each matched to its question (by id, else by text) and graded by
    the set's gold."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such answers file; give a .jsonl file, one {{user_input, response, ...}} a line")
    by_id = {q.id: q for q in questions or []}
    by_text = {q.question: q for q in questions or []}
    out: list[Record] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{where}: invalid JSON ({err.msg}); fix or remove that line") from None
            fields, rec = read_record(raw, where)
            if questions is not None:
                given = fields["id"] if isinstance(raw, dict) and (raw.get("id") or raw.get("question_id")) else None
                q = by_id.get(str(given)) if given is not None else None
                q = q or by_text.get(rec.question.question)
                if q is None:
                    raise InputError(
                        f"{where}: the question '{rec.question.question[:80]}' is not in the question set (by id or "
                        "text); give its id, or score the file alone: assistant eval --answers FILE"
                    )
                rec = replace(rec, question=q)
            if rec.question.id in seen:
                raise InputError(f"{where}: a second answer to question '{rec.question.id}'; keep one a question")
            seen.add(rec.question.id)
            out.append(rec)
    if not out:
        raise InputError(f"{path}: no answers in the file")
    return out


def left_out(records: list[Record]) -> dict[str, str]:
    """The metrics the file cannot give, each with the reason (the first missing thing that rules it out)."""
    from ..text import cited_numbers

    reasons: dict[str, str] = {}

    def leave(names: tuple[str, ...], why: str) -> None:
        for name in names:
            reasons.setdefault(name, why)

    if not any(r.question.graded for r in records):
        leave(NEEDS_GOLD, "no gold answer: give 'reference' (RAGAS), 'gold' or 'answers', or a question set")
    if all(r.contexts is None for r in records):
        leave(NEEDS_CONTEXTS, "no passages: give 'retrieved_contexts' (RAGAS), 'contexts' or 'citations'")
    elif not any(cited_numbers(r.answer) for r in records):
        leave(NEEDS_MARKERS, "no answer cites its passages with [n] markers (n counts the passages from 1)")
    if all(r.latency_ms is None for r in records):
        leave(NEEDS_LATENCY, "no 'latency_ms' in the file")
    return reasons


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def guard_folder(out: Path, fingerprint: dict) -> None:
    """An answers run rewrites its folder's results; a folder holding a pipeline run (whose answers cost model time)
    or another file's scores is refused."""
    run_file = out / "run.json"
    if run_file.exists() and (out / "results.jsonl").exists():
        try:
            before = json.loads(run_file.read_text())
        except json.JSONDecodeError:
            before = {}
        if before.get("answers") != fingerprint["answers"]:
            raise AssistantError(f"{out} holds another run; use another --out or delete it")
    out.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(fingerprint, indent=1))


def run_answers(
    assistant,
    cfg,
    progress=None,
    engine: str | None = None,
    corpus: list[str] | None = None,
    only: set[str] | None = None,
) -> EvalResult:
    """Score an answers file (``cfg.answers``); gold from ``cfg.questions`` when given. ``engine`` and ``corpus``:
    the query engine that wrote the file and what it read (``engines.run_engine``), for the report; ``only``: the
    questions to score."""
    from .compare import check_overlap, load_earlier
    from .judges import make_judge
    from .run import as_posed, check_gate_names, finish, judge_calibration, narrow, summarize
    from .scoring import Reply, score

    if cfg.corpus:
        raise AssistantError("--answers scores answers already made; --corpus is for running the pipeline")
    check_gate_names(cfg)
    questions = load_questions(cfg.questions) if cfg.questions else None
    mode = cfg.mode or "answers"
    if questions is not None and mode == "rejection":
        questions = as_posed(questions, mode)
    records = load_answers(cfg.answers, questions)
    if only is not None:  # the questions a query engine was run on (its answers file may hold more)
        records = [r for r in records if r.question.id in only]
    chosen = {q.id for q in narrow([r.question for r in records], cfg)}
    records = [r for r in records if r.question.id in chosen]
    earlier = load_earlier(cfg.compare)
    check_overlap(earlier, [(r.question.id, r.question.question) for r in records])
    answers_path = Path(cfg.answers).resolve()
    system = next((r.system for r in records if r.system), "") or Path(cfg.answers).stem
    s = assistant.settings
    fingerprint = {
        "questions": str(Path(cfg.questions or cfg.answers).resolve()),
        "answers": str(answers_path),
        "answers_sha256": file_hash(answers_path),
        "mode": mode,
        "system": system,
        "embed": f"{s.embed_backend}:{s.embed_model_name}",
        "judge": cfg.judge,
    }
    if engine:
        fingerprint.update(engine=engine, corpus=corpus or [])
    guard_folder(cfg.out, fingerprint)
    judge = make_judge(cfg.judge, assistant)
    markers = "citation_recall" not in left_out(records)
    rows = []
    for i, rec in enumerate(records):
        if progress:
            progress(i, len(records))
        # the passages given are the ranking the retrieval metrics read (over what the system passed on)
        ranked = [t for _, t in rec.contexts] if rec.contexts is not None else None
        reply = Reply(rec.answer, rec.refused, rec.contexts, ranked, rec.latency_ms, cites=markers)
        q = rec.question
        rows.append(
            {
                "id": q.id,
                "question": q.question,
                "type": q.type,
                "gold": q.gold(),
                "response": {
                    "answer": rec.answer,
                    "refused": rec.refused,
                    "passages": [{"n": n, "text": t} for n, t in rec.contexts or []],
                    "unsupported": [],
                    "model": system,
                },
                "metrics": score(q, reply, judge, mode, assistant.embedder.embed),
            }
        )
    if progress:
        progress(len(records), len(records))
    with (cfg.out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = summarize(rows)
    calibration = judge_calibration(judge, cfg, assistant)
    pairs = calibration.pop("calibration_pairs")
    summary.update(calibration)
    summary["settings"] = fingerprint | {"model": system, "limit": cfg.limit, "calibration_pairs": pairs}
    reasons = left_out(records)
    summary["left_out"] = {name: why for name, why in reasons.items() if name not in summary}
    return finish(summary, rows, cfg, earlier)
