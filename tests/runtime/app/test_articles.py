"""Operation summaries put the right article before a label, and none before other scripts."""

from __future__ import annotations

import pytest

from runtime.app.articles import with_indefinite_article


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Account", "an Account"),
        ("Opportunity", "an Opportunity"),
        ("Invoice", "an Invoice"),
        ("Deal", "a Deal"),
        ("Contact", "a Contact"),
        ("User", "a User"),
        ("Unit price", "a Unit price"),
        ("Update request", "an Update request"),
        ("European office", "a European office"),
        ("One-off order", "a One-off order"),
        ("Hour log", "an Hour log"),
        ("Honorary member", "an Honorary member"),
        ("House", "a House"),
        ("SMS template", "an SMS template"),
        ("FAQ", "an FAQ"),
        ("URL alias", "a URL alias"),
        ("Émission", "an Émission"),
        ("客户", "客户"),
        ("3D model", "3D model"),
    ],
)
def test_a_label_gets_the_article_it_is_said_with(label: str, expected: str) -> None:
    assert with_indefinite_article(label) == expected
