"""A history search's words, marked in the text it found: pure, no database."""

from __future__ import annotations

from workspace.marks import mark_spans, search_marks, stem


def _marked(text: str, query: str) -> list[str]:
    """The words of `text` that `query` marks."""
    return [text[start:end] for start, end in mark_spans(text, search_marks(query))]


def test_the_marks_are_the_searchs_own_words() -> None:
    assert search_marks("Refund  ORDER") == ("refund", "order")
    assert search_marks("refu* W1001") == ("refu*", "w1001")
    # Everything but letters and digits separates words, as the search itself reads them.
    assert search_marks("[bold]jug[/bold] * cracked!") == ("bold", "jug", "bold", "cracked")
    assert search_marks("  ") == ()
    assert search_marks("*") == ()


def test_whole_words_match_without_case_and_in_any_of_their_forms() -> None:
    text = "Your ORDER was ordered; orders ship when Ordering opens. Reorder? disorder."
    assert _marked(text, "order") == ["ORDER", "ordered", "orders", "Ordering"]
    assert _marked("Shipped today, shipping tomorrow", "ship") == ["Shipped", "shipping"]
    assert _marked("The reply: two replies were replied", "replies") == [
        "reply",
        "replies",
        "replied",
    ]
    assert _marked("Delays: delayed twice", "delay") == ["Delays", "delayed"]


def test_a_prefix_marks_every_word_it_begins() -> None:
    text = "Refunded the refund; a prefund is no refusal."
    assert _marked(text, "refu*") == ["Refunded", "refund", "refusal"]
    assert _marked(text, "REFU*") == ["Refunded", "refund", "refusal"]


def test_every_word_of_the_search_is_marked_in_order() -> None:
    text = "The blender jug arrived cracked; the jug was cracked again."
    spans = mark_spans(text, search_marks("cracked jug"))
    assert spans == [(12, 15), (24, 31), (37, 40), (45, 52)]
    assert [text[s:e] for s, e in spans] == ["jug", "cracked", "jug", "cracked"]


def test_accents_and_wide_case_do_not_matter() -> None:
    assert _marked("Café crème at the CAFÉ", "cafe") == ["Café", "CAFÉ"]
    assert _marked("STRASSE and straße", "straße") == ["STRASSE", "straße"]


def test_nothing_is_marked_without_marks_or_inside_words() -> None:
    assert mark_spans("refund", ()) == []
    assert mark_spans("", search_marks("refund")) == []
    assert _marked("prefund refunding_fee", "fund") == []


def test_spans_are_offsets_into_the_text_as_given() -> None:
    """Marks are found in the text as shown (after the sanitiser): markup and stand-ins are
    plain characters around them, never parsed."""
    text = "[bold red]Mallory[/bold red] ^[[2J asked for a refund <U+202E>"
    assert _marked(text, "mallory refund") == ["Mallory", "refund"]
    assert _marked(text, "bold") == ["bold", "bold"]


def test_the_forms_of_a_word_share_a_stem() -> None:
    families = [
        "order orders ordered ordering",
        "refund refunds refunded refunding",
        "arrive arrives arrived arriving",
        "delivery deliveries delivered deliver",
        "cancel cancels cancelled cancelling canceled",
        "charge charges charged charging",
    ]
    for family in families:
        assert len({stem(word) for word in family.split()}) == 1, family
    assert stem("ordinary") != stem("order")
    assert stem("address") == stem("addresses")
