"""One quantity, one name: the vocabulary and the headers that come from it."""

from __future__ import annotations

from shnro_lib.identify import column_labels_ru
from shnro_lib.labels import LABELS_RU
from shnro_lib.vocabulary import labels_ru, name_ru, vocabulary


def test_no_two_quantities_share_a_name():
    names = [q.name for q in vocabulary().values()]
    assert len(names) == len(set(names))


def test_every_header_of_a_quantity_is_its_vocabulary_name():
    for qid, name in labels_ru().items():
        assert LABELS_RU[qid] == name
    labels = column_labels_ru("lo_2018")
    for qid in ("result_index", "shrunken_index", "result_index_se", "category"):
        assert labels[qid] == name_ru(qid)


def test_the_probability_names_its_own_bottom_share():
    assert column_labels_ru("lo_2018")["p_bottom_quartile"] == "Вероятность попасть в нижние 12 % школ"


def test_identification_and_report_share_the_key_headers():
    ident = column_labels_ru("lo_2018")
    for key in ("school_id", "name", "municipality", "social_wellbeing_index"):
        assert ident[key] == LABELS_RU[key]


def test_the_year_index_and_the_window_index_are_named_apart():
    assert name_ru("year_result_index") != name_ru("result_index") != name_ru("shrunken_index")


# ids that name one quantity in two tables (the same header is right there)
SYNONYMS = [
    {"school_name", "name"},
    {"mean_pct", "pct"},
    {"model_used", "expected_model"},
    {"schools", "n_schools"},
]


def test_no_two_quantities_share_a_header():
    """Every header of LABELS_RU (CSV, Excel, HTML) names one quantity: ids sharing one are synonyms."""
    by_name: dict[str, set[str]] = {}
    for qid, name in LABELS_RU.items():
        by_name.setdefault(name, set()).add(qid)
    shared = [ids for ids in by_name.values() if len(ids) > 1]
    assert all(ids in SYNONYMS for ids in shared), shared


def test_reader_files_take_their_headers_from_the_vocabulary():
    import pandas as pd

    from shnro_lib.readable import readable

    df = pd.DataFrame(
        {"result_index": [0.5], "resilient": [True], "estimator": ["rdd"], "direction": ["higher_better"]}
    )
    out = readable(df)
    assert list(out.columns) == [
        name_ru("result_index"),
        LABELS_RU["resilient"],
        LABELS_RU["estimator"],
        "Направление",
    ]
    assert out.iloc[0].tolist()[1:] == ["да", "разрывная регрессия", "больше — лучше"]


def test_a_commands_csv_names_a_quantity_by_the_vocabulary_whatever_its_own_labels(tmp_path):
    import pandas as pd

    from shnro_lib.commands._common import write_reader_csv

    df = pd.DataFrame({"school_id": ["01"], "result_index": [0.5], "status_ru": ["остаётся в списке"]})
    own = {"result_index": "Индекс", "status_ru": "Статус", "school_id": "Код"}
    write_reader_csv(df, tmp_path / "r.csv", own)
    header = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == ["Код", name_ru("result_index"), name_ru("status_ru")]
    write_reader_csv(df, tmp_path / "ids.csv", own, ids=True)
    ids = (tmp_path / "ids.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert ids.split(",") == ["school_id", "result_index", "status_ru"]
