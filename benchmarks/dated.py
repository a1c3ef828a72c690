"""The date check of a time-sensitive question set, read from an `assistant eval` run folder.

    assistant eval evals/dated.jsonl --corpus CORPUS --folds evals/folds/dated.json --out runs/dated
    python benchmarks/dated.py runs/dated evals/dated.jsonl --corpus CORPUS [--folds evals/folds/dated.json]

Each question of the set gives ``dates``: the days (YYYY-MM-DD) of the newest evidence that answers it. Per answer:

- ``correct``: the eval's own (a gold answer in the answer's text);
- ``newest_in_prompt``: a passage of one of those days was in the prompt (retrieval found the newest evidence);
- ``newest_cited``: the answer cites a passage of one of those days, and no newer one is needed;
- ``date_stated``: the answer's text states one of those days ("5 November 2023", "November 5, 2023", 2023-11-05);
- ``dated_correct``: correct, citing the newest evidence and saying its date.

Each figure over all questions, and with ``--folds`` in fold (seen) and held out. Prints a Markdown table; ``--json``
prints the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

MONTHS = "January February March April May June July August September October November December".split()


def day_forms(iso: str) -> list[str]:
    d = date.fromisoformat(iso)
    month = MONTHS[d.month - 1]
    return [iso, f"{d.day} {month} {d.year}", f"{month} {d.day}, {d.year}", f"{month} {d.day} {d.year}"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def doc_days(corpus: Path) -> dict[str, str]:
    days: dict[str, str] = {}
    for path in [corpus] if corpus.is_file() else sorted(corpus.rglob("*.jsonl")):
        for r in read_jsonl(path):
            days[str(r.get("id"))] = str(r.get("published_at") or "")[:10]
    return days


def judge(row: dict, gold_days: list[str], days: dict[str, str]) -> dict[str, bool]:
    response = row["response"]
    text = response.get("answer", "").lower()
    refused = bool(response.get("refused"))
    cited = {str(c.get("published_at") or "")[:10] for c in response.get("citations", [])}
    prompt = {days.get(p.get("doc_id", ""), "") for p in response.get("passages", [])}
    stated = any(form.lower() in text for iso in gold_days for form in day_forms(iso))
    newest_cited = not refused and bool(cited & set(gold_days))
    correct = bool(row.get("metrics", {}).get("correct"))
    return {
        "correct": correct,
        "newest_in_prompt": bool(prompt & set(gold_days)),
        "newest_cited": newest_cited,
        "date_stated": not refused and stated,
        "dated_correct": correct and newest_cited and stated,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="an `assistant eval` run folder (results.jsonl)")
    ap.add_argument("questions", type=Path, help="the question set, with `dates` per question")
    ap.add_argument("--corpus", type=Path, required=True, help="the corpus the run indexed (JSONL: id, published_at)")
    ap.add_argument("--folds", type=Path, help="a fold file: figures in fold (seen) and held out")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    results = args.run / "results.jsonl"
    if not results.is_file():
        print(f"{results}: no such file; run `assistant eval ... --out {args.run}` first", file=sys.stderr)
        return 2
    gold = {q["id"]: q.get("dates") or [] for q in read_jsonl(args.questions)}
    days = doc_days(args.corpus)
    rows = [r for r in read_jsonl(results) if gold.get(r["id"])]
    per = {r["id"]: judge(r, gold[r["id"]], days) for r in rows}
    groups: dict[str, list[str]] = {"all": list(per)}
    if args.folds:
        folds = json.loads(args.folds.read_text())
        seen = set(folds["seen"])
        groups["in fold"] = [i for i in per if folds["folds"].get(i) in seen]
        groups["held out"] = [i for i in per if i in folds["folds"] and folds["folds"][i] not in seen]
    metrics = list(next(iter(per.values()), {}))
    table = {
        g: {"n": len(ids), **{m: sum(per[i][m] for i in ids) / len(ids) if ids else 0.0 for m in metrics}}
        for g, ids in groups.items()
    }
    if args.json:
        print(json.dumps({"groups": table, "per_question": per}, indent=1))
        return 0
    print("| | n | " + " | ".join(metrics) + " |")
    print("|---|---|" + "---|" * len(metrics))
    for g, row in table.items():
        print(f"| {g} | {row['n']} | " + " | ".join(f"{row[m]:.2f}" for m in metrics) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
