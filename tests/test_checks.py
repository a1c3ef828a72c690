"""Does the answer answer the question (asked.py)? Each rule: an answer that must pass and one that must be sent
back; then the pipeline acting on it (answer again from the passages that could answer, else refuse)."""

from __future__ import annotations

import pytest

from assistant.answer.checks import check_answer, could_answer, parse_question
from assistant.ingest.documents import make_document
from assistant.text.dates import split_date_stamp
from assistant.text import strip_citations
from assistant.types import Passage, SentenceCheck


def passages(*texts: str, published: tuple[str, ...] = ()) -> list[Passage]:
    dates = list(published) + [""] * len(texts)
    return [
        Passage(n, f"c{n}", f"d{n}", t, 1.0, {"published_at": dates[n - 1], "title": "t"})
        for n, t in enumerate(texts, 1)
    ]


def verdict(question: str, answer: str, cited: list[int], ps: list[Passage]):
    sentence = SentenceCheck(answer, strip_citations(answer), cited, True)
    return check_answer(parse_question(question), [sentence], ps, {p.n: p.text for p in ps})


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When was Diablo 3 released?", "date"),
        ("What is the premiere date of Grey's Anatomy Season 17?", "date"),
        ("In what year was OpenAI founded?", "year"),
        ("How much does a single ATACMS missile cost?", "money"),
        ("What was Tesla's revenue in Q1 2021?", "money"),
        ("How many North Korean troops have joined Russian forces?", "count"),
        ("Who is the director of the Assassin's Creed movie?", "name"),
        ("Where do the ferries stop at night?", ""),
        ("When do the night crossings end?", "date"),
        ("What does the acronym ATACMS stand for?", ""),
        ("What is the name of the U.S. official who spoke?", "name"),
        ("What is the name of the missile system?", ""),
    ],
)
def test_the_kind_of_value_a_question_asks_for(question, kind):
    assert parse_question(question).kind == kind


def test_years_the_question_states_as_its_own_and_not_since():
    assert parse_question("Who won the women's singles U.S. Open in 2021?").years == ("2021",)
    assert parse_question("Who has led the company since 2018?").years == ()
    assert parse_question("Who won the 2021 Tour de France?").winner
    assert not parse_question("Who was the runner-up of the 2018 World Cup?").winner


def test_a_distance_does_not_answer_how_many_missiles():
    ps = passages("The ATACMS has a range of approximately 190 miles. Ukraine fired 12 ATACMS missiles.")
    q = "How many ATACMS missiles has Ukraine fired?"
    bad = verdict(q, "The ATACMS has a range of approximately 190 miles [1].", [1], ps)
    assert bad.check == "kind" and "how many" in bad.reason
    assert verdict(q, "Ukraine fired 12 ATACMS missiles [1].", [1], ps).check == ""
    # a distance does answer "how many miles"
    assert verdict("How many miles can the ATACMS fly?", "About 190 miles [1].", [1], ps).check == ""


def test_a_cost_question_needs_an_amount_of_money():
    ps = passages("Each ATACMS missile costs about $1.5 million and has a range of 190 miles.")
    q = "How much does a single ATACMS missile cost?"
    assert verdict(q, "The ATACMS has a range of 190 miles [1].", [1], ps).check == "kind"
    assert verdict(q, "Each ATACMS missile costs about $1.5 million [1].", [1], ps).check == ""


def test_when_needs_a_date_and_who_a_name_the_question_does_not_give():
    ps = passages("Diablo III was released on May 15, 2012 by Blizzard Entertainment, to great acclaim.")
    assert verdict("When was Diablo 3 released?", "Diablo III was released to great acclaim [1].", [1], ps).check
    assert not verdict("When was Diablo 3 released?", "It was released on May 15, 2012 [1].", [1], ps).check
    # a time of day, a season or a relative time answers "when" too
    night = passages("Night crossings end at midnight instead of two in the morning.")
    assert not verdict("When do the night crossings end?", "Night crossings end at midnight [1].", [1], night).check
    who = "Who released Diablo 3?"
    assert verdict(who, "Diablo was released to great acclaim [1].", [1], ps).check == "kind"
    assert verdict(who, "Blizzard Entertainment released it [1].", [1], ps).check == ""


def test_a_year_the_question_states_must_be_the_cited_passage_s_own():
    ps = passages(
        "Emma Raducanu is the reigning champion and the No. 11 seed this year.",
        "Iga Swiatek has been world No. 1 since 2021.",
        "Emma Raducanu won the 2021 US Open women's singles title.",
        "The reigning champion, Emma Raducanu, arrived in New York.",
        published=("2022-08-29", "2023-01-01", "", "2021-09-11"),
    )
    q = "Who won the women's singles U.S. Open in 2021?"
    wrong_year = verdict(q, "Emma Raducanu is the reigning champion [1].", [1], ps)
    assert wrong_year.check == "year" and "2021" in wrong_year.reason
    assert verdict(q, "Iga Swiatek has been world No. 1 [2].", [2], ps).check == "year"  # "since 2021" is not "in"
    assert verdict(q, "Emma Raducanu won the 2021 US Open [3].", [3], ps).check == ""
    # published in 2021: the passage speaks of 2021
    assert verdict(q, "The reigning champion is Emma Raducanu [4].", [4], ps).check == ""
    assert [p.n for p in could_answer(parse_question(q), ps, {p.n: p.text for p in ps})] == [3, 4]


def test_who_won_is_not_answered_by_the_loser():
    ps = passages(
        "Alexander Zverev lost to Dominic Thiem in the final of the 2020 US Open.",
        "Dominic Thiem defeated Alexander Zverev in five sets to win the 2020 US Open.",
    )
    q = "Who won the men's singles U.S. Open in 2020?"
    lost = verdict(q, "Alexander Zverev won the 2020 US Open [1].", [1], ps)
    assert lost.check == "winner" and "Alexander" in lost.reason
    assert verdict(q, "Alexander Zverev won the 2020 US Open [2].", [2], ps).check == "winner"
    assert verdict(q, "Dominic Thiem won the 2020 US Open [2].", [2], ps).check == ""
    assert verdict(q, "Dominic Thiem won the 2020 US Open [1].", [1], ps).check == ""
    # a passage that names a player without saying who won does not answer "who won"
    played = passages("Serena Williams serves against Naomi Osaka in the first round of the 2020 US Open.")
    assert (
        "do not say Serena Williams won" in verdict(q, "Serena Williams won the 2020 US Open [1].", [1], played).reason
    )


def test_a_snippet_date_stamp_is_its_date_and_leaves_the_text():
    assert split_date_stamp("Sep 11, 2021 ... Emma Raducanu won the title.") == (
        "2021-09-11",
        "Emma Raducanu won the title.",
    )
    assert split_date_stamp("Jan. 22, 2021 · Super Bowl LV will be played in Tampa.")[0] == "2021-01-22"
    # a sentence that opens with a date is no stamp
    assert split_date_stamp("Feb 7, 2021, the game was played in Tampa.") == (
        "",
        "Feb 7, 2021, the game was played in Tampa.",
    )
    doc = make_document(__import__("pathlib").Path("x.jsonl"), "t", "Oct 2, 2021 ... The update arrived.", {"id": "a"})
    assert (doc.published_at, doc.text) == ("2021-10-02", "The update arrived.")
    # a record that gives another date keeps its text whole
    other = make_document(
        __import__("pathlib").Path("x.jsonl"), "t", "Oct 2, 2021 ... The update.", {"id": "b", "date": "2022-01-05"}
    )
    assert (other.published_at, other.text) == ("2022-01-05", "Oct 2, 2021 ... The update.")


class FirstPassageGenerator:
    """A model that answers with the first sentence of the first passage it is given (and cites it)."""

    name = "first"

    def __init__(self):
        self.prompts = []

    def stream(self, prompt):
        self.prompts.append(prompt)
        p = prompt.passages[0]
        yield p.text.split(". ")[0].rstrip(".") + f" [{p.n}]."


def test_an_answer_about_another_year_is_answered_again_from_the_passage_that_holds_the_year(make_assistant):
    gen = FirstPassageGenerator()
    a = make_assistant(generator=gen)
    ps = passages(
        "Rafael Nadal won the 2019 US Open men's singles title.",
        "Dominic Thiem won the 2020 US Open men's singles title.",
    )
    answer = a.answer("Who won the men's singles U.S. Open in 2020?", ps)
    assert len(gen.prompts) == 2 and [p.n for p in gen.prompts[1].passages] == [2]
    assert not answer.refused and "Dominic Thiem" in answer.answer and [c.n for c in answer.citations] == [2]
    assert answer.answer_check.check == "year" and answer.answer_check.retried_with == [2]
    assert "Rafael Nadal" in answer.answer_check.first_answer


def test_an_answer_no_passage_can_mend_is_withheld_and_kept(make_assistant):
    gen = FirstPassageGenerator()
    a = make_assistant(generator=gen)
    ps = passages("The ATACMS has a range of approximately 190 miles.", "Ukraine asked for more long-range missiles.")
    answer = a.answer("How many ATACMS missiles has Ukraine fired?", ps)
    assert answer.refused and answer.answer == "Insufficient information." and len(gen.prompts) == 1
    assert answer.answer_check.check == "kind"
    assert answer.unsupported == ["The ATACMS has a range of approximately 190 miles [1]."]
    # turned off, the same answer stands
    plain = make_assistant(generator=FirstPassageGenerator(), check_answers=False)
    assert not plain.answer("How many ATACMS missiles has Ukraine fired?", ps).refused


def test_passages_that_give_another_figure_for_the_asked_thing_are_flagged(make_assistant):
    a = make_assistant(generator=FirstPassageGenerator())
    ps = passages(
        "The ATACMS has a range of approximately 190 miles, officials said.",
        "Analysts note that the ATACMS range is 900 miles.",
        "A Storm Shadow missile has a range of 155 miles.",
    )
    answer = a.answer("What is the range of the ATACMS?", ps)
    assert not answer.refused and answer.answer.startswith(
        "The ATACMS has a range of approximately 190 miles, officials said [1]."
    )
    notes = [s for s in answer.sentences if s.check == "conflict"]
    assert [s.cited for s in notes] == [[2]] and "900 miles" in notes[0].text and "conflict" in answer.answer
    # passages that agree (or speak of another thing) add nothing
    agree = a.answer("What is the range of the ATACMS?", [ps[0], ps[2]])
    assert "conflict" not in agree.answer and [c.n for c in agree.citations] == [1]


def test_the_one_of_a_series_the_question_asks_about_must_be_the_cited_one():
    ps = passages(
        "The Crown season 5 premieres on Netflix on November 9, 2022.",
        "Season 4 of The Crown premieres on November 15, 2020.",
        "The Last of Us Part 2 was released on June 19, 2020.",
    )
    q = "When does season 4 of The Crown premiere?"
    other = verdict(q, "The Crown premieres on November 9, 2022 [1].", [1], ps)
    assert other.check == "subject" and "4" in other.reason
    assert verdict(q, "It premieres on November 15, 2020 [2].", [2], ps).check == ""
    # a passage that names no season is no evidence of another one
    plain = passages("Grey's Anatomy returns on Thursday, November 12, 2020.")
    assert not verdict("When does Grey's Anatomy season 17 premiere?", "November 12, 2020 [1].", [1], plain).check
    # "Part II" and "Part 2" are the same one
    assert verdict("What is the release date of The Last of Us Part II?", "June 19, 2020 [3].", [3], ps).check == ""


def verdict_from(question: str, answer: str, cited: list[int], ps: list[Passage], evidence: dict[int, str]):
    """As ``verdict``, with the sentence of each cited passage that supports the answer (the verifier's evidence)."""
    sentence = SentenceCheck(answer, strip_citations(answer), cited, True, evidence=evidence)
    return check_answer(parse_question(question), [sentence], ps, {p.n: p.text for p in ps})


@pytest.mark.parametrize(
    "question, sentence, answer, longer",
    [
        ("Who is the CEO of Acme?", "Jane Roe is the CEO of The Acme Foundation.", "Jane Roe", "Acme Foundation"),
        (
            "Who is the president of the NBA?",
            "Tom Poe was re-elected president of the NBA Players Association.",
            "Tom Poe",
            "NBA Players Association",
        ),
        ("Who is the CEO of Globex?", "Ann Lee, president of Globex of Canada, spoke.", "Ann Lee", "Globex of Canada"),
        ('Who is the director of "Silver Lake"?', "Silver Lake: The Musical is by Jo Park.", "Jo Park", "Musical"),
        ("When is the 2021 Expo Draft?", "The 2021 Expo Draft Combine is set for June 21.", "June 21", "Combine"),
    ],
)
def test_a_longer_name_holding_the_asked_one_is_another_body(question, sentence, answer, longer):
    bad = verdict_from(question, f"{answer} [1].", [1], passages(sentence), {1: sentence})
    assert bad.check == "named" and longer in bad.reason


@pytest.mark.parametrize(
    "question, sentence",
    [
        ("Who is the CEO of Acme?", "John Doe is the CEO of Acme."),
        ("Who is the CEO of Acme?", "Acme Inc. named John Doe its chief executive."),
        ("Who is the CEO of Acme?", "Acme's board named John Doe its chief executive."),
        ("Who is the CEO of Acme?", "John Doe, Acme CEO, said sales rose."),  # a title after the name: the same body
        ("Who is the president of Acme?", "John Doe, president of Acme of all places, spoke."),  # "of" + lower case
        ("Who won Super Bowl 2021?", "The Tampa Bay Buccaneers won Super Bowl LV in 2021."),  # a numeral: the same
    ],
)
def test_the_asked_name_itself_answers(question, sentence):
    ps = passages(sentence)
    name = "Tampa Bay Buccaneers" if "Tampa" in sentence else "John Doe"
    assert verdict_from(question, f"{name} [1].", [1], ps, {1: sentence}).check == ""


def test_who_won_is_not_answered_by_the_winner_of_a_stage():
    q = "Who won the 2023 Giro d'Italia?"
    stage = "Luca Rossi wins stage 5 of the 2023 Giro d'Italia, his second victory in this year's race."
    bad = verdict_from(q, "Luca Rossi won the 2023 Giro d'Italia [1].", [1], passages(stage), {1: stage})
    assert bad.check == "winner" and "stage" in bad.reason
    whole = "Primoz Roglic won the 2023 Giro d'Italia after winning stage 20."
    assert verdict_from(q, "Primoz Roglic [1].", [1], passages(whole), {1: whole}).check == ""
    # a question about a stage is answered by a stage win
    assert verdict_from("Who won stage 5 of the Giro?", "Luca Rossi [1].", [1], passages(stage), {1: stage}).check == ""


def test_an_ordinal_names_the_one_of_a_series_too():
    q = "When will the first season of Night Shift premiere?"
    tenth = "The tenth and final season of Night Shift premiered on February 26, 2022."
    other = verdict_from(q, "It premiered on February 26, 2022 [1].", [1], passages(tenth), {1: tenth})
    assert other.check == "subject" and "season 10" in other.reason
    first = "The first season of Night Shift premiered on September 23, 2013."
    assert verdict_from(q, "September 23, 2013 [1].", [1], passages(first), {1: first}).check == ""


def test_a_date_in_another_year_must_come_from_a_sentence_saying_the_asked_year():
    q = "What is the date of the 2021 Expo Draft?"
    ps = passages(
        "Expo Draft 2021 preview. Date: Wednesday, November 18, 2020.", "The 2021 Expo Draft was held on July 29, 2021."
    )
    stale = "Date: Wednesday, November 18, 2020."
    bad = verdict_from(q, "The 2021 Expo Draft took place on November 18, 2020 [1].", [1], ps, {1: stale})
    assert bad.check == "year" and "2020" in bad.reason
    good = "The 2021 Expo Draft was held on July 29, 2021."
    assert verdict_from(q, "July 29, 2021 [2].", [2], ps, {2: good}).check == ""
    # an event named for one year and held in the next: the sentence says both
    held = "The 2020 Summer Games were held from July 23 to August 8, 2021."
    q = "When were the 2020 Summer Games held?"
    assert verdict_from(q, "July 23, 2021 [1].", [1], passages(held), {1: held}).check == ""


def test_an_answer_about_another_body_is_answered_again_from_the_other_passages(make_assistant):
    gen = FirstPassageGenerator()
    a = make_assistant(generator=gen)
    ps = passages(
        "Anne Berg is the chief executive of The Acme Foundation, its charity.",
        "Acme named Niels Dahl chief executive of Acme, the toy maker, in 2017.",
    )
    answer = a.answer("Who is the chief executive of Acme?", ps)
    assert answer.answer_check.check == "named" and "Acme Foundation" in answer.answer_check.reason
    assert [p.n for p in gen.prompts[1].passages] == [2] and "Niels Dahl" in answer.answer
    # when only the other body's passage is there, the answer is withheld
    alone = make_assistant(generator=FirstPassageGenerator()).answer("Who is the chief executive of Acme?", ps[:1])
    assert alone.refused and "Anne Berg" in alone.unsupported[0]


def test_who_won_needs_the_word_of_winning_near_the_name():
    q = "Who won the 2020 Harbor Open?"
    far = (
        "With Ivo Petrov's withdrawal on Tuesday, the men's draw of the 2020 Harbor Open opened up for the seeds, "
        "wrote the paper, adding that Mia Sato, the 2018 Harbor Open women's singles champion, watched."
    )
    bad = verdict_from(q, "Ivo Petrov won the 2020 Harbor Open [1].", [1], passages(far), {1: far})
    assert bad.check == "winner" and "Ivo Petrov" in bad.reason
    aside = (
        "Leo Marsh, the long-serving left-hander from the coastal town of Brill and Dunmore, won the 2020 Harbor Open."
    )
    assert verdict_from(q, "Leo Marsh [1].", [1], passages(aside), {1: aside}).check == ""


def test_another_one_of_the_same_family_of_names_does_not_answer():
    q = "Which film won Best Picture at the Harbor Awards?"
    assert parse_question(q).kind == "name"
    other = "The director of Blue Door gave a speech after he won the prize for Best Foreign Language Film."
    bad = verdict_from(q, "Blue Door [1].", [1], passages(other), {1: other})
    assert bad.check == "named" and "Best Foreign Language Film" in bad.reason
    right = "Blue Door won Best Picture at the Harbor Awards on Sunday."
    assert verdict_from(q, "Blue Door [1].", [1], passages(right), {1: right}).check == ""
    phone = "It was announced on September 30, 2020, alongside the Pixel 4a (5G)."
    bad = verdict_from("When was Pixel 5a announced?", "September 30, 2020 [1].", [1], passages(phone), {1: phone})
    assert bad.check == "named" and "Pixel 4a" in bad.reason


def test_the_role_asked_for_is_held_in_the_asked_body():
    q = "Who is the president of the League?"
    other = "Jon Webb and Jack Hale, the current and former presidents of CONMAR, the confederation under the League."
    bad = verdict_from(q, "Jack Hale [1].", [1], passages(other), {1: other})
    assert bad.check == "named" and "president of CONMAR" in bad.reason
    for right in (
        "Jack Hale was elected president of the League in 2016.",
        "League president Jack Hale opened the congress.",
        "The League's president, Jack Hale, opened the congress.",
        "Jack Hale was elected president of the organisation in 2016.",  # "the organisation": no other body named
    ):
        assert verdict_from(q, "Jack Hale [1].", [1], passages(right), {1: right}).check == "", right


def test_a_date_or_an_ordinal_in_the_question_is_no_name_to_find():
    q = "Which company, covered by Engadget and Polygon, is releasing a new console on November 16th?"
    said = "Valve is releasing the new Steam Deck on November 16, with a brighter screen."
    assert verdict_from(q, "Valve [1].", [1], passages(said), {1: said}).check == ""
    q = "Which director won Best Director at the 93rd Academy Awards Ceremony?"
    said = "Filmmaker Chloe Zhao became the second woman ever to win Best Director at the Academy Awards."
    assert verdict_from(q, "Chloe Zhao [1].", [1], passages(said), {1: said}).check == ""


def test_a_date_first_planned_and_since_changed_does_not_say_when():
    q = "What is the release date of Night Racer?"
    ps = passages(
        "Night Racer's original release date was April 16, 2020, announced during a 2019 trailer.",
        "The studio delayed the Night Racer release date to December 10, 2020.",
    )
    old = "Night Racer's original release date was April 16, 2020, announced during a 2019 trailer."
    bad = verdict_from(q, "April 16, 2020 [1].", [1], ps, {1: old})
    assert bad.check == "superseded"
    new = "The studio delayed the Night Racer release date to December 10, 2020."
    assert verdict_from(q, "December 10, 2020 [2].", [2], ps, {2: new}).check == ""
    # "originally released" is when it first came out: an answer
    first = "Night Racer was originally released on May 5, 1998 for home consoles."
    assert (
        verdict_from("When was Night Racer released?", "May 5, 1998 [1].", [1], passages(first), {1: first}).check == ""
    )


def test_the_runner_up_is_a_name_the_passage_gives_as_losing_or_second():
    q = "Who was the runner-up of the 2018 World Cup?"
    assert parse_question(q).runner_up and not parse_question("Who won the 2018 World Cup?").runner_up
    winners_list = passages("2022. Argentina Flag Argentina ; 2018. France Flag France ; 2014. Germany Flag Germany.")
    bad = verdict(q, "The runner-up of the 2018 World Cup was France [1].", [1], winners_list)
    assert bad.check == "runner-up" and "France" in bad.reason
    final = passages("France beat Croatia 4-2 in the 2018 World Cup final in Moscow.")
    swapped = verdict(q, "France was the runner-up of the 2018 World Cup [1].", [1], final)
    assert swapped.check == "runner-up" and "winner" in swapped.reason
    assert verdict(q, "Croatia was the runner-up of the 2018 World Cup [1].", [1], final).check == ""
    # a results table: the name and "Runner-up" in separate fragments of one passage
    table = passages("2018 FIFA World Cup Russia. Match Centre. Croatia. Runner-up. 7. Matches played. 14. Goals.")
    assert verdict(q, "Croatia [1].", [1], table).check == ""


def test_a_kind_of_person_is_no_answer_to_who():
    q = "Who won the 2019 Tour de France?"
    ps = passages("After decades of trying, a Colombian has finally won the Tour de France, the first for his country.")
    bad = verdict(q, "Colombian [1].", [1], ps)
    assert bad.check == "kind" and "a Colombian" in bad.reason
    named = passages("Egan Bernal, a Colombian, has won the 2019 Tour de France, the first for his country.")
    assert verdict(q, "Egan Bernal won the 2019 Tour de France [1].", [1], named).check == ""
    # "an Apple spokesperson": the capitalised word qualifies a noun, and the company is the answer
    company = passages("An Apple spokesperson said the company won the case in 2019.")
    assert verdict("Which company won the case in 2019?", "Apple [1].", [1], company).check == ""


def test_a_date_without_its_year_or_day_is_completed_from_its_evidence_sentence():
    from assistant.answer.checks import complete_dates, precise_dates
    from assistant.answer.verify import Verification

    evidence = ["The fourth season of The Crown was released by Netflix on 15 November 2020."]
    assert complete_dates("It premieres November 15 [1].", evidence) == "It premieres November 15, 2020 [1]."
    assert (
        complete_dates("It came out in May 2012 [1].", ["Out on May 15, 2012."]) == "It came out on May 15, 2012 [1]."
    )
    # the evidence holds no fuller date, or two that would fit: left as it is
    assert (
        complete_dates("It came out in May 2012 [1].", ["It was released May 2012."]) == "It came out in May 2012 [1]."
    )
    two = ["Out on May 15, 2012 in the US and May 16, 2012 in Japan."]
    assert complete_dates("It came out in May 2012 [1].", two) == "It came out in May 2012 [1]."
    assert complete_dates("It premieres November 16 [1].", evidence) == "It premieres November 16 [1]."
    sentence = SentenceCheck(
        "It premieres November 15 [1].", "It premieres November 15", [1], True, evidence={1: evidence[0]}
    )
    when = parse_question("When does season 4 of The Crown premiere?")
    done = precise_dates(when, Verification(sentence.text, False, [sentence]))
    assert done.answer == "It premieres November 15, 2020 [1]." and done.sentences[0].claim.endswith("2020")
    # only for "when" questions
    which = parse_question("Which streaming service has The Crown?")
    other = precise_dates(which, Verification(sentence.text, False, [sentence]))
    assert other.answer == sentence.text


def test_the_pipeline_completes_a_when_answer_s_date_from_its_evidence(make_assistant):
    class SaysNovember15:
        name = "scripted"

        def stream(self, prompt):
            yield "The fourth season premieres November 15 [1]."

    a = make_assistant(generator=SaysNovember15())
    ps = passages("The fourth season of The Crown was released by Netflix on 15 November 2020.")
    answer = a.answer("When does season 4 of The Crown premiere?", ps)
    assert answer.answer == "The fourth season premieres November 15, 2020 [1]." and not answer.refused
    assert answer.sentences[0].supported and answer.sentences[0].text == answer.answer
