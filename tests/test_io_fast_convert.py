"""The vectorised conversion of clean number columns agrees with the value-by-value one.

The fast path parses each distinct text once and maps the numbers back to the rows; the exact
path parses every row.  On a clean column (numbers with a decimal point or comma, odd spaces,
missing-value tokens, many repeats) both must give the same values and the same conversion notes,
counted over rows, not over distinct texts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from shnro_lib.io.convert import _convert_exact, _fast_convert
from shnro_lib.schema import Column

NUMBER = st.one_of(
    st.integers(0, 5000).map(float), st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 2))
)


@st.composite
def clean_text(draw, decimal: str) -> str | None:
    kind = draw(st.sampled_from(["number", "number", "number", "missing", "none"]))
    if kind == "none":
        return None
    if kind == "missing":
        return draw(st.sampled_from(["", "-", "—", "н/д", " "]))
    x = draw(NUMBER)
    text = f"{x:g}".replace(".", decimal)
    return draw(st.sampled_from(["", " ", "\u00a0"])) + text + draw(st.sampled_from(["", " ", "\u202f"]))


@st.composite
def clean_column(draw) -> list[str | None]:
    decimal = draw(st.sampled_from([",", "."]))
    distinct = draw(st.lists(clean_text(decimal), min_size=1, max_size=8))
    picks = draw(st.lists(st.integers(0, len(distinct) - 1), min_size=1, max_size=60))
    return [distinct[i] for i in picks]


@settings(max_examples=80, deadline=None)
@given(values=clean_column(), kind=st.sampled_from(["float", "share"]))
def test_fast_and_exact_paths_agree_on_clean_text_numbers(values, kind) -> None:
    raw = pd.Series(values, dtype=object)
    col = Column("mean_score" if kind == "float" else "share_low", kind, required=False)
    fast = _fast_convert(raw, col)
    exact = _convert_exact(raw, col)
    if fast is None:  # declined (e.g. a share above 100): the exact path alone decides
        return
    np.testing.assert_array_equal(fast.series.to_numpy(dtype=float), exact.series.to_numpy(dtype=float))
    assert fast.conversions == exact.conversions
    assert [(i.idx, i.level, i.message) for i in fast.issues] == [
        (i.idx, i.level, i.message) for i in exact.issues
    ]


def test_comma_count_is_over_rows_not_distinct_texts() -> None:
    raw = pd.Series(["1,5"] * 7 + ["3,25", None], dtype=object)
    fast = _fast_convert(raw, Column("mean_score", "float", required=False))
    assert fast is not None
    assert fast.conversions == ["mean_score: десятичная запятая (8)"]
    assert fast.series.tolist()[:8] == [1.5] * 7 + [3.25] and np.isnan(fast.series.iloc[8])


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.sampled_from(["5,0", "12", " 7,00", "", None, "3"]), min_size=1, max_size=40))
def test_fast_and_exact_paths_agree_on_integers_with_a_decimal_comma(values) -> None:
    raw = pd.Series(values, dtype=object)
    col = Column("participants", "int", required=False)
    fast, exact = _fast_convert(raw, col), _convert_exact(raw, col)
    if fast is None:  # declined (nothing to convert): the exact path alone decides
        return
    assert fast.series.astype("Float64").equals(exact.series.astype("Float64"))
    assert fast.conversions == exact.conversions  # «5,0» is noted on both paths


def test_exact_path_notes_the_decimal_comma_of_an_integer() -> None:
    raw = pd.Series(["5,0", "12", "7,00"], dtype=object)
    exact = _convert_exact(raw, Column("participants", "int", required=False))
    assert exact.series.tolist() == [5, 12, 7]
    assert exact.conversions == ["participants: десятичная запятая (2)"]
