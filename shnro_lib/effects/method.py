"""The method annex of the effects workbook: ``templates/method.md.j2`` and ``templates/self_check.md``
rendered with the settings and the design (Python passes values only)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Template

from shnro_lib.effects.settings import load_effects_config
from shnro_lib.prose import render_prose

TEMPLATES = Path(__file__).with_name("templates")


def self_check_text(cfg) -> str:
    """The annex's plain-words account of the self-check (``templates/self_check.md``)."""
    th, sc = cfg.identifiability, cfg.self_check
    text = Template((TEMPLATES / "self_check.md").read_text(encoding="utf-8")).render(
        reps=sc.replications,
        cap=sc.max_replications,
        effect=f"{sc.planted_effect_pp:g}".replace(".", ","),
        bias=f"{th.max_abs_bias_pp:g}".replace(".", ","),
        coverage=f"{th.min_coverage:.0%}",
    )
    return text.strip()


def _design_values(design) -> dict | None:
    """The design's description for the template (``None`` without cohorts)."""
    from shnro_lib.effects.design import KIND_RU, choose_estimator
    from shnro_lib.effects.table import NAMES_RU

    if design is None or not design.cohorts:
        return None
    picked, valid = choose_estimator(design)
    return {
        "describe": design.describe_ru(),
        "kind": KIND_RU[design.kind],
        "picked": NAMES_RU[picked],
        "valid": ", ".join(NAMES_RU[v] for v in valid),
        "assumptions": " ".join(design.assumptions),
    }


def _simulation_values(design, cfg) -> dict:
    """The simulation table for the template: the closest design's table, or every design's picked row."""
    from shnro_lib.effects.simulation import DESIGNS_RU, closest_design, simulation_markdown, simulation_table
    from shnro_lib.effects.table import NAMES_RU

    if design is not None:
        return {
            "simulation_design": simulation_markdown(closest_design(design), cfg),
            "simulation_run": True,
            "simulation_rows": [],
        }
    tab = simulation_table(config=cfg)
    th = cfg.identifiability
    rows = [
        {
            "design": DESIGNS_RU.get(r["design"], r["design"]),
            "estimator": NAMES_RU.get(r["estimator"], r["estimator"]),
            "numbers": f"{r['bias_pp']:+.2f} | {r['rmse_pp']:.2f} | {r['coverage']:.0%}".replace(".", ","),
            "identified": bool(abs(r["bias_pp"]) < th.max_abs_bias_pp and r["coverage"] >= th.min_coverage),
        }
        for _, r in (tab[tab["picked"].astype(bool)].iterrows() if len(tab) else [])
    ]
    return {"simulation_design": None, "simulation_run": bool(len(tab)), "simulation_rows": rows}


def effects_method_ru(config=None, dataset=None, design=None) -> str:
    """Markdown for the report's method annex (``templates/method.md.j2``): each estimator, its
    assumptions, the choice rule and the simulation table — for the design closest to ``dataset``'s (or
    ``design``), else for every simulated design (Russian).

    Parameters
    ----------
    config : str, Path, Mapping or None
        The effects settings; ``None`` for the defaults.
    dataset : Dataset, optional
        The data set whose programme design the text describes.
    design : ProgrammeDesign, optional
        The design itself (instead of ``dataset``).

    Returns
    -------
    str
        The rendered Markdown.
    """
    cfg = load_effects_config(config)
    if design is None and dataset is not None and dataset.has("programme"):
        from shnro_lib.effects.design import programme_design

        design = programme_design(dataset, cfg)
    plan = _design_values(design)
    computed = {
        "design": plan,
        "min_compliance": f"{cfg.selection.min_compliance:.0%}",
        "ci_level": f"{cfg.ci_level:.0%}",
        "self_check": self_check_text(cfg),
        **_simulation_values(design if plan is not None else None, cfg),
    }
    return render_prose("shnro_lib.effects", "method.md.j2", settings=cfg, computed=computed)
