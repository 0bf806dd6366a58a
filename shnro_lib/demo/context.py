"""Yearly school tables drawn from the schools' static context: social context, staff, resources."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_context(rng: np.random.Generator, st: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    parts = []
    for t, y in enumerate(years):
        drift = 1 + rng.normal(0, 0.04, size=len(st))
        parts.append(
            pd.DataFrame(
                {
                    "school_id": st.index,
                    "year": y,
                    "enrolment": np.maximum(
                        5, (st["enrolment"] * (1 + 0.01 * t) * rng.normal(1, 0.02, len(st))).round()
                    ).astype(int),
                    "share_low_ses": np.clip(st["low_ses"] * drift, 0, 1).round(3),
                    "share_low_parent_education": np.clip(st["low_parent_education"] * drift, 0, 1).round(3),
                    "share_deviant": np.clip(st["deviant"] * drift, 0, 1).round(3),
                    "share_low_motivation": np.clip(st["low_motivation"] * drift, 0, 1).round(3),
                    "share_non_native_russian": np.clip(st["non_native_russian"] * drift, 0, 1).round(3),
                    "share_special_needs": np.clip(st["special_needs"] * drift, 0, 1).round(3),
                    "share_single_parent": np.clip(st["single_parent"] * drift, 0, 1).round(3),
                    "distance_to_center_km": st["distance_km"].round(1).to_numpy(),
                    "is_small_school": st["small"].to_numpy(),
                    "share_multi_grade_classes": st["multi_grade"].round(3).to_numpy(),
                }
            )
        )
    ctx = pd.concat(parts, ignore_index=True)
    # percents, as many exports give them
    for c in ("share_low_ses", "share_low_parent_education", "share_single_parent"):
        ctx[c] = (ctx[c] * 100).round(1)
    # a school with missing context (most fields) in every year: listed, not imputed
    miss = ctx["school_id"] == st.index[7]
    for c in (
        "share_low_ses",
        "share_low_parent_education",
        "share_deviant",
        "share_low_motivation",
        "share_non_native_russian",
        "share_single_parent",
    ):
        ctx.loc[miss, c] = np.nan
    return ctx


def make_staff(rng: np.random.Generator, st: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    bad = st["group"].isin(["rural_small", "disadvantaged"]).to_numpy().astype(float)
    base = rng.normal(0, 1, len(st)) - 0.6 * bad
    parts = []
    for y in years:
        b = base + rng.normal(0, 0.25, len(st))
        parts.append(
            pd.DataFrame(
                {
                    "school_id": st.index,
                    "year": y,
                    "teachers": np.maximum(
                        3, (st["enrolment"] / 11 * rng.normal(1, 0.1, len(st))).round()
                    ).astype(int),
                    "share_category_confirmed_3y": np.clip(0.55 + 0.12 * b, 0, 1),
                    "share_overloaded": np.clip(0.25 - 0.08 * b, 0, 1),
                    "share_contest_participants_3y": np.clip(0.10 + 0.05 * b, 0, 1),
                    "share_non_specialty": np.clip(0.10 - 0.06 * b, 0, 1),
                    "share_higher_education": np.clip(0.82 + 0.06 * b, 0, 1),
                    "share_under_35": np.clip(0.2 + 0.05 * b, 0, 1),
                    "share_pension_age": np.clip(0.25 - 0.05 * b, 0, 1),
                    "vacancies": rng.poisson(np.maximum(0.2, 1.0 - 0.6 * b)),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def make_resources(rng: np.random.Generator, st: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    small = st["enrolment"].to_numpy() < 250
    base = rng.normal(0, 1, len(st)) - 0.4 * st["group"].isin(["rural_small", "disadvantaged"]).to_numpy()
    reno = rng.random(len(st)) < 0.05
    constr = rng.random(len(st)) < 0.04
    parts = []
    for t, y in enumerate(years):
        b = base + rng.normal(0, 0.2, len(st))
        spend = (95000 + 90000 * small + 40000 * (st["enrolment"].to_numpy() < 100)) * (1 + 0.06 * t)
        spend = spend * rng.lognormal(0, 0.12, len(st))
        parts.append(
            pd.DataFrame(
                {
                    "school_id": st.index,
                    "year": y,
                    "share_textbooks_recent": np.clip(0.35 + 0.1 * b, 0, 1).round(3),
                    "share_extrabudget": np.clip(
                        0.04 + 0.03 * b + 0.04 * (st["group"] == "urban_advantaged"), 0, 1
                    ).round(3),
                    "share_repair_3y": np.clip(0.08 + 0.03 * b, 0, 1).round(3),
                    "in_renovation_plan": reno,
                    "in_construction_plan": constr,
                    "spending_per_pupil": spend.round(0),
                    "computers_per_pupil": np.clip(0.15 + 0.05 * b, 0.01, None).round(3),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
