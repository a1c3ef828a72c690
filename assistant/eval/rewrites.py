"""Follow-up sets (``evals/followups*.jsonl``): does the assistant turn a follow-up into the standalone question it
means, and leave a question that already stands alone as it is?

Each line: ``{id, previous, previous_answer, followup, standalone, kind?, must_contain?: [...]}``; ``standalone``
equal to ``followup`` means the question stands alone and must not be rewritten. ``assistant eval`` recognises
such a file and scores ``Assistant.standalone`` (the rewrite the pipeline retrieves and answers with), with the same
run folder, folds, ``--compare`` and gates as a question set:

- ``rewrite_exact``: the rewrite is the expected standalone question (compared as normalised words);
- ``rewrite_resolved``: a follow-up that needs rewriting was rewritten and holds every ``must_contain`` phrase (the
  referent: "North Korean troops" for "they"), whatever else its wording;
- ``standalone_kept``: a question that stands alone came back unchanged;
- ``rewrite_token_f1``: token F1 of the rewrite against the expected question.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from . import metrics as M


@dataclass
class FollowUp:
    id: str
    previous: str
    previous_answer: str
    followup: str
    standalone: str
    kind: str = ""
    must_contain: list[str] = field(default_factory=list)

    @property
    def stands_alone(self) -> bool:
        return same(self.followup, self.standalone)


def same(a: str, b: str) -> bool:
    return M.normalize(a) == M.normalize(b)


def is_followup_set(path: Path) -> bool:
    """Is the file's first record a follow-up pair (``followup`` and ``standalone``) rather than a question?"""
    try:
        with Path(path).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    return isinstance(record, dict) and "followup" in record and "standalone" in record
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return False  # the question loader reports it
    return False


def load_followups(path: Path) -> list[FollowUp]:
    out: list[FollowUp] = []
    seen: set[str] = set()
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            r = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: invalid JSON ({err.msg}); fix or remove that line") from None
        need = ("previous", "followup", "standalone")
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) and r[k].strip() for k in need):
            raise InputError(f"{where}: a follow-up needs non-empty 'previous', 'followup' and 'standalone'")
        qid = str(r.get("id") or where)
        if qid in seen:
            raise InputError(f"{where}: duplicate id '{qid}'")
        seen.add(qid)
        out.append(
            FollowUp(
                qid,
                r["previous"],
                str(r.get("previous_answer") or ""),
                r["followup"],
                r["standalone"],
                str(r.get("kind") or r.get("split") or ""),
                [str(m) for m in r.get("must_contain") or []],
            )
        )
    if not out:
        raise InputError(f"{path}: no follow-ups in the file")
    return out


def score_rewrite(f: FollowUp, rewrite: str) -> dict:
    m: dict = {"rewrite_exact": same(rewrite, f.standalone), "rewrite_token_f1": M.token_f1(rewrite, [f.standalone])}
    if f.stands_alone:
        m["standalone_kept"] = same(rewrite, f.followup)
    else:
        m["rewrite_resolved"] = not same(rewrite, f.followup) and all(M.contains(rewrite, p) for p in f.must_contain)
    return m


def rewrite_rows(assistant, followups: list[FollowUp]):
    for f in followups:
        started = time.perf_counter()
        rewrite = assistant.standalone(f.followup, [(f.previous, f.previous_answer)])
        m = score_rewrite(f, rewrite)
        m["latency_ms"] = (time.perf_counter() - started) * 1000
        yield {
            "id": f.id,
            "question": f.followup,
            "type": f.kind,
            "gold": {"answers": [], "unanswerable": False, "standalone": f.standalone, "must_contain": f.must_contain},
            "response": {"rewrite": rewrite, "previous": f.previous},
            "metrics": m,
        }


def write_rewrite_report(out: Path, summary: dict, rows: list[dict]) -> None:
    from .folds import report_lines
    from .report import set_name

    shown = [m for m in M.METRICS if m.name in summary and m.key in REWRITE_KEYS]
    lines = [
        f"# Follow-up rewrites: {set_name(summary['settings']['questions'])}",
        "",
        f"{summary['n']} follow-ups ({sum(1 for r in rows if 'standalone_kept' in r['metrics'])} that stand alone).",
        "",
        "| metric | value | definition | over |",
        "|---|---|---|---|",
    ]
    lines += [f"| {m.name} | {M.format_value(summary[m.name])} | {m.definition} | {m.population} |" for m in shown]
    if summary.get("by_type"):
        names = [m.name for m in shown if m.rate]
        lines += ["", "## By kind", "", "| kind | n | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        for kind, v in summary["by_type"].items():
            lines.append(f"| {kind} | {v['n']} | " + " | ".join(M.format_value(v.get(n)) for n in names) + " |")
    lines += report_lines(summary)
    wrong = [r for r in rows if not r["metrics"]["rewrite_exact"]]
    if wrong:
        lines += ["", "## Not rewritten as expected", ""]
        for r in wrong:
            lines += [
                f"- **{r['id']}** ({r['type'] or 'follow-up'}) after “{r['response']['previous']}”: {r['question']}",
                f"  - expected: {r['gold']['standalone']}",
                f"  - got: {r['response']['rewrite']}",
            ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


REWRITE_KEYS = {"rewrite_exact", "rewrite_resolved", "standalone_kept", "rewrite_token_f1", "latency_ms"}
