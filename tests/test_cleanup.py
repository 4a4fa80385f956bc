"""Body cleanup rules on paragraph lists, one case per example."""

from __future__ import annotations

import pytest

from pipelines.cleanup import clean_paragraphs, strip_leading_repeats

TITLE = "Storm knocks out power"
DECK = "Hundreds of thousands of homes were without power on Thursday."


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
