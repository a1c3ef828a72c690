"""Topic folds in a run: every metric in fold (the folds developers looked at, "seen") and out of fold (the folds
held out), and per fold.

A fold file (``evals/folds/*.json``, made by ``python -m assistant.eval.make_folds``) maps question ids to folds
and names the folds that are seen this round: ``{"k": 5, "seen": [0, 1], "folds": {"id": fold, ...}}``. A change
is written while looking at the seen folds and kept only when it helps the held-out ones; ``--compare`` gives the
delta on both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from . import metrics as M

SPLITS = ("seen", "held_out")


@dataclass(frozen=True)
class Folds:
    file: Path
    k: int
    fold_of: dict[str, int]
    seen: tuple[int, ...]

    @property
    def held_out(self) -> tuple[int, ...]:
        return tuple(f for f in range(self.k) if f not in self.seen)

    def split(self, qid: str) -> str | None:
        fold = self.fold_of.get(qid)
        if fold is None:
            return None
        return "seen" if fold in self.seen else "held_out"


def parse_fold_list(text: str | None, flag: str) -> list[int] | None:
    """ "0,1" or "2-4" or "0,2-3" → [0, 1] / [2, 3, 4] / [0, 2, 3]."""
    if text is None:
        return None
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                out.extend(range(lo, hi + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise InputError(f"{flag} '{text}' is not a list of fold numbers (e.g. 0,1 or 2-4)") from None
    if not out:
        raise InputError(f"{flag} is empty; give fold numbers such as 0,1")
    return sorted(set(out))


def load_folds(path: Path, seen: list[int] | None = None) -> Folds:
    """The fold file, with ``seen`` (else the file's own "seen") checked against its folds."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--folds: no such file {path}; make one with python -m assistant.eval.make_folds")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fold_of = {str(q): int(f) for q, f in data["folds"].items()}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        raise InputError(f'--folds: {path} is not a fold file (JSON with "folds": {{id: fold number}})') from None
    if not fold_of:
        raise InputError(f"--folds: {path} assigns no question to a fold")
    k = int(data.get("k") or max(fold_of.values()) + 1)
    if min(fold_of.values()) < 0 or max(fold_of.values()) >= k:
        raise InputError(f"--folds: {path} has fold numbers outside 0..{k - 1}")
    chosen = seen if seen is not None else data.get("seen")
    if not chosen:
        raise InputError(f"--folds: {path} names no seen folds; give --seen (e.g. --seen 0,1)")
    bad = [f for f in chosen if not 0 <= int(f) < k]
    if bad:
        raise InputError(f"--seen: fold {bad[0]} is not in {path} (folds 0..{k - 1})")
    if len(set(chosen)) >= k:
        raise InputError(f"--seen: every fold of {path} is seen; leave at least one held out")
    return Folds(path, k, fold_of, tuple(sorted({int(f) for f in chosen})))


def only(questions: list, folds: Folds, wanted: list[int]) -> list:
    """The questions in the wanted folds (``--only-folds``)."""
    bad = [f for f in wanted if not 0 <= f < folds.k]
    if bad:
        raise InputError(f"--only-folds: fold {bad[0]} is not in {folds.file} (folds 0..{folds.k - 1})")
    picked = [q for q in questions if folds.fold_of.get(q.id) in wanted]
    if not picked:
        raise InputError(f"--only-folds: no question of this set is in folds {wanted} of {folds.file}")
    return picked


def check_covers(questions: list, folds: Folds) -> None:
    if not any(q.id in folds.fold_of for q in questions):
        raise InputError(
            f"--folds: none of these questions' ids is in {folds.file}; is it the fold file of another set?"
        )


def fold_summary(rows: list[dict], folds: Folds) -> dict:
    """The metric table in fold (seen), out of fold (held out) and per fold, from a run's result rows."""
    by_split: dict[str, list[dict]] = {s: [] for s in SPLITS}
    by_fold: dict[int, list[dict]] = {}
    unassigned = 0
    for r in rows:
        split = folds.split(r["id"])
        if split is None:
            unassigned += 1
            continue
        by_split[split].append(r)
        by_fold.setdefault(folds.fold_of[r["id"]], []).append(r)
    return {
        "file": str(folds.file),
        "seen_folds": list(folds.seen),
        "held_out_folds": list(folds.held_out),
        "n_unassigned": unassigned,
        "seen": M.aggregate(by_split["seen"]),
        "held_out": M.aggregate(by_split["held_out"]),
        "by_fold": {str(f): M.aggregate(by_fold[f]) for f in sorted(by_fold)},
    }


def previous_fold_summary(
    compare: Path | None, previous: dict | None, folds: Folds, ids: set[str] | None = None
) -> dict | None:
    """The --compare run split by the same folds, over the same questions (``ids``: this run's): from its
    results.jsonl (so any earlier run compares, with or without folds), else from its summary when that was split
    the same way."""
    if compare is None:
        return None
    results = (compare if compare.is_dir() else compare.parent) / "results.jsonl"
    if results.is_file():
        rows = []
        for line in results.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by an interruption
        rows = [r for r in rows if "metrics" in r and "gold" in r and (ids is None or r.get("id") in ids)]
        return fold_summary(rows, folds)
    earlier = (previous or {}).get("folds")
    if earlier and earlier.get("seen_folds") == list(folds.seen):
        return earlier
    return None


def _delta(now, before) -> str:
    if isinstance(now, (int, float)) and isinstance(before, (int, float)):
        return f"{now - before:+.3f}"
    return ""


def report_lines(summary: dict) -> list[str]:
    """The report.md section: one row a metric, seen and held out side by side (and their deltas against
    --compare), then each fold."""
    folds = summary.get("folds")
    if not folds:
        return []
    prev = summary.get("folds_previous")
    seen, held = folds["seen"], folds["held_out"]
    names = [m.name for m in M.METRICS if m.key is not None and (m.name in seen or m.name in held)]
    fold_ids = list(folds["by_fold"])
    head = f"| metric | seen (folds {_list(folds['seen_folds'])}, n={seen['n']}) | held out (folds "
    head += f"{_list(folds['held_out_folds'])}, n={held['n']}) | "
    rule = "|---|---|---|"
    if prev:
        head += "Δ seen | Δ held out | "
        rule += "---|---|"
    head += " | ".join(f"fold {f} (n={folds['by_fold'][f]['n']})" for f in fold_ids) + " |"
    rule += "---|" * len(fold_ids)
    lines = [
        "",
        "## In fold (seen) and out of fold (held out)",
        "",
        f"Folds from `{folds['file']}`. A change is kept only when it helps the held-out folds."
        + (f" {folds['n_unassigned']} questions are in no fold." if folds["n_unassigned"] else ""),
        "",
        head,
        rule,
    ]
    for name in names:
        row = f"| {name} | {M.format_value(seen.get(name))} | {M.format_value(held.get(name))} | "
        if prev:
            row += f"{_delta(seen.get(name), prev['seen'].get(name))} | "
            row += f"{_delta(held.get(name), prev['held_out'].get(name))} | "
        row += " | ".join(M.format_value(folds["by_fold"][f].get(name)) for f in fold_ids) + " |"
        lines.append(row)
    return lines


def console_lines(summary: dict) -> list[str]:
    """What the eval command prints after the overall figures: each metric seen / held out (and the deltas)."""
    folds = summary.get("folds")
    if not folds:
        return []
    prev = summary.get("folds_previous")
    seen, held = folds["seen"], folds["held_out"]
    lines = [
        f"{'':>20}  seen (folds {_list(folds['seen_folds'])}, n={seen['n']})  |  held out (folds "
        f"{_list(folds['held_out_folds'])}, n={held['n']})"
    ]
    for m in M.METRICS:
        if m.key is None or (m.name not in seen and m.name not in held):
            continue
        a, b = seen.get(m.name), held.get(m.name)
        text = f"{m.name:>20}: {M.format_value(a):>8}"
        if prev:
            text += f" ({_delta(a, prev['seen'].get(m.name)) or '–':>6})"
        text += f"  |  {M.format_value(b):>8}"
        if prev:
            text += f" ({_delta(b, prev['held_out'].get(m.name)) or '–':>6})"
        lines.append(text)
    return lines


def _list(folds: list[int]) -> str:
    return ",".join(str(f) for f in folds)
