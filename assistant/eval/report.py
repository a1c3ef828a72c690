"""The eval report: report.md for a person (metrics with definitions, per-type table, first failures quoted with the
verifier's reasons) and report.png (the rates, and the deltas against a previous run). Both read ``METRICS``."""

from __future__ import annotations

from pathlib import Path

from .compare import flipped_lines, set_name
from .compare import report_lines as compare_lines
from .folds import report_lines as fold_lines
from .metrics import BY_NAME, METRICS, format_value

fmt = format_value  # the name the CLI uses


def label(name: str) -> str:
    return f"{name} (lower is better)" if BY_NAME[name].better == "lower" else name


def failures(rows: list[dict], most: int = 8) -> list[tuple[str, dict]]:
    out = []
    for r in rows:
        m, g = r["metrics"], r["gold"]
        if g["unanswerable"] is True and not m["refused"]:
            out.append(("answered an unanswerable question", r))
        elif g["unanswerable"] is False and m["refused"]:
            out.append(("refused an answerable question", r))
        elif m.get("correct") is False:
            out.append(("wrong answer", r))
        elif r["response"]["unsupported"]:
            out.append(("unsupported sentence", r))
    return out[:most]


def header(summary: dict) -> str:
    s = summary["settings"]
    text = f"{summary['n']} questions ({summary['n_answerable']} answerable, {summary['n_unanswerable']} unanswerable"
    if summary.get("n_ungraded"):
        text += f", {summary['n_ungraded']} without a gold answer"
    if s.get("answers"):  # an answers file, or another system's run
        text += f"); answers by `{s['system']}` from `{s['answers']}`"
        if s.get("engine"):
            text += f" (query engine `{s['engine']}`, corpus {', '.join(f'`{c}`' for c in s.get('corpus') or [])})"
    else:
        text += f"); mode `{s['mode']}`; model `{s['model']}`; k={s['k']}"
    if s.get("context_tokens"):
        text += f" (up to {s['k_max']} within {s['context_tokens']} word pieces)"
    text += f"; judge `{summary['judge']}`"
    if "judge_accuracy" in summary:
        text += f" ({judge_figures(summary)} on the {summary['judge_n']} hand-labelled pairs shipped with the package"
        if summary.get("judge_rgb"):
            rgb = summary["judge_rgb"]
            text += f"; {judge_figures(rgb)} on {rgb['judge_n']} pairs made from {set_name(rgb['file'])}, not shipped"
        text += ")"
    beside = summary.get("heuristic_judge")
    if beside:
        text += f"; the heuristic judge beside it: {judge_figures(beside)} on the shipped pairs"
        if beside.get("rgb"):
            text += f", {judge_figures(beside['rgb'])} on the RGB-made ones"
    return text + "."


def judge_figures(m: dict) -> str:
    return f"accuracy {m['judge_accuracy']:.3f}, precision {m['judge_precision']:.3f}, recall {m['judge_recall']:.3f}"


def write_report(out: Path, summary: dict, rows: list[dict]) -> None:
    """report.md and report.png; with --compare (``summary["compare"]``) the earlier run is named, the previous
    figures and deltas are those over the questions both runs answered, and the flipped questions are listed."""
    block = summary.get("compare")
    previous = block["previous"] if block else None
    shown = [m for m in METRICS if m.name in summary]
    lines = [
        f"# Eval: {set_name(summary['settings']['questions'])}",
        "",
        header(summary),
        "",
        *compare_lines(block),
        "| metric | value | " + ("previous | delta | " if block else "") + "definition | over |",
        "|---|---|" + ("---|---|" if block else "") + "---|---|",
    ]
    for m in shown:
        row = f"| {label(m.name)} | {fmt(summary[m.name])} | "
        if block:
            delta = block["deltas"].get(m.name)
            row += f"{fmt(block['previous'].get(m.name))} | {'' if delta is None else f'{delta:+.3f}'} | "
        lines.append(row + f"{m.definition} | {m.population} |")
    lines += left_out_lines(summary)
    lines += flipped_lines(block)
    lines += fold_lines(summary)
    if summary.get("by_type"):
        cols = [m.name for m in METRICS if m.by_type and any(m.name in v for v in summary["by_type"].values())]
        lines += [
            "",
            "## By question type",
            "",
            "| type | n | " + " | ".join(cols) + " |",
            "|---|---|" + "---|" * len(cols),
        ]
        for t, v in summary["by_type"].items():
            lines.append(f"| {t} | {v['n']} | " + " | ".join(fmt(v.get(c)) for c in cols) + " |")
    worst = failures(rows)
    if worst:
        lines += ["", "## Failures (first ones)", ""]
        for why, r in worst:
            gold = ", ".join(r["gold"]["answers"][:3]) or "(a refusal)"
            lines += [
                f"- **{r['id']}** ({why}): {r['question']}",
                f"  - gold: {gold}",
                f"  - answer: {r['response']['answer']}",
            ]
            for s in [s for s in r["response"].get("sentences", []) if not s["supported"]][:2]:
                lines.append(f"  - unsupported: {s['text']} — {s['reason']}")
            verdict = r["response"].get("answer_check") or {}
            if verdict.get("check"):
                acted = "answered again" if not r["response"]["refused"] else "withheld"
                lines.append(
                    f"  - does not answer ({verdict['check']}: {verdict['reason']}), {acted}: {verdict['first_answer']}"
                )
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    chart(out / "report.png", summary, previous, block["deltas"] if block else None)


def left_out_lines(summary: dict) -> list[str]:
    """The metrics a run could not give, and why (``summary["left_out"]``: an answers file lacking a field)."""
    left = summary.get("left_out") or {}
    if not left:
        return []
    lines = ["", "Left out:", ""]
    return lines + [f"- {name}: {why}" for name, why in left.items()]


def chart(path: Path, summary: dict, previous: dict | None, deltas: dict | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [m.name for m in METRICS if m.rate and isinstance(summary.get(m.name), (int, float))]
    if not keys:
        return
    labels = [label(k) for k in keys]
    fig, axes = plt.subplots(
        1, 2 if previous else 1, figsize=(13 if previous else 9, 0.45 * len(keys) + 1.5), squeeze=False
    )
    ax = axes[0][0]
    y = range(len(keys))
    colour = ["#b07030" if BY_NAME[k].better == "lower" else "#3070b0" for k in keys]
    if previous:
        ax.barh(
            [i + 0.2 for i in y], [previous.get(k) or 0 for k in keys], height=0.4, label="previous", color="#bbbbbb"
        )
        ax.barh([i - 0.2 for i in y], [summary[k] for k in keys], height=0.4, label="this run", color=colour)
        ax.legend(loc="lower right")
    else:
        ax.barh(list(y), [summary[k] for k in keys], color=colour)
    for i, k in enumerate(keys):  # every value is written, so a zero bar still shows
        ax.text(min(summary[k], 0.9) + 0.01, i - (0.2 if previous else 0), f"{summary[k]:.2f}", va="center", fontsize=8)
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_title(
        f"{set_name(summary['settings']['questions'])} ({summary['settings']['mode']}, n={summary['n']}); "
        "orange: lower is better",
        fontsize=10,
    )
    if previous:
        # a delta is coloured by whether it is an improvement: up for higher-is-better, down for lower-is-better
        changes = [(deltas or {}).get(k, 0.0) for k in keys]
        good = [(d >= 0) == (BY_NAME[k].better == "higher") for k, d in zip(keys, changes)]
        dx = axes[0][1]
        dx.barh(list(y), changes, color=["#2a8a2a" if g else "#b03030" for g in good])
        dx.axvline(0, color="black", linewidth=0.8)
        dx.set_yticks(list(y), labels)
        dx.invert_yaxis()
        dx.set_title("delta vs previous (green: better)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
