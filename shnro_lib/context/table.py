"""One table per school joining clusters, expected results and similar schools; the method annex."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shnro_lib.bands import estimate_band, interval_band
from shnro_lib.prose import render_prose

from .clusters import ClusterResult, cluster_analysis
from .expected import ExpectedModel, fit_expected_model, flag_resilient
from .features import _role_features, load_context_config
from .settings import ContextSettings
from .similar import similar_schools

# --------------------------------------------------------------------------- joined table


@dataclass
class ContextReport:
    """Everything of :func:`context_analysis` (the CLI and the notebook use it)."""

    table: pd.DataFrame
    clusters: ClusterResult
    model: ExpectedModel
    similar: pd.DataFrame
    excluded: pd.DataFrame
    config: ContextSettings

    def coverage_ru(self) -> list[str]:
        """Russian lines: which features each analysis used, how many schools were assessed."""
        labels = self.clusters.context.labels

        def _names(feats: list[str]) -> str:
            return ", ".join(labels.get(f, f) for f in feats) or "—"

        model_feats = [f for f in self.model.params["feature"].tolist() if f != "const"]
        n_all = len(self.table)
        n_model = int(self.table["residual"].notna().sum())
        lines = [
            self.clusters.context.coverage_ru(),
            f"Кластеризация: признаки — {_names(self.clusters.features)}; школ {len(self.clusters.labels)} "
            f"из {n_all}.",
            f"Ожидаемые результаты: признаки — {_names(model_feats)}; школ {n_model} из {n_all}.",
            f"Похожие школы: признаки — {_names(self.similar.attrs.get('features', []))}.",
        ]
        lines += self.clusters.context.notes
        lines += self.clusters.notes
        lines += self.model.notes
        return lines


def context_analysis(
    dataset,
    year: int,
    config: str | Path | Mapping | ContextSettings | None = None,
    method: str | None = None,
    stability: bool = True,
) -> ContextReport:
    """Run features, clusters, expected results and similar schools once and join them."""
    cfg = load_context_config(config)
    cl = cluster_analysis(dataset, year, method, cfg, stability=stability)
    em = fit_expected_model(dataset, year, cfg)
    sim = similar_schools(dataset, year, None, cfg)
    sch = dataset.schools.drop_duplicates("school_id")[["school_id", "municipality"]].copy()
    sch["school_id"] = sch["school_id"].astype("string")
    tab = sch.merge(cl.labels, on="school_id", how="left")
    model_cols = [
        "school_id",
        "result_index",
        "result_index_se",
        "expected_result",
        "residual",
        "residual_se",
        "residual_ci_low",
        "residual_ci_high",
        "municipal_effect",
        "context_index",
    ]
    tab = tab.merge(em.table[model_cols], on="school_id", how="left")
    tab = flag_resilient(tab, cfg)
    peers = sim.groupby("school_id")["similar_id"].agg(lambda s: ", ".join(s.astype(str)))
    tab["similar_ids"] = tab["school_id"].map(peers)
    exc = cl.excluded.set_index("school_id")["reason"] if len(cl.excluded) else pd.Series(dtype=object)
    tab["context_missing_reason"] = tab["school_id"].map(exc)
    tab["model_used"] = em.model_used
    tab["context_r2"] = round(em.r2, 4)
    tab["cluster"] = tab["cluster"].astype("Int64")
    strong = float(cfg.bands.strong_sd)
    tab["result_band"] = estimate_band(tab["result_index"], tab["result_index_se"], strong)
    tab["residual_band"] = interval_band(tab["residual_ci_low"], tab["residual_ci_high"], strong)
    return ContextReport(table=tab, clusters=cl, model=em, similar=sim, excluded=cl.excluded, config=cfg)


def context_table(
    dataset, year: int, config: str | Path | Mapping | ContextSettings | None = None
) -> pd.DataFrame:
    """One row per school of the ``schools`` table: clusters, context index, expected results and flags.

    Columns include ``school_id, municipality, cluster, cluster_name, context_index, result_index,
    expected_result, residual, residual_ci_low, residual_ci_high, resilient,
    underperforming_favourable, context_status, similar_ids, context_missing_reason, model_used,
    context_r2``. Schools left out for missing context keep their row with empty values and
    the reason.
    """
    return context_analysis(dataset, year, config, stability=False).table


# --------------------------------------------------------------------------- method annex


def context_method_ru(config: str | Path | Mapping | ContextSettings | None = None) -> str:
    """The method annex (markdown, Russian): features, clustering, model and assumptions.

    Parameters
    ----------
    config : str, Path, Mapping or None
        The context settings; ``None`` for the defaults.

    Returns
    -------
    str
        ``shnro_lib/context/templates/method.md.j2`` rendered with the settings.
    """
    cfg = load_context_config(config)
    cat = cfg.features
    features = {
        role: [
            {"label": cat[f].label, "table": cat[f].table, "transform": cat[f].transform}
            for f in _role_features(cfg, role)
        ]
        for role in ("clustering", "model")
    }
    computed = {
        "features": features,
        "missing_share": f"{float(cfg.missing.max_share):.0%}",
        "ci_level": f"{float(cfg.model.ci_level):.0%}",
        "bottom_share": f"{float(cfg.resilient.bottom_share):.0%}",
        "top_share": f"{float(cfg.resilient.top_share):.0%}",
        "level_names": ", ".join(dict.fromkeys((cfg.similar.levels or {}).values())),
    }
    return render_prose("shnro_lib.context", "method.md.j2", settings=cfg, computed=computed)
