"""What deciding a yes/no question costs (answer/yesno.py: one scored prompt, nothing generated), against answering
an open question about the same article, in one process with the local model loaded (warm):

    flock /tmp/assistant-model.lock .venv/bin/python benchmarks/bench_checks.py [--questions 15]

The first ``--questions`` answerable seed questions (open questions, generated and checked) and the hand-written yes/no
questions about the seed article (evals/yesno.jsonl, scope "single"), alternating: the p50 of each and how many yes/no
verdicts were right. Writes benchmarks/results-checks.json; the load average is recorded beside the figures.
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

    from answers import WARM_UP, correct, seed_questions

    from assistant import Assistant

    open_qs = seed_questions(args.questions)
    yes_no = [
        json.loads(line)
        for line in (ROOT / "evals" / "yesno.jsonl").read_text().splitlines()
        if line.strip() and '"seed:' in line
    ]
    out: dict = {"load_before": os.getloadavg()}
    rows: dict[str, list] = {"open": [], "yes/no": []}
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(data_dir=Path(tmp) / "data", llm="local")
        a.ingest([ROOT / "seeds"])
        a.ask(WARM_UP)
        for i in range(max(len(open_qs), len(yes_no))):
            for kind, qs in (("open", open_qs), ("yes/no", yes_no)):
                if i < len(qs):
                    t = time.perf_counter()
                    answer = a.ask(qs[i]["question"])
                    rows[kind].append(
                        {
                            "id": qs[i]["id"],
                            "s": round(time.perf_counter() - t, 3),
                            "correct": not answer.refused and correct(answer.answer, qs[i]["answers"]),
                            "answer": answer.answer[:100],
                        }
                    )
    for kind, rs in rows.items():
        out[kind] = {
            "questions": len(rs),
            "warm_p50_s": round(statistics.median(r["s"] for r in rs), 2) if rs else None,
            "correct": sum(r["correct"] for r in rs),
            "rows": rs,
        }
    out["load_after"] = os.getloadavg()
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(
        json.dumps(
            {
                k: ({kk: vv for kk, vv in v.items() if kk != "rows"} if isinstance(v, dict) else v)
                for k, v in out.items()
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
