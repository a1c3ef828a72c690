"""The eval report: report.md for a person (metrics with definitions, per-type table, worst failures quoted) and
report.png (the metrics, and the deltas against a previous run)."""

from __future__ import annotations

from pathlib import Path

DEFINITIONS = {
    "answer_accuracy": "answerable questions whose answer contains a gold answer (normalised; RGB's rule)",
    "correct_and_cited": "answerable questions answered correctly AND citing a passage that holds a gold answer",
    "token_f1": "best token F1 of the answer against a gold answer (SQuAD)",
    "rejection_rate": "unanswerable questions answered with a refusal",
    "false_refusal_rate": "answerable questions refused",
    "citation_recall": "answer sentences supported by their cited passages together (ALCE)",
    "citation_precision": "citations that are not irrelevant to their sentence (ALCE)",
    "faithfulness": "answer claims supported by the retrieved passages (RAGAS)",
    "hits@4": "questions with a chunk holding a gold fact in the top 4 (MultiHop-RAG)",
    "hits@10": "questions with a chunk holding a gold fact in the top 10 (MultiHop-RAG)",
    "map@10": "mean average precision of the top 10 chunks (MultiHop-RAG's script)",
    "evidence_recall@10": "share of a question's gold facts found in the top 10 chunks (all are needed for multi-hop)",
    "mrr@10": "reciprocal rank of the first chunk holding a gold fact (MultiHop-RAG)",
    "fake_answer_rate": "counterfactual: answers repeating the planted fake answer",
    "conflict_flag_rate": "counterfactual: answers that flag the passages as wrong or conflicting",
    "latency_ms_p50": "median time per question (retrieve + generate + verify), ms",
    "latency_ms_p95": "95th percentile time per question, ms",
    "judge_accuracy": "the judge's accuracy on labelled (claim, passages, supported?) pairs",
}


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) <= 1.0 else f"{value:,.0f}"
    return str(value)


def failures(rows: list[dict], most: int = 8) -> list[tuple[str, dict]]:
    out = []
    for r in rows:
        m, g = r["metrics"], r["gold"]
        if g["unanswerable"] and not m["refused"]:
            out.append(("answered an unanswerable question", r))
        elif not g["unanswerable"] and m["refused"]:
            out.append(("refused an answerable question", r))
        elif m.get("correct") is False:
            out.append(("wrong answer", r))
        elif r["response"]["unsupported"]:
            out.append(("unsupported sentence", r))
    return out[:most]


def write_report(out: Path, summary: dict, rows: list[dict], previous: dict | None = None) -> None:
    keys = [k for k in DEFINITIONS if k in summary]
    lines = [f"# Eval: {Path(summary['settings']['questions']).name}", "",
             f"{summary['n']} questions ({summary['n_answerable']} answerable, {summary['n_unanswerable']} "
             f"unanswerable); mode `{summary['settings']['mode']}`; model `{summary['settings']['model']}`; "
             f"k={summary['settings']['k']}"
             + (f" (up to {summary['settings']['k_max']} within {summary['settings']['context_tokens']} word pieces)"
                if summary['settings'].get('context_tokens') else "") + f"; judge `{summary['judge']}`"
             + (f" (accuracy {summary['judge_accuracy']:.3f}, precision {summary['judge_precision']:.3f}, "
                f"recall {summary['judge_recall']:.3f} on {summary['judge_n']} labelled pairs)"
                if "judge_accuracy" in summary else "") + ".", "",
             "| metric | value | " + ("previous | delta | " if previous else "") + "definition |",
             "|---|---|" + ("---|---|" if previous else "") + "---|"]
    for k in keys:
        row = f"| {k} | {fmt(summary[k])} | "
        if previous:
            prev = previous.get(k)
            delta = summary[k] - prev if isinstance(prev, (int, float)) and summary[k] is not None else None
            row += f"{fmt(prev)} | {'' if delta is None else f'{delta:+.3f}'} | "
        lines.append(row + DEFINITIONS[k] + " |")
    if summary.get("by_type"):
        cols = [k for k in ("answer_accuracy", "rejection_rate", "citation_recall", "citation_precision",
                            "faithfulness", "hits@4", "hits@10") if any(k in v for v in summary["by_type"].values())]
        lines += ["", "## By question type", "", "| type | n | " + " | ".join(cols) + " |",
                  "|---|---|" + "---|" * len(cols)]
        for t, v in summary["by_type"].items():
            lines.append(f"| {t} | {v['n']} | " + " | ".join(fmt(v.get(c)) for c in cols) + " |")
    worst = failures(rows)
    if worst:
        lines += ["", "## Failures (first ones)", ""]
        for why, r in worst:
            gold = ", ".join(r["gold"]["answers"][:3]) or "(a refusal)"
            lines += [f"- **{r['id']}** ({why}): {r['question']}", f"  - gold: {gold}",
                      f"  - answer: {r['response']['answer']}"]
            for s in r["response"]["unsupported"][:2]:
                lines.append(f"  - unsupported: {s}")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    chart(out / "report.png", summary, previous)


def chart(path: Path, summary: dict, previous: dict | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in DEFINITIONS if k in summary and isinstance(summary[k], float) and 0 <= summary[k] <= 1]
    if not keys:
        return
    fig, axes = plt.subplots(1, 2 if previous else 1, figsize=(12 if previous else 8, 0.45 * len(keys) + 1.5),
                             squeeze=False)
    ax = axes[0][0]
    y = range(len(keys))
    if previous:
        ax.barh([i + 0.2 for i in y], [previous.get(k) or 0 for k in keys], height=0.4, label="previous",
                color="#bbbbbb")
        ax.barh([i - 0.2 for i in y], [summary[k] for k in keys], height=0.4, label="this run", color="#3070b0")
        ax.legend(loc="lower right")
    else:
        ax.barh(list(y), [summary[k] for k in keys], color="#3070b0")
    for i, k in enumerate(keys):
        ax.text(min(summary[k], 0.9) + 0.01, i - (0.2 if previous else 0), f"{summary[k]:.2f}", va="center",
                fontsize=8)
    ax.set_yticks(list(y), keys)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_title(f"{Path(summary['settings']['questions']).name} ({summary['settings']['mode']}, n={summary['n']})")
    if previous:
        deltas = [summary[k] - (previous.get(k) or 0) for k in keys]
        dx = axes[0][1]
        dx.barh(list(y), deltas, color=["#2a8a2a" if d >= 0 else "#b03030" for d in deltas])
        dx.axvline(0, color="black", linewidth=0.8)
        dx.set_yticks(list(y), keys)
        dx.invert_yaxis()
        dx.set_title("delta vs previous")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
