"""``--compare``: this run beside an earlier one, named, over the questions both answered, and what flipped.

- The earlier run is a run folder (its ``summary.json``, and ``results.jsonl`` when there) or a ``summary.json`` file.
- It is named in the report and on the console: its folder, question set, mode, model and size, and the settings in
  which it differs from this run.
- Questions are matched by id and text. The same set: the deltas are the two summaries' differences. Partly the same:
  the deltas (and the "previous" column) are recomputed from both runs' results over the questions both answered,
  and a warning says so. None in common: refused, one line. An earlier run without results.jsonl cannot be matched:
  its whole-run figures are compared, with a warning.
- The questions whose verdict flipped (right ↔ wrong, refused ↔ answered) are listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import AssistantError
from . import metrics as M

# the settings a comparison names when they differ (the fingerprint's keys; "questions" is matched by id instead)
COMPARED_SETTINGS = ("mode", "llm", "llm_model", "k", "embed", "chunk_tokens", "judge", "system")
# per-question verdicts whose flips are listed: key → (word when True, word when False)
FLIPS = {"correct": ("right", "wrong"), "refused": ("refused", "answered")}


@dataclass
class Earlier:
    path: Path  # what --compare named
    summary: dict
    rows: list[dict] | None  # its results.jsonl, when beside its summary


def load_earlier(compare: Path | None) -> Earlier | None:
    if not compare:
        return None
    summary_file = compare / "summary.json" if compare.is_dir() else compare
    if not summary_file.is_file():
        raise AssistantError(f"--compare: no summary.json in {compare}; give a run folder of `assistant eval`")
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AssistantError(f"--compare: {summary_file} is not JSON; give a run folder of `assistant eval`") from None
    if not isinstance(summary, dict):
        raise AssistantError(f"--compare: {summary_file} is not a run summary; give a run folder of `assistant eval`")
    results = summary_file.parent / "results.jsonl"
    rows = None
    if results.is_file():
        rows = []
        for line in results.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interruption
            if isinstance(row, dict) and "id" in row and "metrics" in row and "gold" in row:
                rows.append(row)
    return Earlier(compare, summary, rows)


def set_name(questions: str) -> str:
    """'…/rgb_en_fact/questions.dev.jsonl' → 'rgb_en_fact/questions.dev': the folder tells benchmarks apart."""
    path = Path(questions)
    return f"{path.parent.name}/{path.stem}" if path.parent.name else path.stem


def describe(summary: dict) -> str:
    """'seed (corpus, model `extractive`, 44 questions)': what a run was, in a few words."""
    s = summary.get("settings") or {}
    parts = []
    if s.get("mode"):
        parts.append(str(s["mode"]))
    if s.get("system"):
        parts.append(f"system `{s['system']}`")
    if s.get("model") or s.get("llm"):
        parts.append(f"model `{s.get('model') or s.get('llm')}`")
    if "n" in summary:
        parts.append(f"{summary['n']} questions")
    name = set_name(s["questions"]) if s.get("questions") else "a run"
    return f"{name} ({', '.join(parts)})" if parts else name


def check_overlap(earlier: Earlier | None, questions: list[tuple[str, str]]) -> None:
    """Before a run: refuse a --compare run that answered none of these (id, question) pairs."""
    if earlier is None or earlier.rows is None or not questions:
        return
    before = {r["id"]: r.get("question") for r in earlier.rows}
    if not any(before.get(qid) == text for qid, text in questions):
        raise AssistantError(
            f"--compare: {earlier.path} ({describe(earlier.summary)}) answered none of these {len(questions)} "
            "questions; compare runs of the same question set"
        )


def compare(earlier: Earlier, summary: dict, rows: list[dict]) -> dict:
    """The comparison block of summary.json: the run named, the questions matched, the previous figures and deltas
    (over the questions both answered), warnings, and the flipped questions."""
    out: dict = {"run": str(earlier.path), "described": describe(earlier.summary), "warnings": []}
    before_settings = earlier.summary.get("settings") or {}
    now_settings = summary.get("settings") or {}
    out["differs"] = {
        key: [before_settings.get(key), now_settings.get(key)]
        for key in COMPARED_SETTINGS
        if key in before_settings and key in now_settings and before_settings[key] != now_settings[key]
    }
    if "mode" in out["differs"]:
        before, now = out["differs"]["mode"]
        out["warnings"].append(f"the earlier run posed the questions in mode `{before}`, this one in `{now}`")
    previous = {k: v for k, v in earlier.summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if earlier.rows is None:
        out["questions"] = "unknown"
        out["warnings"].append(
            f"{earlier.path} has no results.jsonl, so its questions cannot be matched with these: the deltas "
            f"compare whole-run figures ({earlier.summary.get('n', '?')} questions there, {summary['n']} here)"
        )
        out["previous"], out["deltas"], out["flipped"] = previous, deltas(summary, previous), []
        return out
    now_q = {r["id"]: r["question"] for r in rows}
    before_q = {r["id"]: r.get("question") for r in earlier.rows}
    shared = [i for i in now_q if before_q.get(i) == now_q[i]]
    out.update(n_this=len(now_q), n_that=len(before_q), n_shared=len(shared))
    if not shared:
        raise AssistantError(
            f"--compare: {earlier.path} ({out['described']}) answered none of these {len(now_q)} questions; "
            "compare runs of the same question set"
        )
    if len(shared) == len(now_q) == len(before_q):
        out["questions"] = "same"
    else:
        out["questions"] = "shared"
        keep = set(shared)
        now_view = M.aggregate([r for r in rows if r["id"] in keep])
        before_view = M.aggregate([r for r in earlier.rows if r["id"] in keep])
        calibration = {k: v for k, v in previous.items() if k.startswith("judge_")}  # not per question
        previous = {**calibration, **before_view}
        out["warnings"].append(
            f"the question sets differ ({len(now_q)} here, {len(before_q)} there, {len(shared)} in both): "
            f"previous figures and deltas are over the {len(shared)} questions both runs answered"
        )
        summary = {**summary, **now_view}
    if earlier.summary.get("judge_n") != summary.get("judge_n") and "judge_accuracy" in previous:
        out["warnings"].append(
            f"the judge was measured on {earlier.summary.get('judge_n', '?')} labelled pairs there and "
            f"{summary.get('judge_n', '?')} here"
        )
    out["previous"], out["deltas"] = previous, deltas(summary, previous)
    out["flipped"] = flipped(earlier.rows, rows, set(shared))
    return out


def deltas(summary: dict, previous: dict) -> dict:
    return {
        m.name: summary[m.name] - previous[m.name]
        for m in M.METRICS
        if isinstance(summary.get(m.name), (int, float)) and isinstance(previous.get(m.name), (int, float))
    }


def flipped(before_rows: list[dict], rows: list[dict], shared: set[str]) -> list[dict]:
    """The questions whose verdict changed, in this run's order: {id, question, what, before, after}."""
    before = {r["id"]: r["metrics"] for r in before_rows}
    out = []
    for r in rows:
        if r["id"] not in shared:
            continue
        for key, (yes, no) in FLIPS.items():
            a, b = before[r["id"]].get(key), r["metrics"].get(key)
            if a is None or b is None or bool(a) == bool(b):
                continue
            out.append(
                {
                    "id": r["id"],
                    "question": r["question"],
                    "what": key,
                    "before": yes if a else no,
                    "after": yes if b else no,
                }
            )
    return out


def report_lines(block: dict | None) -> list[str]:
    """report.md's lines under the title: which run this is compared with, and any warning."""
    if not block:
        return []
    lines = [f"Compared with `{block['run']}`: {block['described']}."]
    if block["differs"]:
        lines[0] += " It differs in " + ", ".join(
            f"{k} (`{before}` there, `{now}` here)" for k, (before, now) in block["differs"].items()
        )
        lines[0] += "."
    for warning in block["warnings"]:
        lines += ["", f"> **Note:** {warning}."]
    return lines + [""]


def flipped_lines(block: dict | None, most: int = 30) -> list[str]:
    if not block or not block.get("flipped"):
        return []
    flips = block["flipped"]
    lines = ["", f"## Flipped since `{block['run']}` ({len(flips)})", ""]
    for f in flips[:most]:
        lines.append(f"- **{f['id']}** {f['before']} → {f['after']}: {f['question']}")
    if len(flips) > most:
        lines.append(f"- … and {len(flips) - most} more (summary.json, `compare.flipped`)")
    return lines


def console_lines(block: dict | None, most: int = 8) -> list[str]:
    """What the eval command prints about the comparison (to stderr): the run, warnings, flips."""
    if not block:
        return []
    lines = [f"compared with {block['run']}: {block['described']}"]
    lines += [f"warning: {w}" for w in block["warnings"]]
    flips = block.get("flipped") or []
    for what, (yes, no) in FLIPS.items():
        for before, after in ((yes, no), (no, yes)):
            ids = [f["id"] for f in flips if f["what"] == what and f["before"] == before]
            if ids:
                shown = ", ".join(ids[:most]) + (f", … ({len(ids) - most} more)" if len(ids) > most else "")
                lines.append(f"flipped {before} → {after}: {len(ids)} ({shown})")
    return lines
