"""Partnership texts on hand-made cases: true ranks, one distance per place, names with «Код ОО»."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnro_lib import partners as pt
from shnro_lib.partners import texts


def test_context_words_say_the_true_rank():
    assert "самый близкий из 98 школ-лидеров" in texts.context_words(1, 98, 0.5)
    assert "один из самых близких: 3-й по сходству из 98" in texts.context_words(3, 98, 0.5)
    far = texts.context_words(19, 98, 2.6)
    assert "19-й по сходству из 98 школ-лидеров" in far and "самых близких" not in far
    assert "другие составляющие" in texts.context_words(64, 98, 7.2)
    # with three leaders the third is not «one of the closest»: it is the farthest
    assert "самых близких" not in texts.context_words(3, 3, 1.0)
    assert "1 школы-лидера" in texts.context_words(1, 1, 1.0)


def test_true_rank_counts_ties_once():
    assert texts.true_rank(np.array([1.0, 2.0, 2.0, np.nan, 3.0]), 2.0) == 2
    assert texts.true_rank(np.array([1.0, 2.0, 2.0, 3.0]), 3.0) == 4


def test_school_label_names_and_codes():
    assert texts.school_label_ru("МОУ «Лицей №1»", "110248") == "МОУ «Лицей №1» (код ОО 110248)"
    assert texts.school_label_ru(None, "110248") == "школа с кодом ОО 110248 (нет в справочнике школ)"
    assert texts.school_label_ru(pd.NA, None) == "—"


def _village_case():
    """Two ШНРО of one village (same coordinates), a third far away, three leaders."""
    ids = ["A", "B", "C", "L1", "L2", "L3"]
    schools = pd.DataFrame(
        {
            "school_id": ids,
            "name": ["Школа А", "Школа Б", "Школа В", "Лидер 1", "Лидер 2", "Лидер 3"],
            "municipality": ["М1", "М1", "М2", "М1", "М1", "М2"],
            "locality": ["Село", "Село", "Город", "Посёлок", "Посёлок 2", "Город"],
            "lat": [59.0, 59.0, 60.0, 59.2, 59.5, 60.01],
            "lon": [30.0, 30.0, 31.0, 30.1, 30.5, 31.0],
        }
    )
    ident = pd.DataFrame(
        {
            "school_id": ids,
            "category": ["ШНРО", "ШНРО", "ШНРО", "нет", "нет", "нет"],
            "result_index": [-1.0, -1.0, -1.1, 0.2, -0.2, 0.0],
        }
    )
    leaders = pd.DataFrame(
        {
            "leader_id": ["L1", "L2", "L3"],
            "result_index": [0.2, -0.2, 0.0],
            "residual_2024": [0.5, 0.4, 0.6],
            "capacity": [2, 2, 2],
        }
    )
    feats = pd.DataFrame(
        {"a": [0.0, 0.0, 1.0, 0.1, 2.0, 1.1], "b": [0.0, 0.0, 1.0, 0.2, -1.0, 1.0]},
        index=pd.Index(ids, name="school_id"),
    )
    return ident, leaders, feats, schools


def test_same_coordinates_give_the_same_distance_and_rank():
    ident, leaders, feats, schools = _village_case()
    res = pt.pair_schools(ident, leaders, feats, schools, {}, year=2024)
    p = res.pairs.set_index("school_id")
    assert p.at["A", "leader_id"] == p.at["B", "leader_id"] == "L1"
    assert p.at["A", "distance_km"] == p.at["B", "distance_km"]
    km = float(pt.haversine_km(59.0, 30.0, 59.2, 30.1))
    assert p.at["A", "distance_km"] == pytest.approx(km, abs=1e-3)
    # the reason: leader by name and code, its km and its rank by distance and by similarity
    reason = p.at["A", "reason"]
    assert reason.startswith("Школа-лидер Лидер 1 (код ОО L1; тот же муниципалитет; ")
    assert f"{texts.num_ru(km, 0)} км — 1-я по близости из 3 школ-лидеров" in reason
    assert "самый близкий из 3 школ-лидеров" in reason
    assert p.at["B", "reason"] == reason
    # C's leader L3 is in another village 1 km away, the closest by context too
    assert "1-я по близости" in p.at["C", "reason"]
    assert not any("расходятся" in n for n in res.notes)


def test_scattered_settlement_is_named_in_the_notes():
    ident, leaders, feats, schools = _village_case()
    schools.loc[schools["school_id"] == "B", ["lat", "lon"]] = [59.6, 30.9]  # 80 km from A
    wide = pt.scattered_localities(schools, 30)
    assert wide[["locality", "n_schools"]].values.tolist() == [["Село", 2]]
    assert wide["spread_km"].iloc[0] == pytest.approx(float(pt.haversine_km(59.0, 30.0, 59.6, 30.9)), abs=0.1)
    res = pt.pair_schools(ident, leaders, feats, schools, {}, year=2024)
    note = next(n for n in res.notes if "расходятся" in n)
    assert "Село (М1): 2 школы, до" in note and "проверьте координаты" in note
    assert pt.scattered_localities(schools.drop(columns="locality"), 30).empty


def test_shnsu_school_gets_a_free_place_or_the_reason():
    ident, leaders, feats, schools = _village_case()
    ident.loc[ident["school_id"] == "C", "category"] = "ШНСУ"
    res = pt.pair_schools(ident, leaders, feats, schools, {}, year=2024)
    c = res.pairs.set_index("school_id").loc["C"]
    assert c["paired"] and "категории «ШНСУ»" in c["reason"]
    # every place taken by the ШНРО first: the ШНСУ school gets the plain reason
    full = leaders.assign(capacity=[1, 1, 0])
    res = pt.pair_schools(ident, full, feats, schools, {}, year=2024)
    p = res.pairs.set_index("school_id")
    assert p.loc[["A", "B"], "paired"].all() and not p.at["C", "paired"]
    assert "свободных мест не осталось" in p.at["C", "reason"]
    # no second round configured: the ШНСУ school is not in the list, and a page says why
    res = pt.pair_schools(ident, leaders, feats, schools, {"second_round_categories": []}, year=2024)
    assert "C" not in set(res.pairs["school_id"])
    note = texts.no_pair_note("ШНСУ", ["ШНРО", "ШНРО и ШНСУ"])
    assert note == (
        "для школ категории «ШНСУ» школа-лидер не подбиралась "
        "(по настройкам пара подбирается категориям «ШНРО», «ШНРО и ШНСУ»)"
    )


def test_a_primary_school_is_no_leader_for_a_secondary_school():
    ids = ["S", "P", "C"]
    schools = pd.DataFrame(
        {
            "school_id": ids,
            "name": ["Средняя", "Начальная", "Другая средняя"],
            "municipality": ["М1"] * 3,
            "school_type": ["СОШ", "НОШ", "лицей"],
            "lat": [59.0, 59.01, 59.3],
            "lon": [30.0, 30.0, 30.0],
        }
    )
    ident = pd.DataFrame(
        {"school_id": ids, "category": ["ШНРО", "нет", "нет"], "result_index": [-1.0, -0.2, -0.3]}
    )
    leaders = pd.DataFrame({"leader_id": ["P", "C"], "result_index": [-0.2, -0.3], "capacity": [1, 1]})
    feats = pd.DataFrame({"a": [0.0, 0.1, 0.5]}, index=pd.Index(ids, name="school_id"))
    res = pt.pair_schools(ident, leaders, feats, schools, {}, year=2024)
    assert res.pairs.set_index("school_id").at["S", "leader_id"] == "C"
    # without the level term the nearer primary school would lead, and the reason says its level is lower
    flat = pt.pair_schools(ident, leaders, feats, schools, {"weights": {"lower_level": 0.0}}, year=2024)
    row = flat.pairs.set_index("school_id").loc["S"]
    assert row["leader_id"] == "P" and "уровень школы-лидера ниже уровня школы" in row["reason"]
    assert "уровень" not in res.pairs["reason"].iloc[0]


def test_no_coordinates_anywhere_says_unknown_once():
    ident, leaders, feats, schools = _village_case()
    res = pt.pair_schools(ident, leaders, feats, schools.drop(columns=["lat", "lon"]), {}, year=2024)
    reason = res.pairs["reason"].iloc[0]
    assert "расстояние неизвестно (нет координат)" in reason and "приближённо" not in reason
    assert res.pairs["distance_km"].isna().all()
