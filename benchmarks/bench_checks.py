"""What the model-based answer check (answer/checks/support.py) and the yes/no decision cost, on the seed article,
in one process with the local model loaded (warm), so the difference is the check's own:

    flock /tmp/assistant-model.lock .venv/bin/python benchmarks/bench_checks.py [--questions 15]

The first ``--questions`` answerable seed questions, each answered with ``check_with_model`` on and off (the same
process, the same loaded model, alternating so neither side gets a warmer cache): the p50 of each, the p50 of the
per-question difference, and how many answers differ. Then the hand-written yes/no questions about the seed article
(evals/yesno.jsonl, scope "single"): their p50 (decided by two scored prompts, nothing generated). Writes
benchmarks/results-checks.json; the load average is recorded beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=15)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-checks.json")
    args = ap.parse_args()

    from answers import WARM_UP, seed_questions

    from assistant import Assistant

    questions = seed_questions(args.questions)
    yes_no = [
        json.loads(line)
        for line in (ROOT / "evals" / "yesno.jsonl").read_text().splitlines()
        if line.strip() and '"seed:' in line
    ]
    out: dict = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        on = Assistant(data_dir=data, llm="local")
        on.ingest([ROOT / "seeds"])
        off = on.derive(check_with_model=False)  # the same loaded model (derive shares the backends)
        on.ask(WARM_UP)
        rows = []
        for q in questions:
            row: dict = {"id": q["id"]}
            for name, a in (("on", on), ("off", off)) if len(rows) % 2 == 0 else (("off", off), ("on", on)):
                t = time.perf_counter()
                answer = a.ask(q["question"])
                row[name + "_s"] = round(time.perf_counter() - t, 3)
                row[name] = answer.answer
                if name == "on":
                    row["check"] = answer.answer_check.check
            rows.append(row)
        decided = []
        for q in yes_no:
            t = time.perf_counter()
            answer = on.ask(q["question"])
            decided.append({"id": q["id"], "s": round(time.perf_counter() - t, 3), "answer": answer.answer[:80]})
    out.update(
        {
            "questions": len(rows),
            "warm_p50_s_check_on": round(statistics.median(r["on_s"] for r in rows), 2),
            "warm_p50_s_check_off": round(statistics.median(r["off_s"] for r in rows), 2),
            "p50_added_s": round(statistics.median(r["on_s"] - r["off_s"] for r in rows), 2),
            "answers_differ": sum(r["on"] != r["off"] for r in rows),
            "check_failed": sum(bool(r["check"]) for r in rows),
            "yes_no_questions": len(decided),
            "yes_no_warm_p50_s": round(statistics.median(r["s"] for r in decided), 2) if decided else None,
            "rows": rows,
            "yes_no_rows": decided,
            "load_after": os.getloadavg(),
        }
    )
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: v for k, v in out.items() if not k.endswith("rows")}, indent=1))


if __name__ == "__main__":
    main()
