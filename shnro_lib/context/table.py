"""One table per school joining clusters, expected results and similar schools; the method annex."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shnro_lib.bands import estimate_band, interval_band

from .clusters import ClusterResult, cluster_analysis
from .expected import ExpectedModel, fit_expected_model, flag_resilient
from .features import _role_features, load_context_config
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
    config: dict

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
    config: str | Path | Mapping | None = None,
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
    strong = float(cfg["bands"]["strong_sd"])
    tab["result_band"] = estimate_band(tab["result_index"], tab["result_index_se"], strong)
    tab["residual_band"] = interval_band(tab["residual_ci_low"], tab["residual_ci_high"], strong)
    return ContextReport(table=tab, clusters=cl, model=em, similar=sim, excluded=cl.excluded, config=cfg)


def context_table(dataset, year: int, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """One row per school of the ``schools`` table: clusters, context index, expected results and flags.

    Columns include ``school_id, municipality, cluster, cluster_name, context_index, result_index,
    expected_result, residual, residual_ci_low, residual_ci_high, resilient,
    underperforming_favourable, context_status, similar_ids, context_missing_reason, model_used,
    context_r2``. Schools left out for missing context keep their row with empty values and
    the reason.
    """
    return context_analysis(dataset, year, config, stability=False).table


# --------------------------------------------------------------------------- method annex

_METHOD_RU = {
    "kmeans": "метод k-средних",
    "ward": "иерархическая кластеризация методом Уорда",
    "gmm": "модель смеси нормальных распределений",
}


def _levels_text(cfg: Mapping) -> str:
    """The sentence of the method on school levels (``similar.levels``), empty without them."""
    levels = (cfg["similar"].get("levels") or {}).values()
    if not levels:
        return ""
    names = ", ".join(dict.fromkeys(levels))
    return (
        f" Сначала берутся школы того же уровня ({names} — по типу школы): средняя школа сравнивается "
        "со средними; школы другого уровня только дополняют список, если своих не хватает."
    )


def context_method_ru(config: str | Path | Mapping | None = None) -> str:
    """The method annex (markdown, Russian): features, clustering, model and assumptions."""
    cfg = load_context_config(config)
    cat = cfg["features"]
    ccfg = cfg["clustering"]
    mcfg = cfg["model"]
    rcfg = cfg["resilient"]
    miss = cfg["missing"]
    tables_ru = {
        "context": "социальный контекст",
        "staff": "кадры",
        "resources": "ресурсы",
        "territories": "территории",
        "schools": "справочник школ",
    }
    tr_ru = {
        "none": "без преобразования",
        "log": "логарифм",
        "log1p": "логарифм (1 + x)",
        "bool": "да/нет → 1/0",
        "indicator": "индикатор",
    }

    def _list(role: str) -> str:
        return "\n".join(
            f"- {cat[f]['label']} — таблица «{tables_ru[cat[f]['table']]}», {tr_ru[cat[f]['transform']]}"
            for f in _role_features(cfg, role)
        )

    method = ccfg["method"]
    kchoice = (
        f"число кластеров задано: {ccfg['k']}"
        if ccfg["k"]
        else f"число кластеров выбирается из диапазона {ccfg['k_range']} "
        + ("по информационному критерию BIC" if method == "gmm" else "по коэффициенту силуэта")
    )
    ci_m = cfg["context_index"]["method"]
    ci_text = (
        "линейный предиктор модели ожидаемых результатов (прогноз результата только по контексту, "
        "как ICSEA в австралийской системе My School), стандартизованный"
        if ci_m == "linear_predictor"
        else "первая главная компонента стандартизованных признаков, ориентированная так, что большее "
        "значение — более благоприятный контекст"
    )
    prior_text = (
        "Если в результатах есть предшествующий результат той же когорты (столбец prior_score, "
        "«Предшествующий результат»), он входит в модель как ковариата (стандартизованный средний за "
        "окно лет); тогда отклонение — прогресс относительно исходного уровня и контекста. В индекс "
        "контекста он не входит. Без этого столбца модель строится только по контексту."
        if mcfg["use_prior_score"]
        else "Предшествующий результат в модель не включается (отключено в настройках контекста)."
    )
    kchoice += (
        f"; в каждом кластере не меньше {int(ccfg['min_cluster_size'])} школ — при малом числе школ "
        "кластеров меньше (или одна группа)"
    )
    return f"""## Методика: контекст школ

**Контекст ≠ результаты.** Признаки контекста берутся только из таблиц социального контекста, кадров,
ресурсов, территорий и справочника школ; результаты обучения в кластеризацию и подбор похожих школ не входят.

### Признаки
Используются данные контекста за год анализа; если у школы нет строки за этот год, берётся последняя
более ранняя (число таких школ указывается). Признаки стандартизуются (среднее 0, стандартное отклонение 1).
Школа, у которой пропущено более {float(miss["max_share"]):.0%} признаков
{"(в целом или в пределах одной таблицы) " if miss["per_table"] else ""}не кластеризуется и не
моделируется, а приводится в отдельном списке с причиной. Остальные пропуски заполняются медианой
муниципалитета (если её нет — медианой региона); число заполненных значений сообщается.

Признаки кластеризации:
{_list("clustering")}

Признаки модели ожидаемых результатов:
{_list("model")}

### Кластеризация
Метод: {_METHOD_RU[method]}; {kchoice}. Зерно генератора {ccfg["random_state"]}, число запусков
{ccfg["n_init"]}. Устойчивость — бутстреп ({ccfg["stability"]["n_boot"]} повторов):
школы выбираются с возвращением, кластеризация повторяется, согласие с исходными кластерами на выбранных
школах измеряется скорректированным индексом Рэнда (ARI; 1 — полное совпадение, 0 — случайное).
Название кластера составляется автоматически из признаков, чьё среднее в кластере сильнее всего
отличается от общего (не менее чем на {ccfg["naming"]["min_abs_z"]} стандартного
отклонения); за каждым названием стоит таблица профиля. Для других лет контекст школ относится к
кластерам опорного года; перечисляются школы, сменившие кластер, и величина изменения контекста.

### Ожидаемые результаты
Индекс результатов школы за {int(mcfg["window"])} года, заканчивающиеся годом анализа, моделируется
по признакам контекста линейной моделью со случайным муниципальным эффектом (MixedLM, REML). Дисперсия
муниципального эффекта проверяется: если она практически нулевая (менее {mcfg["min_re_variance_ratio"]}
остаточной) или подгонка не удалась, модель пересчитывается другим оптимизатором, а затем заменяется
МНК-регрессией {"с весами 1/(τ² + SE²) " if mcfg["ols_weighting"] == "precision" else ""}и
кластеризованными по муниципалитетам ошибками; какая модель использована и почему — указывается.
Ожидаемый результат — прогноз по контексту{" с учётом муниципального эффекта" if mcfg["include_municipal_effect"] else " (без муниципального эффекта)"};
отклонение = фактический − ожидаемый (положительное — лучше, чем предсказывает контекст). Доверительный
интервал отклонения ({float(mcfg["ci_level"]):.0%}) учитывает выборочную ошибку индекса школы,
неопределённость прогноза модели{" и колебания результатов школы от года к году (общая по региону дисперсия разовых «удачных» и «неудачных» лет)" if mcfg["include_year_shock"] else ""}. Доля дисперсии, объяснённая контекстом, — маргинальный R² (для МНК — R²).

{prior_text}

Индекс контекста: {ci_text}.

**Резильентные школы** — индекс контекста в нижних {float(rcfg["bottom_share"]):.0%} и
доверительный интервал отклонения целиком выше нуля. Противоположная группа — индекс контекста в верхних
{float(rcfg["top_share"]):.0%} и интервал целиком ниже нуля.

**Похожие школы** — для каждой школы {int(cfg["similar"]["k"])} ближайших по
стандартизованным признакам контекста (евклидово расстояние), как в австралийской системе My School.{_levels_text(cfg)}

### Допущения и ограничения
- Модель описывает связь результатов с контекстом, а не причинное влияние; неучтённые особенности
  контекста попадают в отклонение школы.
- Выборочная ошибка индекса рассчитана в предположении независимости строк результатов.
- Кластеры — удобное описание разнообразия школ, а не «естественные» типы; устойчивость (ARI) показывает,
  насколько им можно доверять.
"""
