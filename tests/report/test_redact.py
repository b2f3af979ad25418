"""scrub's quick path (a value with nothing to mask is given back as it is) masks exactly what
the value-by-value walk masks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.report.redact import REDACTED, _scrub, scrub

# pieces that make a value secret, or nearly (case, Unicode look-alikes, separators)
WORDS = st.sampled_from(
    [
        "password",
        "PassWord=x",
        "pass word",
        "paſſword",
        "İpassword",
        "token",
        "to\u212aen",
        "api_secret",
        "primary_conninfo",
        "postgresql://u:pw@h/db",
        ":/ /",
        "host=h user=u",
        "ok",
        "",
        'a"b\\c\n',
    ]
)
TEXT = st.lists(WORDS, max_size=3).map("".join)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_the_quick_path_masks_what_the_walk_masks(value: Any) -> None:
    assert scrub(value) == _scrub(value, None)


def test_a_clean_value_is_given_back_and_a_secret_one_is_copied_and_masked() -> None:
    clean = {"table": "shop.orders", "rows": [1, 2.5, None], "nested": {"ok": True}}
    assert scrub(clean) is clean
    secret = {"settings": [{"primary_conninfo": "host=h password=pw"}], "Auth_Token": "t"}
    masked = scrub(secret)
    assert masked == {
        "settings": [{"primary_conninfo": f"host=h password={REDACTED}"}],
        "Auth_Token": REDACTED,
    }
    assert secret["Auth_Token"] == "t"  # the input is left as it was


def test_a_value_that_is_not_plain_json_is_walked() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    value = {"at": when, "dsn": "postgresql://u:pw@h/db"}
    assert scrub(value) == {"at": when, "dsn": f"postgresql://u:{REDACTED}@h/db"}
