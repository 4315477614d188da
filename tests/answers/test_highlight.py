"""The answering span (bot/answers/highlight.py): what is marked for each kind of
question, whole names only, and nothing when no such part is found."""

from __future__ import annotations

from bot.answers.highlight import answer_spans, name_spans, segments


def marked(text: str, kind: str, question: str) -> list[str]:
    return [text[a:b] for a, b in answer_spans(text, kind, question)]


def test_a_number_the_question_does_not_already_hold() -> None:
    text = "A 2019 rule gave the firm 90 days to sell, and 12 regulators signed it."
    assert marked(text, "quantity", "How many days did the 2019 rule give the firm?") == ["90"]
    assert marked("Shares rose 4.5% to $12 billion.", "quantity", "How much are the shares worth?") == ["$12 billion"]


def test_a_date_for_when() -> None:
    assert marked("The board met on Tuesday in Oslo.", "when", "When did the board meet?") == ["Tuesday"]
    assert marked("It opens on March 3, 2026, after delays.", "when", "When does it open?") == ["March 3, 2026"]


def test_a_place_for_where() -> None:
    assert marked("The ministers met in Buenos Aires last week.", "where", "Where did the ministers meet?") == ["Buenos Aires"]


def test_whole_names_without_titles_and_not_the_asked_name() -> None:
    text = "Finance Minister Ana Pereira Costa met Prime Minister Olav Berg on Monday."
    spans = [text[a:b] for (a, b), _ in name_spans(text)]
    assert "Ana Pereira Costa" in spans and "Olav Berg" in spans
    assert marked(text, "who", "Who met Olav Berg?") == ["Ana Pereira Costa"]


def test_the_speaker_not_a_name_inside_the_quotation() -> None:
    text = "“Nordbank will comply with the ruling,” said spokesperson Lena Holt."
    assert marked(text, "who", "Who said Nordbank will comply?") == ["Lena Holt"]


def test_nothing_when_nothing_answers() -> None:
    assert marked("The weather was mild and calm.", "quantity", "How many people came?") == []
    assert marked("Talks went on without a result.", "when", "When did talks end?") == []
    assert marked("Anything at all.", "other", "What happened?") == []


def test_segments_cover_the_text_exactly() -> None:
    text = "alpha beta gamma"
    parts = segments(text, [(6, 10)])
    assert "".join(p for p, _ in parts) == text and [p for p, bold in parts if bold] == ["beta"]


def test_who_is_x_marks_what_x_is_not_other_names() -> None:
    text = "The deal came after Trade Minister Rosa Lind met Olav Berg in Oslo."
    assert marked(text, "who", "Who is Rosa Lind?") == ["Trade Minister"]
    assert marked("Nordbank Ltd., the region's largest lender, agreed.", "who", "Who is Nordbank?") == ["the region's largest lender"]
    assert marked("Nordbank is a cooperative bank based in Bergen.", "other", "What is Nordbank?") == ["a cooperative bank based in Bergen"]
    # A relative clause or a list is not what the name is: nothing rather than a wrong bold.
    assert marked("Shares are held by Nordbank, whose owners include Olav Berg, and others.", "who", "Who is Nordbank?") == []
