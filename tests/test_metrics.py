"""Eval metrics, question-file parsing and judge calibration: pure functions on hand-made cases (no model, no index)."""

from __future__ import annotations

import json

import pytest

from assistant.settings import datasets_dir
from assistant.eval import metrics as M
from assistant.errors import InputError
from assistant.eval.sets import flatten, load_questions, parse_question
from assistant.eval.judges import calibrate, calibration_pairs

from conftest import ROOT, write_jsonl

DATASETS = datasets_dir()
RGB_DEV = DATASETS / "rgb_en_fact" / "questions.dev.jsonl"
MULTIHOP_DEV = DATASETS / "multihop_rag" / "questions.dev.jsonl"
CLAIMS = ROOT / "evals" / "claims.jsonl"
needs_rgb = pytest.mark.skipif(not RGB_DEV.is_file(), reason="shared RGB data set not available")


# ------------------------------------------------------------------------------------------- answer matching


def test_normalize_lowercases_drops_punctuation_and_accents():
    assert M.normalize("Tampa, Florida!") == ["tampa", "florida"]
    assert M.normalize("São Paulo's MAYOR") == ["sao", "paulo", "s", "mayor"]
    assert M.normalize("U.S.-supplied") == ["u", "s", "supplied"]


@pytest.mark.parametrize(
    "answer, gold",
    [
        ("Maria Okafor\u2019s team won the tender [1].", "Okafor"),  # right single quote
        ("It was Okafor\u02bcs plan.", "Okafor"),  # modifier letter apostrophe
        ("The harbour\u2019s new crane, said Dr. Ilse Brandt\u2032s office", "Ilse Brandt"),  # prime
        ("Ilse Brandt's office confirmed it.", "Ilse Brandt\u2019s office"),  # curly gold, ASCII answer
        ("\u201cLindqvist\u201d, the harbour master, agreed.", "Lindqvist"),  # curly double quotes
        ("The works ran 1998\u20142004.", "2004"),  # em dash between years
        ("Her over\u00adtime claim failed.", "overtime"),  # a soft hyphen is invisible, not a break
        ("the price rose to \u20ac12\u202f500", "12,500"),  # euro sign; narrow no-break space as a thousands group
    ],
)
def test_normalize_treats_unicode_punctuation_like_its_ascii_kin(answer, gold):
    assert M.answer_correct(answer, [gold])


def test_normalize_splits_a_curly_possessive_like_a_straight_one():
    assert M.normalize("Okafor\u2019s") == M.normalize("Okafor's") == ["okafor", "s"]
    assert M.normalize("Brandt\u2026 Okafor") == ["brandt", "okafor"]  # an ellipsis parts words
    assert not M.answer_correct("Okaforson\u2019s team", ["Okafor"])  # still whole words only


@pytest.mark.parametrize("text", ["10,000", "10000", "10 000"])
def test_normalize_joins_thousands_groups(text):
    assert M.normalize(f"over {text} troops") == ["over", "10000", "troops"]


def test_normalize_keeps_a_year_and_a_following_count_apart():
    assert M.normalize("1,000,000 people") == ["1000000", "people"]
    assert M.normalize("In 2021 100 people came") == ["in", "2021", "100", "people", "came"]
    assert M.normalize("May 15, 2012") == ["may", "15", "2012"]


@pytest.mark.parametrize(
    "answer, gold, expected",
    [
        ("Over 10,000 North Korean troops [2].", "10000", True),
        ("Over 10000 North Korean troops.", "10,000", True),
        ("over 10 000 troops", "10,000", True),
        ("The answer is NO.", "no", True),
        ("That is not what happened.", "no", False),  # 'no' is not in 'not'
        ("Nothing was said.", "no", False),
        ("It was played in Tampa, Florida.", "tampa florida", True),
        ("It was played in TAMPA FLORIDA", "Tampa, Florida", True),
        ("Florida, Tampa", "Tampa, Florida", False),  # in order
        ("Tampa is in Florida", "Tampa, Florida", False),  # contiguous
        ("In 2021 100 people attended", "100 people", True),
        ("In 2021, 100 people attended", "100 people", True),
        ("anything", "", False),
        ("anything", "!!", False),  # a gold with no tokens matches nothing
    ],
)
def test_contains(answer, gold, expected):
    assert M.contains(answer, gold) is expected


def test_answer_correct_with_several_golds():
    golds = ["Army Tactical Missile System", "ATACMS"]
    assert M.answer_correct("It is the ATACMS [1].", golds)
    assert M.answer_correct("the army tactical missile system", golds)
    assert not M.answer_correct("A tactical system of the army", golds)
    assert not M.answer_correct("anything", [])


@pytest.mark.parametrize(
    "answer, gold, expected",
    [
        # the verdict is the answer's first yes/no word: a later "no" does not make a "Yes." answer right for "no"
        ("Yes. The Verge reports: there was no alternative [1].", "no", False),
        ("Yes. The Verge reports: there was no alternative [1].", "yes", True),
        ("No. The Verge reports: yes, it was [1].", "no", True),
        ("No. The Verge reports: yes, it was [1].", "Yes", False),
        ("The Verge reports: no alternative existed [1].", "no", True),  # no "yes" before it: the verdict is "no"
        ("The Verge reports the deal [1].", "no", False),  # no verdict at all
        ("The Verge reports the deal [1].", "yes", False),
        # gold variants of yes and no
        ("Yes, both show it [1].", "True", True),
        ("No, only one does [1].", "True", False),
        ("No [2].", "false", True),
        ("Yes, both articles agree [1].", "Agree", True),
        ("No, they present different strategies [1].", "agree", False),
        ("That is not true [1].", "false", True),  # "not true" is a no
        # consistent / inconsistent: the first of the two in the answer
        ("Consistent: both say it [1].", "Consistent", True),
        ("Inconsistent: one says it, one is consistent with the other [1].", "Consistent", False),
        ("Consistent, not inconsistent [1].", "inconsistent", False),
    ],
)
def test_a_verdict_gold_is_judged_by_the_answers_verdict(answer, gold, expected):
    assert M.answer_correct(answer, [gold]) is expected


def test_a_gold_that_is_no_verdict_is_still_matched_anywhere():
    assert M.answer_correct("It was Polygon [2], not The Verge.", ["Polygon"])
    assert M.answer_correct("Yes. It was Sam Bankman-Fried [1].", ["Sam Bankman-Fried"])
    assert M.gold_verdict("Sam Bankman-Fried") is None and M.gold_verdict("no way") is None
    assert M.is_verdict(["Yes"]) and M.is_verdict(["no", "False"]) and not M.is_verdict(["no", "Polygon"])
    assert not M.is_verdict([])


def test_token_f1_by_hand():
    # answer tokens: the cat sat; gold: cat sat down → 2 common, P = 2/3, R = 2/3, F1 = 2/3
    assert M.token_f1("The cat sat.", ["cat sat down"]) == pytest.approx(2 / 3)
    # answer: a b c d; gold: a b → P = 2/4, R = 1, F1 = 2·0.5·1 / 1.5 = 2/3
    assert M.token_f1("a b c d", ["a b"]) == pytest.approx(2 / 3)
    # repeated tokens count once per occurrence in both: answer a a b, gold a b b → common {a:1, b:1} = 2, P = R = 2/3
    assert M.token_f1("a a b", ["a b b"]) == pytest.approx(2 / 3)
    # the best gold wins; an exact one is 1
    assert M.token_f1("10,000 troops", ["nothing here", "10000 troops"]) == 1.0
    assert M.token_f1("a b c d", ["x", "a", "a b"]) == pytest.approx(2 / 3)  # 'a' alone: P=1/4, R=1 → 0.4
    assert M.token_f1("a b c d", ["a"]) == pytest.approx(0.4)
    assert M.token_f1("nothing shared", ["other words"]) == 0.0
    assert M.token_f1("", ["x"]) == 0.0
    assert M.token_f1("x", []) == 0.0


# ------------------------------------------------------------------------------------------- citations (ALCE)


def word_judge(claim: str, passages: list[str]) -> bool:
    """Supported when every word of the claim occurs among the passages' words (together)."""
    have = set(" ".join(passages).split())
    return all(w in have for w in claim.split())


PASSAGES = {1: "alpha", 2: "beta", 3: "gamma", 4: "alpha beta"}


def test_citation_recall_and_precision_single_citations():
    out = M.citation_scores([("alpha", [1]), ("beta", [2])], PASSAGES, word_judge)
    assert out == {"citation_recall": 1.0, "citation_precision": 1.0}
    # a sentence citing a passage that does not support it: not recalled, its citation not precise
    out = M.citation_scores([("alpha", [1]), ("beta", [3])], PASSAGES, word_judge)
    assert out == {"citation_recall": 0.5, "citation_precision": 0.5}


def test_citations_needed_together_are_all_precise():
    # 'alpha beta' needs [1] and [2] together: neither alone supports it, and neither can be dropped
    out = M.citation_scores([("alpha beta", [1, 2])], PASSAGES, word_judge)
    assert out == {"citation_recall": 1.0, "citation_precision": 1.0}


def test_an_irrelevant_extra_citation_lowers_precision_not_recall():
    # [3] alone does not support 'alpha', and [1] supports it without [3]: [3] is irrelevant → precision 1/2
    out = M.citation_scores([("alpha", [1, 3])], PASSAGES, word_judge)
    assert out == {"citation_recall": 1.0, "citation_precision": 0.5}
    # two citations that each support the sentence alone are both precise
    assert M.citation_scores([("alpha", [1, 4])], PASSAGES, word_judge)["citation_precision"] == 1.0


def test_a_sentence_without_citation_has_recall_zero():
    out = M.citation_scores([("alpha", [])], PASSAGES, word_judge)
    assert out == {"citation_recall": 0.0}  # no citations at all: precision is undefined, not 0 or 1


def test_citation_scores_over_several_sentences():
    sentences = [("alpha", [1]), ("alpha beta", [1, 2]), ("alpha", [1, 3]), ("alpha", []), ("delta", [2])]
    out = M.citation_scores(sentences, PASSAGES, word_judge)
    # recalled: 1st, 2nd, 3rd of 5; precise citations: 1 + 2 + 1 + 0 + 0 of 1 + 2 + 2 + 0 + 1 = 6
    assert out["citation_recall"] == pytest.approx(3 / 5)
    assert out["citation_precision"] == pytest.approx(4 / 6)
    assert M.citation_scores([], PASSAGES, word_judge) == {}


@pytest.mark.parametrize(
    "relevant, expected",
    [
        ([True, False, False], 1.0),
        ([False, True], 1 / 2),
        ([True, False, True], (1 / 1 + 2 / 3) / 2),  # RAGAS: precision@k at each relevant rank, averaged
        ([False, False], 0.0),
        ([], 0.0),
    ],
)
def test_context_precision_by_hand(relevant, expected):
    assert M.context_precision(relevant) == pytest.approx(expected)


def test_faithfulness_is_the_share_of_supported_claims():
    context = ["alpha beta", "gamma"]
    assert M.faithfulness(["alpha", "gamma", "delta", "alpha gamma"], context, word_judge) == pytest.approx(3 / 4)
    assert M.faithfulness(["delta"], context, word_judge) == 0.0
    assert M.faithfulness([], context, word_judge) is None


# ------------------------------------------------------------------------------------------- retrieval (MultiHop-RAG)


def test_retrieval_scores_match_facts_ignoring_spaces_and_newlines():
    facts = ["The bridge reopened on Saturday.", "312 steel cables"]
    ranked = [
        "unrelated text",
        "News: The bridge\nreopened on   Saturday. More.",  # fact 1, broken by a newline and extra spaces
        "still unrelated",
        "also unrelated",
        "Engineers replaced 312 steel\n cables",  # fact 2 at rank 5
        "x",
    ]
    out = M.retrieval_scores(ranked, facts)
    # hits@4 and hits@10: a gold fact is in the top 4 (rank 2); relevant ranks 2 and 5, one new fact each →
    # AP = (1/2 + 1/5) / 2 (MultiHop-RAG's script); MRR = 1/2; both facts found in the top 10, one in the top 4
    assert out == pytest.approx(
        {
            "hits@4": 1.0,
            "hits@10": 1.0,
            "map@10": (1 / 2 + 1 / 5) / 2,
            "mrr@10": 0.5,
            "evidence_recall@4": 0.5,
            "evidence_recall@10": 1.0,
            "all_evidence@10": 1.0,
        }
    )


def test_retrieval_scores_perfect_and_missing():
    facts = ["alpha fact", "beta fact"]
    # one new fact at rank 1 (1/1) and one at rank 2 (1/2): AP = 1.5 / 2, as MultiHop-RAG's script computes it
    assert M.retrieval_scores(["alpha fact here", "beta fact here"], facts) == {
        "hits@4": 1.0,
        "hits@10": 1.0,
        "map@10": 0.75,
        "mrr@10": 1.0,
        "evidence_recall@4": 1.0,
        "evidence_recall@10": 1.0,
        "all_evidence@10": 1.0,
    }
    assert M.retrieval_scores(["alpha fact and beta fact"], facts)["map@10"] == 1.0
    assert M.retrieval_scores(["nothing", "here"], facts) == {
        "hits@4": 0.0,
        "hits@10": 0.0,
        "map@10": 0.0,
        "mrr@10": 0.0,
        "evidence_recall@4": 0.0,
        "evidence_recall@10": 0.0,
        "all_evidence@10": 0.0,
    }
    # one of two facts in the top 10: half the evidence, not all of it
    assert M.retrieval_scores(["alpha fact"], facts)["all_evidence@10"] == 0.0
    assert M.retrieval_scores(["alpha fact"], []) == {}


def test_retrieval_scores_only_look_at_the_top_ten():
    ranked = [f"filler {i}" for i in range(10)] + ["alpha fact"]
    assert M.retrieval_scores(ranked, ["alpha fact"]) == {
        "hits@4": 0.0,
        "hits@10": 0.0,
        "map@10": 0.0,
        "mrr@10": 0.0,
        "evidence_recall@4": 0.0,
        "evidence_recall@10": 0.0,
        "all_evidence@10": 0.0,
    }
    ranked = [f"filler {i}" for i in range(9)] + ["alpha fact"]
    out = M.retrieval_scores(ranked, ["alpha fact"])
    assert out["hits@4"] == 0.0 and out["hits@10"] == 1.0 and out["mrr@10"] == pytest.approx(0.1)
    assert out["map@10"] == pytest.approx(0.1)


def test_a_fact_repeated_in_overlapping_chunks_counts_once():
    # overlapping chunks can both hold one short fact: AP must stay within [0, 1]
    out = M.retrieval_scores(["... the alpha fact ...", "the alpha fact again", "beta"], ["alpha fact"])
    assert out == {
        "hits@4": 1.0,
        "hits@10": 1.0,
        "map@10": 1.0,
        "mrr@10": 1.0,
        "evidence_recall@4": 1.0,
        "evidence_recall@10": 1.0,
        "all_evidence@10": 1.0,
    }
    # two facts, the first one repeated at rank 2, the second at rank 3: new facts at ranks 1 and 3 → (1 + 1/3) / 2
    out = M.retrieval_scores(["alpha fact", "alpha fact", "beta fact"], ["alpha fact", "beta fact"])
    assert out["map@10"] == pytest.approx((1 + 1 / 3) / 2)


def test_percentile_interpolates():
    assert M.percentile([4, 1, 3, 2], 0.5) == pytest.approx(2.5)
    assert M.percentile([1, 2, 3, 4], 0.95) == pytest.approx(3.85)  # position 2.85 between 3 and 4
    assert M.percentile([1, 2, 3, 4], 0.0) == 1 and M.percentile([1, 2, 3, 4], 1.0) == 4
    assert M.percentile([7.0], 0.95) == 7.0
    assert M.percentile([], 0.5) is None


def test_mean_skips_none():
    assert M.mean([1.0, None, 0.0]) == 0.5
    assert M.mean([None]) is None


def test_flags_conflict():
    assert M.flags_conflict("The passages contain factual errors: it was Tampa [1].")
    assert M.flags_conflict("That claim is not true.")
    assert not M.flags_conflict("It was played in Glendale, Arizona [1].")


# ------------------------------------------------------------------------------------------- question files


def test_rgb_nested_answers_are_flattened():
    assert flatten([["May 15 2012", "May 15, 2012"], "15 May 2012"]) == ["May 15 2012", "May 15, 2012", "15 May 2012"]
    assert flatten(None) == [] and flatten(2012) == ["2012"]
    q = parse_question(
        {
            "id": "r",
            "question": "When?",
            "answers": [["May 15 2012", "May 15, 2012"]],
            "positive": ["p1", "p2"],
            "negative": ["n1"],
            "counterfactual": ["c1"],
            "fake_answer": "May 1, 2002",
        },
        "f:1",
    )
    assert q.answers == ["May 15 2012", "May 15, 2012"] and not q.unanswerable
    assert (q.positive, q.negative, q.counterfactual, q.fake_answers) == (["p1", "p2"], ["n1"], ["c1"], ["May 1, 2002"])


@needs_rgb
def test_real_rgb_file_parses_with_flat_answers():
    qs = load_questions(RGB_DEV)
    assert len(qs) == 60
    q19 = next(q for q in qs if q.id == "rgb-19")  # answers [[ 'May 15 2012', 'May 15, 2012', ... ]]
    assert "May 15, 2012" in q19.answers and all(isinstance(a, str) for a in q19.answers)
    assert all(q.answers and not q.unanswerable and q.positive and q.fake_answers for q in qs)
    assert len(load_questions(RGB_DEV, limit=3)) == 3


@pytest.mark.parametrize(
    "record, unanswerable, answers",
    [
        ({"question": "q?", "answers": ["Insufficient information."]}, True, []),  # MultiHop null query
        ({"question": "q?", "answers": ["insufficient information"]}, True, []),
        ({"question": "q?", "answers": ["yes"], "unanswerable": True}, True, []),
        ({"question": "q?", "answers": []}, True, []),
        ({"question": "q?"}, True, []),
        ({"question": "q?", "answers": ["", "  "]}, True, []),
        ({"question": "q?", "answer": "Tampa"}, False, ["Tampa"]),
        ({"question": "q?", "answers": ["no"]}, False, ["no"]),
    ],
)
def test_unanswerable_questions(record, unanswerable, answers):
    q = parse_question(record, "f:1")
    assert q.unanswerable is unanswerable and q.answers == answers
    assert q.gold()["unanswerable"] is unanswerable


def test_question_type_and_evidence():
    q = parse_question(
        {
            "id": "m",
            "question": "q?",
            "answers": ["x"],
            "question_type": "inference_query",
            "evidence": [{"title": "t", "fact": "fact one"}, {"title": "no fact"}, "fact two"],
        },
        "f:1",
    )
    assert q.type == "inference" and q.evidence == ["fact one", "fact two"]
    assert parse_question({"question": "q?", "type": "multi"}, "f:1").type == "multi"
    assert parse_question({"question": "q?"}, "f:1").type == ""
    assert parse_question({"question": "  q?  "}, "f:7").id == "f:7"  # no id: the file position names it


def test_multihop_file_types():
    if not MULTIHOP_DEV.is_file():
        pytest.skip("shared MultiHop-RAG data set not available")
    qs = load_questions(MULTIHOP_DEV)
    assert {q.type for q in qs} == {"inference", "comparison", "temporal", "null"}
    assert all(q.unanswerable and not q.answers for q in qs if q.type == "null")
    assert all(q.evidence and not q.unanswerable for q in qs if q.type != "null")


def test_malformed_line_names_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "q?", "answers": ["x"]}\n\n{"id": "b", "question": \n')
    with pytest.raises(InputError, match=r"q\.jsonl:3: invalid JSON"):
        load_questions(path)


def test_a_line_without_question_is_an_input_error(tmp_path):
    path = write_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": "q?"}, {"id": "b", "answers": ["x"]}])
    with pytest.raises(InputError, match=r"q\.jsonl:2: .*'question'"):
        load_questions(path)
    path.write_text('["not", "an", "object"]\n')
    with pytest.raises(InputError, match=r"q\.jsonl:1"):
        load_questions(path)


def test_duplicate_ids_are_an_input_error(tmp_path):
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [{"id": "a", "question": "q1?"}, {"id": "b", "question": "q2?"}, {"id": "a", "question": "q3?"}],
    )
    with pytest.raises(InputError, match=r"q\.jsonl:3: duplicate question id 'a'"):
        load_questions(path)
    assert [q.id for q in load_questions(path, limit=2)] == ["a", "b"]  # --limit stops before the duplicate


def test_missing_or_empty_question_file(tmp_path):
    with pytest.raises(InputError, match="no such question file"):
        load_questions(tmp_path / "absent.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(InputError, match="no questions"):
        load_questions(tmp_path / "empty.jsonl")


def test_seed_file_matches_its_readme():
    qs = load_questions(ROOT / "evals" / "seed.jsonl")
    assert len(qs) == 44
    assert sum(q.unanswerable for q in qs) == 14
    assert {q.type for q in qs} == {"single", "multi", "unanswerable"}
    assert all(q.evidence for q in qs if not q.unanswerable)
    article = next((ROOT / "seeds").glob("*.txt")).read_text(encoding="utf-8")
    assert all(f in article for q in qs for f in q.evidence)


# ------------------------------------------------------------------------------------------- judge calibration

HAND_LABELS = {
    "verbatim": True,
    "paraphrase": True,
    "wrong_number": False,
    "wrong_entity": False,
    "not_in_passage": False,
    "negation": False,
}


def test_calibration_pairs_from_hand_labels():
    pairs = calibration_pairs(CLAIMS, None)
    assert len(pairs) == 44
    kinds = {}
    for p in pairs:
        kind = p["origin"].removeprefix("hand:")
        assert p["supported"] is HAND_LABELS[kind], p
        assert p["passages"] and all(isinstance(x, str) for x in p["passages"])
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds == {
        "verbatim": 10,
        "paraphrase": 10,
        "wrong_number": 6,
        "wrong_entity": 6,
        "not_in_passage": 6,
        "negation": 6,
    }
    assert sum(p["supported"] for p in pairs) == 20


@needs_rgb
def test_calibration_pairs_from_rgb():
    raw = [json.loads(line) for line in RGB_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = calibration_pairs(None, RGB_DEV)
    by_origin: dict[str, list[dict]] = {}
    for p in pairs:
        by_origin.setdefault(p["origin"], []).append(p)
    assert set(by_origin) == {"rgb:gold/positive", "rgb:fake/positive", "rgb:gold/negative"}

    gold_pos = by_origin["rgb:gold/positive"]
    assert len(gold_pos) == len(raw) == 60
    for p, r in zip(gold_pos, raw):
        gold = flatten(r["answers"])[0]
        assert p["supported"] is True and p["passages"] == r["positive"] and p["question"] == r["question"]
        assert p["claim"] == f"{r['question']}: {gold}."

    for p in by_origin["rgb:fake/positive"]:  # the fake answer is never in the positives it is checked against
        r = next(r for r in raw if r["question"] == p["question"])
        assert p["supported"] is False and p["passages"] == r["positive"]
        fake = p["claim"][len(r["question"]) + 2 : -1]
        assert fake in flatten(r["fake_answer"]) and not any(M.contains(x, fake) for x in r["positive"])

    # gold over negatives: not supported, and skipped where RGB's negatives hold the answer after all
    leaky = [r for r in raw if any(M.contains(n, a) for n in r["negative"] for a in flatten(r["answers"]))]
    assert leaky, "the data set has questions whose negatives hold the answer; this test relies on it"
    gold_neg = by_origin["rgb:gold/negative"]
    assert len(gold_neg) == len(raw) - len(leaky)
    for p in gold_neg:
        r = next(r for r in raw if r["question"] == p["question"])
        assert p["supported"] is False and p["passages"] == r["negative"] and r not in leaky

    assert len(calibration_pairs(CLAIMS, RGB_DEV)) == 44 + len(pairs)
    assert {p["question"] for p in calibration_pairs(None, RGB_DEV, rgb_limit=2)} == {
        raw[0]["question"],
        raw[1]["question"],
    }


class SubstringJudge:
    """Says 'supported' when a marker word is in the claim; counts its calls."""

    name = "fake"
    model = "substring"

    def __init__(self, marker="yes"):
        self.marker = marker
        self.calls = 0

    def supports(self, claim, passages, question=""):
        self.calls += 1
        return self.marker in claim


CALIBRATION = [
    {"claim": "yes one", "passages": ["p"], "supported": True, "origin": "a"},  # TP
    {"claim": "yes two", "passages": ["p"], "supported": False, "origin": "a"},  # FP
    {"claim": "no three", "passages": ["p"], "supported": True, "origin": "b"},  # FN
    {"claim": "no four", "passages": ["p"], "supported": False, "origin": "b"},  # TN
    {"claim": "yes five", "passages": ["p"], "supported": True, "origin": "b"},  # TP
]


def test_calibrate_by_hand(tmp_path):
    judge = SubstringJudge()
    out = calibrate(judge, CALIBRATION)
    # TP 2, FP 1, FN 1, TN 1 → accuracy 3/5, precision 2/3, recall 2/3
    assert out["judge_accuracy"] == pytest.approx(3 / 5)
    assert out["judge_precision"] == pytest.approx(2 / 3)
    assert out["judge_recall"] == pytest.approx(2 / 3)
    assert out["judge_n"] == 5
    assert out["judge_accuracy_by_origin"] == pytest.approx({"a": 1 / 2, "b": 2 / 3})
    assert calibrate(judge, []) == {}

    never = calibrate(SubstringJudge(marker="zzz"), CALIBRATION)  # says 'not supported' to everything
    assert never["judge_accuracy"] == pytest.approx(2 / 5)
    assert never["judge_precision"] == 0.0 and never["judge_recall"] == 0.0


def test_calibrate_caches_by_judge_and_pairs(tmp_path):
    judge = SubstringJudge()
    first = calibrate(judge, CALIBRATION, tmp_path)
    assert judge.calls == 5 and len(list((tmp_path / "judge").glob("*.json"))) == 1
    assert calibrate(judge, CALIBRATION, tmp_path) == first and judge.calls == 5  # from the cache
    calibrate(judge, CALIBRATION[:4], tmp_path)  # other pairs: measured again
    assert judge.calls == 9


@needs_rgb
def test_calibrate_on_the_real_pairs_with_a_yes_judge():
    pairs = calibration_pairs(CLAIMS, RGB_DEV)
    supported = sum(p["supported"] for p in pairs)
    out = calibrate(SubstringJudge(marker=""), pairs)  # '' is in every claim: always 'supported'
    assert out["judge_n"] == len(pairs)
    assert out["judge_accuracy"] == pytest.approx(supported / len(pairs))
    assert out["judge_precision"] == pytest.approx(supported / len(pairs))
    assert out["judge_recall"] == 1.0
    assert out["judge_accuracy_by_origin"]["hand:verbatim"] == 1.0
    assert out["judge_accuracy_by_origin"]["hand:negation"] == 0.0
