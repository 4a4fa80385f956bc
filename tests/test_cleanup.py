"""Body cleanup rules on paragraph lists, one case per example."""

from __future__ import annotations

import pytest

from pipelines.cleanup import clean_paragraphs, strip_leading_repeats

TITLE = "Storm knocks out power"
DECK = "Hundreds of thousands of homes were without power on Thursday."
LONG = ("The article goes on after the list with a paragraph long enough to be text, not "
        "another story's headline: it runs well past the length of a related-link line.")


@pytest.mark.parametrize("paragraphs, expected", [
    # Headline printed again above the text: dropped.
    ([TITLE, "Text starts here."], ["Text starts here."]),
    ([TITLE, TITLE, "Text starts here."], ["Text starts here."]),
    # The deck / lead reused as meta description is article text: kept.
    ([DECK, "Text starts here."], [DECK, "Text starts here."]),
    # ... but printed twice, it is kept once.
    ([DECK, DECK, "Text starts here."], [DECK, "Text starts here."]),
    ([TITLE, DECK, DECK, "Text starts here."], [DECK, "Text starts here."]),
    # A printed date line and a share row before the text: dropped.
    (["May 14, 2019 12:58 PM", "FacebookTwitterEmail", "Text starts here."], ["Text starts here."]),
])
def test_strip_leading_repeats(paragraphs, expected):
    assert strip_leading_repeats(paragraphs, TITLE, DECK) == expected


@pytest.mark.parametrize("paragraphs, expected_body, expected_rights", [
    (["Text.", "Copyright © 2019, ABC Radio. All rights reserved."], ["Text."],
     "Copyright © 2019, ABC Radio. All rights reserved."),
    (["Text.", "Follow us on Twitter"], ["Text."], None),
    (["Text.", "More World News", "Other headline one", "Other headline two"], ["Text."], None),
])
def test_clean_paragraphs_moves_rights_and_drops_prompts(paragraphs, expected_body, expected_rights):
    result = clean_paragraphs(paragraphs, title=TITLE)
    assert result.paragraphs == expected_body
    assert result.rights == expected_rights


@pytest.mark.parametrize("paragraphs, expected", [
    # A "read also" label with another story's headline, in several languages.
    (["Text one.", "Lea también: Impiden ingreso a Nicaragua a reportero", "Text two."],
     ["Text one.", "Text two."]),
    (["Text one.", "À lire aussi » Ballonnements, lourdeurs", "Text two."], ["Text one.", "Text two."]),
    (["Text one.", "Read more: Looted colonial art: Germany to set up office", "Text two."],
     ["Text one.", "Text two."]),
    # A heading standing alone takes the short headline after it along ...
    (["Text one.", "Schon gelesen?", "Luftwaffe beginnt Training", LONG], ["Text one.", LONG]),
    # ... and a trailing list of other stories entirely.
    (["Text one.", "Weitere Themen", "Headline A", "Headline B"], ["Text one."]),
    # A sentence that starts like a heading is text.
    (["Text one.", "Weitere Informationen erteilt Anne Althaus unter Tel. 02382 59743."],
     ["Text one.", "Weitere Informationen erteilt Anne Althaus unter Tel. 02382 59743."]),
])
def test_read_also_lines_dropped(paragraphs, expected):
    assert clean_paragraphs(paragraphs, title=TITLE).paragraphs == expected


@pytest.mark.parametrize("line", [
    "Never miss the latest news by signing up to our newsletter today!",
    "Subscribe now to our eNATION edition for the full story.",
    "If you’re seeing this message but you’re already a subscriber, you can log in.",
    "Pour lire la suite",
    "Verraten Sie gerne in den Kommentaren: Was bedeutet der Award für Sie?",
    "Anzeige",
    "Titelbild: Geyres Christophe/ABACA/picture-alliance",
    "Crédits photos : Bestimage",
    "Fot. Lukasz Nowaczyk / Agencja Gazeta",
    "Letzte Änderung 14.02.2019",
])
def test_publisher_prompts_and_credits_dropped(line):
    assert clean_paragraphs(["Text one.", line, "Text two."], title=TITLE).paragraphs == \
        ["Text one.", "Text two."]


@pytest.mark.parametrize("line", [
    "Werbung nervt. Tracking nervt. Nerven nervt.",
    "The newsletter industry has grown fast, analysts say, and readers pay for it.",
])
def test_text_resembling_prompts_kept(line):
    assert clean_paragraphs(["Text one.", line], title=TITLE).paragraphs == ["Text one.", line]
