"""One quantity, one name, read as a reader reads: every HTML table and Excel sheet of a batch.

For every school, a label shows one value across all views (the municipal and regional reports,
the collection, the workbooks); every table of schools carries «Код ОО»; no school is listed in the
report year and «перешла в эффективный режим» in the same year.  The same checks run on a batch of
a real data set in ``tests/test_real_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from views import batch_views, conflicts, same

LISTED = ("ШНРО", "ШНСУ")
EFFECTIVE = "перешла в эффективный режим"


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    from shnro_lib.batch import run_batch
    from shnro_lib.demo import generate_demo
    from shnro_lib.io import load_dataset

    root = tmp_path_factory.mktemp("views")
    demo = generate_demo(root / "demo", seed=3, n_schools=90)
    munis = load_dataset(demo.data_dir).municipalities[:2]
    res = run_batch(
        demo.data_dir,
        2024,
        root / "out",
        municipalities=munis,
        workers=2,
        progress=False,
        pdf=False,
        school_pages=False,
    )
    assert res.ok, res.summary_ru()
    return root / "out"


def test_the_value_comparison_itself() -> None:
    assert same("−1,78", "-1.781") and same("12,5 %", "12,50 %") and same("0,125", "12,5 %")
    assert same("+0,90", "0.905") and same("0,0 %", "0.000000000002")
    assert not same("−1,78", "−1,71") and not same("ШНРО", "ШНСУ")


def listed_and_effective(seen) -> list[str]:
    """Schools whose category in some view is a list category while a status in another view says
    the school has moved to the effective mode."""
    cats = {s.school for s in seen if s.label.startswith("Категория") and s.value.startswith(LISTED)}
    eff = {s.school for s in seen if EFFECTIVE in s.value}
    return sorted(cats & eff)


def check_views(out: Path) -> None:
    seen, uncoded = batch_views(out)
    assert len({s.school for s in seen}) >= 10, "too few schools read back: the parser missed the tables"
    assert len({s.source.split(":")[0] for s in seen}) >= 3, "fewer than three files read back"
    bad = conflicts(seen)
    assert not bad, f"{len(bad)} school × label with two values, e.g.:\n" + "\n".join(bad[:15])
    assert not uncoded, "tables of schools without «Код ОО»:\n" + "\n".join(uncoded[:15])
    both = listed_and_effective(seen)
    assert not both, f"listed and «{EFFECTIVE}» at once: {both[:10]}"


def test_one_value_per_school_and_label_across_views(batch: Path) -> None:
    check_views(batch)
