"""A corpus of data-set shapes for tests: the demo reshaped the way real regions' data come.

A real data set holds a subset of the contract's tables and columns, often a small one: one
procedure only, two years, a region's own monitoring on its own scale, a context table with a
few of its columns, no context at all, spending without a programme.  Each profile takes a small
generated demo (canonical Parquet tables) and writes a data folder of that shape, so every
command can be run on it and its outputs checked for sense.

    >>> sorted(PROFILES)[:3]
    ['context_2_features', 'ege_oge_only', 'no_context']

A profile may need a demo generated with another programme design (:data:`PROGRAMME_PROFILE`):
``single_year_selection`` is the demo whose single cohort was selected on one year's results, with
clean earlier years (``generate_demo(..., programme_profile="single_clean")``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

Tables = dict[str, pd.DataFrame]

# the procedure a region brings on its own scale (not one the workbook knows)
OWN_PROCEDURE = "Региональный мониторинг"
OWN_SCALE = (200.0, 1000.0)
CONTEXT_KEEP = ["enrolment", "share_low_ses"]  # 2 of the 9 clustering features


def _only_procedures(procs: list[str]) -> Callable[[Tables], Tables]:
    def shape(t: Tables) -> Tables:
        res = t["results"]
        return {**t, "results": res[res["procedure"].isin(procs)].reset_index(drop=True)}

    return shape


def _last_years(n: int) -> Callable[[Tables], Tables]:
    def shape(t: Tables) -> Tables:
        years = sorted(t["results"]["year"].dropna().unique())[-n:]
        out = {}
        for name, df in t.items():
            out[name] = df[df["year"].isin(years)].reset_index(drop=True) if "year" in df.columns else df
        return out

    return shape


def _own_procedure(t: Tables) -> Tables:
    """ОГЭ and ВПР results recoded as one regional monitoring on a 200–1000 scale, without shares."""
    res = t["results"]
    r = res[res["procedure"].isin(["ОГЭ", "ВПР"])].copy()
    lo, hi = OWN_SCALE
    r["mean_score"] = (lo + (hi - lo) * r["mean_score"] / r["max_score"]).round(1)
    r["max_score"] = hi
    r["procedure"] = OWN_PROCEDURE
    r = r.drop(columns=[c for c in ("share_low", "share_quality", "share_high") if c in r.columns])
    # ОГЭ and ВПР may share a subject and grade (9th grade): keep one row per key
    r = r.drop_duplicates(["school_id", "year", "procedure", "subject", "grade"], keep="first")
    return {**t, "results": r.reset_index(drop=True)}


def _context_two(t: Tables) -> Tables:
    out = {k: v for k, v in t.items() if k not in ("territories",)}
    out["context"] = t["context"][["school_id", "year", *CONTEXT_KEEP]]
    out["schools"] = t["schools"].drop(columns=["locality_type"], errors="ignore")
    return out


def _no_context(t: Tables) -> Tables:
    return {k: v for k, v in t.items() if k not in ("context", "territories")}


def _spending_no_programme(t: Tables) -> Tables:
    return {k: v for k, v in t.items() if k not in ("programme", "process", "diagnostics")}


def _as_generated(t: Tables) -> Tables:
    """The tables as the generator wrote them: the shape lies in the programme design of the source demo."""
    return dict(t)


PROFILES: dict[str, Callable[[Tables], Tables]] = {
    "only_vpr": _only_procedures(["ВПР"]),
    "ege_oge_only": _only_procedures(["ЕГЭ", "ОГЭ"]),
    "two_years": _last_years(2),
    "own_procedure": _own_procedure,
    "context_2_features": _context_two,
    "no_context": _no_context,
    "spending_no_programme": _spending_no_programme,
    "single_year_selection": _as_generated,
}
PROFILE_RU = {
    "only_vpr": "только ВПР",
    "ege_oge_only": "только ЕГЭ и ОГЭ",
    "two_years": "2 года",
    "own_procedure": f"своя процедура ({OWN_PROCEDURE}, шкала 200–1000)",
    "context_2_features": "контекст: 2 из 9 признаков",
    "no_context": "нет таблицы контекста",
    "spending_no_programme": "расходы без программы",
    "single_year_selection": (
        "программа: одна волна, отбор по результатам одного года, более ранние годы чистые"
    ),
}
# profiles whose source demo has another programme design (``programme.profiles`` in parameters/demo.yaml);
# the others are cut from the default demo
PROGRAMME_PROFILE = {"single_year_selection": "single_clean"}


def read_tables(folder: str | Path) -> Tables:
    """The canonical Parquet tables of a folder written by ``generate_demo(..., fmt="parquet")``."""
    return {p.stem: pd.read_parquet(p) for p in sorted(Path(folder).glob("*.parquet"))}


def _facts(demo_dir: Path, tables: Tables) -> dict:
    """The demo's facts reduced to what a shaped set still carries: no targets (a real set seldom has
    them)."""
    facts = yaml.safe_load((demo_dir / "dataset.yaml").read_text(encoding="utf-8")) or {}
    keep = {k: facts[k] for k in ("name", "synthetic", "note") if k in facts}
    if "programme" in tables and "programme" in facts:
        keep["programme"] = facts["programme"]
    return keep


def write_profile(demo_dir: str | Path, name: str, out_dir: str | Path) -> Path:
    """Write profile ``name`` of the Parquet demo in ``demo_dir`` to ``out_dir`` (canonical Parquet)."""
    if name not in PROFILES:
        raise ValueError(f"Неизвестный профиль «{name}»: есть {', '.join(sorted(PROFILES))}")
    demo_dir, out = Path(demo_dir), Path(out_dir)
    tables = PROFILES[name](read_tables(demo_dir))
    out.mkdir(parents=True, exist_ok=True)
    for table, df in sorted(tables.items()):
        # a column the shape does not collect is absent, not an empty column
        df.dropna(axis=1, how="all").to_parquet(out / f"{table}.parquet", index=False)
    facts = _facts(demo_dir, tables)
    facts["note"] = f"{facts.get('note', '')} Профиль: {PROFILE_RU[name]}.".strip()
    (out / "dataset.yaml").write_text(
        yaml.safe_dump(facts, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return out


def generate_profiles(
    out_root: str | Path, seed: int = 1, n_schools: int = 120, names: list[str] | None = None
) -> dict[str, Path]:
    """Generate a small Parquet demo under ``out_root/demo`` and write each profile to ``out_root/<name>``.

    A profile of :data:`PROGRAMME_PROFILE` is cut from a demo of that programme design, generated with
    the same seed under ``out_root/demo_<design>`` (its planted truth in ``demo_<design>_truth``).
    """
    from shnro_lib.demo.generator import generate_demo

    root = Path(out_root)
    wanted = names or sorted(PROFILES)
    sources: dict[str | None, Path] = {}
    for design in sorted({PROGRAMME_PROFILE.get(n) for n in wanted}, key=lambda d: d or ""):
        sources[design] = root / ("demo" if design is None else f"demo_{design}")
        generate_demo(
            sources[design], seed=seed, n_schools=n_schools, fmt="parquet", programme_profile=design
        )
    return {n: write_profile(sources[PROGRAMME_PROFILE.get(n)], n, root / n) for n in wanted}
