"""Topic folds for a question set: questions about one story, event or entity go to the same fold, so a change
written while looking at some folds can be measured on folds whose topics it has not seen.

    python -m assistant.eval.make_folds QUESTIONS.jsonl OUT.json [--k 5] [--seen 0,1] [--links LINKS.json]

Deterministic (no randomness, no model): the same file gives the same folds.

1. Each question gets keys, from the strongest to the weakest tier: hand-written links (``--links``: a JSON list of
   id lists, each a topic the automatic keys miss, e.g. "the Oscars" and "the Academy Awards"); the evidence
   sentences it cites; the articles it cites (title or url); the names in its text (runs of capitalised words;
   numbers and years dropped, so "Pixel 6" and "Pixel 5a" are one product line), matched case-insensitively in
   every question of the set. Names that are news sources (an evidence ``source``) or calendar words are not keys.
2. Questions sharing a key are joined (union-find), tier by tier and, within a tier, the most specific key (the one
   shared by fewest questions) first; a join that would make a group larger than ``cap`` (1.15 × n / k) is skipped
   and counted as a leak, so one over-connected hub (a roundup article, "Google") cannot swallow the set.
3. The groups are dealt to k folds, largest first, each to the fold that keeps sizes and question types most even;
   then single groups move between folds while that makes sizes and types more even.

The output holds ids and folds only (no question text), the fold sizes and types, and the keys left spanning folds.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# words that start a question or are capitalised for other reasons: never a name on their own
FUNCTION_WORDS = set(
    """a an the and or but of in on at to for from by with about as after before between during into over under
    who whom whose what which when where why how is are was were be been being do does did done has have had will
    would can could should shall may might must not no yes if then than that this these those there it its they
    their them he his she her we our you your i me my according considering based following given while both
    either neither each all any some other another same such only also more most less least one two three first
    second last new""".split()
)
CALENDAR = set(
    """january february march april may june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday week
    weekend month year q1 q2 q3 q4""".split()
)
# titles capitalised before a name ("the CEO of Lego"): the name is the key, not the office
TITLES = {"ceo", "president", "director", "chairman", "chair", "founder", "chief", "head", "minister"}
CONNECTORS = {"of", "de", "the", "v.", "vs.", "&"}
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'.&\-]*")
TIERS = ("link", "fact", "article", "name")


@dataclass
class Question:
    id: str
    text: str
    type: str
    full: str = ""  # the text names are matched in (a follow-up: with the turn before it and its rewrite)
    keys: dict[str, set[str]] = field(default_factory=dict)  # tier → keys


def _clean(token: str) -> str:
    token = token.rstrip(".") if not re.fullmatch(r"(?:[A-Za-z]\.)+", token) else token
    return re.sub(r"[’']s$", "", token).rstrip("’'")


def _is_cap(token: str, first: bool) -> bool:
    if not token or not token[0].isupper():
        return False
    return not (first and token.lower() in FUNCTION_WORDS)


def _name_key(run: list[str], stop: set[str]) -> str | None:
    while run and run[-1].lower() in CONNECTORS:
        run = run[:-1]
    words = [w for w in run if not w.isdigit()]
    key = " ".join(words).lower().removeprefix("the ")
    if not words or is_source(key, stop) or all(w.lower() in FUNCTION_WORDS | CALENDAR for w in words):
        return None
    return key


def names(text: str, stop: set[str]) -> set[str]:
    """Runs of capitalised words (joined across "of", "de", "the", "v."), lowercased, numbers and years dropped:
    "the Legend of Zelda: Breath of the Wild" → {"legend of zelda", "breath of the wild"}; "Pixel 6" → {"pixel"}."""
    runs: list[list[str]] = []
    for sentence in re.split(r"(?<=[a-z0-9][?.!])\s+|(?<=[?!])\s+|[,;:|\"“”()\[\]]|\s[-–—]\s", text):
        run: list[str] = []
        for i, tok in enumerate(_clean(t) for t in TOKEN.findall(sentence)):
            if _is_cap(tok, i == 0) and tok.lower() not in TITLES:
                run.append(tok)
            elif run and (tok.lower() in CONNECTORS or tok.isdigit()):
                run.append(tok)
            else:
                runs.append(run)
                run = []
        runs.append(run)
    return {key for run in runs if (key := _name_key(run, stop))}


def is_source(name: str, sources: set[str]) -> bool:
    """A news source's name, or words of one ("BBC" or "Life and Style" of "The Independent - Life and Style"),
    is not a topic."""
    return any(f" {name} " in f" {s} " for s in sources)


def words_of(text: str) -> str:
    return " " + " ".join(_clean(t).lower() for t in TOKEN.findall(text)) + " "


def question_type(record: dict) -> str:
    given = record.get("question_type") or record.get("type") or record.get("kind")
    if given:
        return str(given).removesuffix("_query")
    first = (TOKEN.findall(record.get("question", "")) or ["other"])[0].lower()
    return first if first in {"who", "what", "when", "which", "how", "where"} else "other"


def load(path: Path, links: list[list[str]], corpus: Path | None = None) -> list[Question]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    stop = {str(e.get("source", "")) for r in records for e in r.get("evidence") or [] if isinstance(e, dict)}
    stop |= {str(s) for r in records for s in r.get("sources", [])}
    if corpus:  # the news sources of the corpus the questions are asked over
        stop |= {str(json.loads(x).get("source") or "") for x in corpus.read_text(encoding="utf-8").splitlines() if x}
    stop = {" ".join(TOKEN.findall(s)).lower().removeprefix("the ") for s in stop} - {""}
    questions = []
    for r in records:
        text = r.get("question") or r.get("followup") or ""
        context = " ".join(str(r.get(k) or "") for k in ("previous", "standalone"))
        q = Question(str(r["id"]), text, question_type(r), f"{text} {context}", {t: set() for t in TIERS})
        for e in r.get("evidence") or []:
            if isinstance(e, dict):
                if e.get("fact"):
                    q.keys["fact"].add(re.sub(r"\s+", "", e["fact"]))
                for k in ("url", "title"):
                    if e.get(k):
                        q.keys["article"].add(e[k])
        q.keys["article"].update(str(a) for a in r.get("articles", []))
        q.keys["name"] = names(q.full, stop)
        questions.append(q)
    ids = {q.id for q in questions}
    for n, group in enumerate(links):
        unknown = [i for i in group if i not in ids]
        if unknown:
            raise SystemExit(f"--links: unknown question id {unknown[0]}")
        for q in questions:
            if q.id in group:
                q.keys["link"].add(f"link-{n}")
    # a name is matched in every question that holds its words ("xenoblade chronicles" in a lowercase question)
    every = sorted({k for q in questions for k in q.keys["name"]})
    for q in questions:
        text = words_of(q.full)
        q.keys["name"] |= {k for k in every if f" {k} " in text}
    return questions


class Groups:
    def __init__(self, ids: list[str]):
        self.parent = {i: i for i in ids}
        self.size = dict.fromkeys(ids, 1)

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str, cap: int) -> bool | None:
        """True: joined; None: already one group; False: refused (the group would pass the cap)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if self.size[ra] + self.size[rb] > cap:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size.pop(rb)
        return True


def group(questions: list[Question], cap: int, broad: int) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Question id → group id, and per tier the keys whose joins the cap refused (their questions may span folds);
    a name held by more than ``broad`` questions ("Google", "AI") is a field, not a story, and joins nothing
    (listed under "too_broad")."""
    g = Groups([q.id for q in questions])
    refused: dict[str, list[str]] = defaultdict(list)
    for tier in TIERS:
        holders: dict[str, list[str]] = defaultdict(list)
        for q in questions:
            for k in q.keys[tier]:
                holders[k].append(q.id)
        for key in sorted(holders, key=lambda k: (len(holders[k]), k)):
            ids = holders[key]
            if len(ids) < 2:
                continue
            if tier == "name" and len(ids) > broad:
                refused["too_broad"].append(key)
                continue
            if False in [g.join(ids[0], other, cap) for other in ids[1:]]:
                refused[tier].append(key)
    return {q.id: g.find(q.id) for q in questions}, refused


def imbalance(sizes: list[int], types: list[Counter], target: float, type_targets: dict[str, float]) -> float:
    cost = sum((s - target) ** 2 for s in sizes)
    cost += sum((c[t] - tt) ** 2 for c in types for t, tt in type_targets.items())
    return cost


def deal(questions: list[Question], group_of: dict[str, str], k: int) -> dict[str, int]:
    members: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        members[group_of[q.id]].append(q)
    groups = sorted(members, key=lambda g: (-len(members[g]), g))
    counts = {g: Counter(q.type for q in members[g]) for g in groups}
    target = len(questions) / k
    all_types = Counter(q.type for q in questions)
    type_targets = {t: n / k for t, n in all_types.items()}
    fold_of: dict[str, int] = {}
    sizes = [0] * k
    types: list[Counter] = [Counter() for _ in range(k)]

    def cost_with(g: str, f: int, sign: int = 1) -> float:
        s = list(sizes)
        ts = [Counter(c) for c in types]
        s[f] += sign * len(members[g])
        ts[f].update({t: sign * n for t, n in counts[g].items()})
        return imbalance(s, ts, target, type_targets)

    for g in groups:  # largest first, each to the fold that keeps things most even
        f = min(range(k), key=lambda f: (cost_with(g, f), f))
        fold_of[g] = f
        sizes[f] += len(members[g])
        types[f].update(counts[g])
    improved = True
    while improved:  # single groups move while that makes sizes and types more even
        improved = False
        for g in groups:
            here = fold_of[g]
            now = imbalance(sizes, types, target, type_targets)
            best, best_cost = here, now
            for f in range(k):
                if f == here:
                    continue
                sizes[here] -= len(members[g])
                types[here].subtract(counts[g])
                sizes[f] += len(members[g])
                types[f].update(counts[g])
                c = imbalance(sizes, types, target, type_targets)
                sizes[f] -= len(members[g])
                types[f].subtract(counts[g])
                sizes[here] += len(members[g])
                types[here].update(counts[g])
                if c < best_cost - 1e-9:
                    best, best_cost = f, c
            if best != here:
                sizes[here] -= len(members[g])
                types[here].subtract(counts[g])
                sizes[best] += len(members[g])
                types[best].update(counts[g])
                fold_of[g] = best
                improved = True
    return {q.id: fold_of[group_of[q.id]] for q in questions}


def seen_first(questions: list[Question], fold: dict[str, int], k: int, m: int) -> dict[str, int]:
    """Renumber the folds so that 0..m-1 are the m folds whose question types together are closest to the whole
    set's mix (what developers look at should look like the rest), ties to the lower fold numbers."""
    from itertools import combinations

    n = len(questions)
    whole = Counter(q.type for q in questions)

    def distance(combo: tuple[int, ...]) -> float:
        picked = [q for q in questions if fold[q.id] in combo]
        mix = Counter(q.type for q in picked)
        return sum(abs(mix[t] / max(1, len(picked)) - whole[t] / n) for t in whole) + abs(len(picked) / n - m / k)

    best = min(combinations(range(k), m), key=lambda c: (round(distance(c), 9), c))
    order = list(best) + [f for f in range(k) if f not in best]
    new = {old: i for i, old in enumerate(order)}
    return {qid: new[f] for qid, f in fold.items()}


def spanning(questions: list[Question], fold: dict[str, int]) -> dict[str, dict]:
    """Per tier: how many keys are held by questions in more than one fold, and how many question pairs share a key
    across folds (the leaks the cap or a weak link left)."""
    out: dict[str, dict] = {}
    for tier in TIERS:
        holders: dict[str, set[str]] = defaultdict(set)
        for q in questions:
            for key in q.keys[tier]:
                holders[key].add(q.id)
        keys = pairs = 0
        shared = 0
        examples = []
        for key, ids in sorted(holders.items()):
            if len(ids) < 2:
                continue
            shared += 1
            by_fold = Counter(fold[i] for i in ids)
            if len(by_fold) > 1:
                keys += 1
                n = len(ids)
                pairs += (n * (n - 1) - sum(c * (c - 1) for c in by_fold.values())) // 2
                if tier == "name":
                    examples.append((n, key))
        out[tier] = {"shared_keys": shared, "keys_across_folds": keys, "question_pairs_across_folds": pairs}
        if examples:
            out[tier]["widest_names_across_folds"] = [k for _, k in sorted(examples, key=lambda e: (-e[0], e[1]))[:8]]
    return out


def make_folds(
    path: Path,
    k: int,
    n_seen: int,
    links: list[list[str]],
    name: str,
    slack: float = 1.15,
    made_by: str = "",
    corpus: Path | None = None,
) -> dict:
    questions = load(path, links, corpus)
    cap = max(1, math.ceil(slack * len(questions) / k))
    broad = max(3, cap // 2)
    group_of, refused = group(questions, cap, broad)
    fold = seen_first(questions, deal(questions, group_of, k), k, n_seen)
    sizes = Counter(fold.values())
    types = {f: Counter(q.type for q in questions if fold[q.id] == f) for f in range(k)}
    return {
        "set": name,
        "k": k,
        "seen": list(range(n_seen)),
        "made_by": made_by or f"python -m assistant.eval.make_folds {name} OUT --k {k} --slack {slack}",
        "sizes": [sizes[f] for f in range(k)],
        "types": {str(f): dict(sorted(types[f].items())) for f in range(k)},
        "groups": len(set(group_of.values())),
        "cap": cap,
        "broad": broad,
        "joins_refused_by_cap": {t: len(v) for t, v in refused.items()},
        "across_folds": spanning(questions, fold),
        "folds": {q.id: fold[q.id] for q in questions},
    }


def read_links(path: Path) -> list[list[str]]:
    """``{"topic in words": [ids...], ...}`` (or a bare list of id lists)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [list(v) for v in (data.values() if isinstance(data, dict) else data)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.eval.make_folds", description=__doc__.split("\n\n")[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument(
        "--seen", type=int, default=2, help="how many folds developers may look at (numbered first: 0..N-1) [2]"
    )
    ap.add_argument("--links", type=Path, help="JSON list of id lists: topics the automatic keys miss")
    ap.add_argument("--slack", type=float, default=1.15, help="largest group, as a multiple of n / k")
    ap.add_argument("--sources-from", type=Path, help="a corpus .jsonl whose 'source' names are not topics")
    ap.add_argument("--name", help="the set's name in the output [the file's folder/stem]")
    args = ap.parse_args(argv)
    if not args.questions.is_file():
        print(f"{args.questions}: no such question file", file=sys.stderr)
        return 2
    links = read_links(args.links) if args.links else []
    name = args.name or f"{args.questions.parent.name}/{args.questions.stem}"
    shown = ["python -m assistant.eval.make_folds"] + [
        a if not Path(a).is_absolute() else f"{Path(a).parent.parent.name}/{Path(a).parent.name}/{Path(a).name}"
        for a in (argv if argv is not None else sys.argv[1:])
    ]
    if not 0 < args.seen < args.k:
        print("--seen: give a number of folds between 1 and k-1", file=sys.stderr)
        return 2
    result = make_folds(args.questions, args.k, args.seen, links, name, args.slack, " ".join(shown), args.sources_from)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {k: v for k, v in result.items() if k != "folds"}
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
