"""Leader–school pairing: optimality against brute force, capacities, leaders, distances, CLI."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from shnro_lib import partners as pt


def test_haversine_moscow_spb():
    d = pt.haversine_km(55.7558, 37.6173, 59.9343, 30.3351)
    assert float(d) == pytest.approx(634, abs=5)
    assert float(pt.haversine_km(60, 30, 60, 30)) == pytest.approx(0.0)


def _brute(cost: np.ndarray, cap: int, unpaired: np.ndarray | None = None) -> float:
    n, m = cost.shape
    n_out = max(0, n - m * cap)
    best = np.inf
    for a in itertools.product(range(-1 if n_out else 0, m), repeat=n):
        a = np.array(a)
        if (a == -1).sum() != n_out or any((a == j).sum() > cap for j in range(m)):
            continue
        total = sum(cost[i, a[i]] for i in range(n) if a[i] >= 0)
        if unpaired is not None:
            total += unpaired[a == -1].sum()
        best = min(best, total)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_assignment_is_optimal_with_capacity(seed):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 10, size=(4, 3))
    a = pt.optimal_assignment(cost, capacity=2)
    assert (a >= 0).all()
    assert max(np.bincount(a, minlength=3)) <= 2
    assert cost[np.arange(4), a].sum() == pytest.approx(_brute(cost, 2))


@pytest.mark.parametrize("seed", range(4))
def test_assignment_overflow_leaves_the_right_schools_unpaired(seed):
    rng = np.random.default_rng(100 + seed)
    cost = rng.uniform(0, 10, size=(5, 2))
    unpaired = rng.uniform(-3, 3, size=5)
    a = pt.optimal_assignment(cost, capacity=2, unpaired_cost=unpaired)
    assert (a == -1).sum() == 1 and max(np.bincount(a[a >= 0], minlength=2)) <= 2
    total = cost[np.flatnonzero(a >= 0), a[a >= 0]].sum() + unpaired[a == -1].sum()
    assert total == pytest.approx(_brute(cost, 2, unpaired))


def _crafted():
    # 4 ШНРО (S1..S4), 3 candidate leaders (L1..L3), one school not a leader (X: residual too low)
    ids = ["S1", "S2", "S3", "S4", "L1", "L2", "L3", "X", "Z"]
    schools = pd.DataFrame(
        {
            "school_id": ids,
            "name": [f"Школа {i}" for i in ids],
            "municipality": ["М1", "М1", "М2", "М2", "М1", "М2", "М2", "М1", "М1"],
            "lat": [59.0, 59.1, 60.0, np.nan, 59.05, 60.1, 60.3, 59.2, 59.3],
            "lon": [30.0, 30.1, 31.0, np.nan, 30.05, 31.1, 31.3, 30.2, 30.4],
        }
    )
    ident = pd.DataFrame(
        {
            "school_id": ids,
            "category": ["ШНРО", "ШНРО и ШНСУ", "ШНРО", "ШНРО", "нет", "нет", "нет", "нет", "ШНСУ"],
            "result_index": [-1.0, -0.8, -1.2, -0.5, 0.3, 0.5, 0.9, 0.4, 0.8],
        }
    )
    residual = {"L1": 0.5, "L2": 0.6, "L3": 0.4, "X": 0.1, "Z": 0.9}
    ctx = {
        y: pd.DataFrame({"school_id": ids, "residual": [residual.get(i, -0.5) for i in ids]})
        for y in (2023, 2024)
    }
    ctx[2023].loc[ctx[2023]["school_id"] == "L3", "residual"] = 0.5
    rng = np.random.default_rng(7)
    feats = pd.DataFrame(
        rng.normal(size=(len(ids), 3)), index=pd.Index(ids, name="school_id"), columns=["a", "b", "c"]
    )
    return ident, ctx, feats, schools


def test_select_leaders():
    ident, ctx, _, _ = _crafted()
    cfg = {"leaders": {"min_residual": 0.2, "stable_years": 2, "min_result_quantile": 0.0, "capacity": 2}}
    ld = pt.select_leaders(ident, ctx, 2024, cfg)
    # X: residual too low; Z: identified (ШНСУ) itself
    assert ld["leader_id"].tolist() == ["L1", "L2", "L3"]
    ctx2 = {k: v.copy() for k, v in ctx.items()}
    ctx2[2023].loc[ctx2[2023]["school_id"] == "L3", "residual"] = 0.1  # not stable
    assert "L3" not in pt.select_leaders(ident, ctx2, 2024, cfg)["leader_id"].tolist()


def test_pairing_is_optimal_for_its_cost_and_explained():
    ident, ctx, feats, schools = _crafted()
    cfg = {"leaders": {"min_residual": 0.2, "min_result_quantile": 0.0, "capacity": 2}}
    ld = pt.select_leaders(ident, ctx, 2024, cfg)
    res = pt.pair_schools(ident, ld, feats, schools, cfg, year=2024)
    pairs = res.pairs.set_index("school_id")
    # four ШНРО first, then the ШНСУ school Z on a place left over
    assert len(pairs) == 5 and pairs["paired"].all()
    assert pairs["leader_id"].value_counts().max() <= 2
    first = ["S1", "S2", "S3", "S4"]
    cost = res.cost.loc[first].to_numpy()
    chosen = sum(res.cost.at[s, pairs.at[s, "leader_id"]] for s in first)
    assert chosen == pytest.approx(_brute(cost, 2))
    assert "категории «ШНСУ»" in pairs.at["Z", "reason"] and "свободным" in pairs.at["Z", "reason"]
    # the cost terms reported are the ones used
    s1 = pairs.loc["S1"]
    lid = s1["leader_id"]
    fd = np.sqrt(((feats.loc["S1"] - feats.loc[lid]) ** 2).sum())
    assert s1["context_distance"] == pytest.approx(fd, abs=1e-3)
    gap = ident.set_index("school_id").at[lid, "result_index"] + 1.0
    assert s1["result_gap"] == pytest.approx(gap, abs=1e-3)
    # S4 has no coordinates → centroid of М2, said in the reason and the notes
    assert "центр муниципалитета" in pairs.at["S4", "reason"]
    assert any("Нет координат" in n for n in res.notes)
    assert all(r.startswith("Школа-лидер") for r in pairs["reason"])


def test_more_schools_than_places_reports_unpaired():
    ident, ctx, feats, schools = _crafted()
    cfg = {
        "leaders": {"min_residual": 0.2, "min_result_quantile": 0.0, "capacity": 1},
        "unpaired": {"need_weight": 100.0},
    }
    ld = pt.select_leaders(ident, ctx, 2024, cfg)
    res = pt.pair_schools(ident, ld, feats, schools, cfg)
    assert len(res.paired) == 3 and len(res.unpaired) == 2
    # a strong need weight leaves the school with the highest result (S4, −0.5) unpaired,
    # and the ШНСУ school Z finds no place left: each says why
    assert res.unpaired["school_id"].tolist() == ["S4", "Z"]
    assert "места у школ-лидеров заняты" in res.unpaired["reason"].iloc[0]
    assert "свободных мест не осталось (3 школы-лидера × ёмкость = 3 места)" in res.unpaired["reason"].iloc[1]
    assert any("1 школа остаётся без пары" in n for n in res.notes)
    assert res.leaders["n_assigned"].tolist() == [1, 1, 1]
    # no leaders at all
    none = pt.pair_schools(ident, ld.iloc[0:0], feats, schools, cfg)
    assert (~none.pairs["paired"]).all() and "Нет ни одной школы-лидера" in none.pairs["reason"].iloc[0]


def test_method_text():
    text = pt.partners_method_ru()
    assert "linear_sum_assignment" in text and "гаверсинус" in text


def test_cli_partners_writes_csv(small_demo_dir, tmp_path):
    from typer.testing import CliRunner

    from shnro_lib.cli import app

    out, xlsx = tmp_path / "pairs.csv", tmp_path / "pairs.xlsx"
    r = CliRunner().invoke(
        app, ["partners", str(small_demo_dir), "--year", "2024", "--csv", str(out), "--xlsx", str(xlsx)]
    )
    assert r.exit_code == 0, r.output
    from shnro_lib.partners import COLUMN_LABELS_RU as L

    df = pd.read_csv(out, encoding="utf-8-sig", dtype={L["school_id"]: str, L["leader_id"]: str})
    # Russian headers (the vocabulary's), no column id
    assert list(df.columns[:6]) == [
        L[c] for c in ("school_id", "leader_id", "context_distance", "result_gap", "distance_km", "reason")
    ]
    assert not [c for c in df.columns if "_" in c]
    assert len(df) > 0 and df[L["leader_id"]].notna().all()
    assert df[L["school_id"]].is_unique
    assert xlsx.exists()


def test_settings_are_the_typed_model():
    """The loader hands on the validated model (attribute access); loaded settings pass through unchanged."""
    cfg = pt.load_partners_config({"leaders": {"capacity": 3}})
    assert isinstance(cfg, pt.PartnersSettings)
    assert cfg.leaders.capacity == 3 and cfg.weights.km == pt.load_partners_config().weights.km
    assert pt.load_partners_config(cfg) is cfg
    with pytest.raises(ValueError, match="capacity"):
        pt.load_partners_config({"leaders": {"capacity": 0}})
