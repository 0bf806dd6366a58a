"""The method annex text for a rule set (Markdown, Russian)."""

from __future__ import annotations

from pathlib import Path

from shnro_lib.identify.explain import _threshold_ru
from shnro_lib.identify.rules import load_rules


def _category_logic_ru(r: dict) -> list[str]:
    lines = []
    for cat, spec in r["categories"].items():
        parts = []
        for cl in spec["any_of"]:
            names = ", ".join(f"«{r['criteria'][n].get('title_ru', n)}»" for n in cl["criteria"])
            m = int(cl.get("min", 1))
            if len(cl["criteria"]) == 1:
                parts.append(names)
            elif m == len(cl["criteria"]):
                parts.append(f"все из: {names}")
            else:
                parts.append(f"не менее {m} из: {names}")
        lines.append(f"- **{cat}**: " + "; или ".join(parts) + ".")
    return lines


def identification_method_ru(rules: str | Path | dict = "lo_2018") -> str:
    """Markdown text for the method annex: criteria, thresholds, uncertainty, choices made."""
    r = load_rules(rules)
    ri = r.get("result_index", {}) or {}
    rz = r.get("risk_zone", {}) or {}
    method = ri.get("method", "plain")
    lines = [f"## Методика идентификации: {r.get('title_ru', r['name'])}", "",
             str(r.get("description_ru", "")).strip(), "", "### Критерии", ""]
    for name, c in r["criteria"].items():
        pers = c.get("persistence")
        extra = f"; устойчивость: {pers['k']} из {pers['n']} лет" if pers else ""
        minn = f"; оценивается при объёме группы не менее {c['min_n']}" if "min_n" in c else ""
        lines.append(f"- `crit_{name}` — {c.get('title_ru', name)}: порог — {_threshold_ru(c)}; "
                     f"окно — {int(c.get('window', 1))} г.{extra}{minn}.")
    lines += ["", "### Отнесение к категориям", "", *_category_logic_ru(r), "",
              "Если данных для критерия нет (нет таблицы, нет значения, слишком мала группа), критерий "
              "считается **не оценённым** (пусто в таблице) и никогда не считается выполненным; "
              "в пояснении к школе такие критерии перечислены.", "",
              "### Индекс результатов и неопределённость", "",
              f"Индекс результатов — взвешенное числом участников среднее стандартизованных баллов "
              f"({', '.join(ri.get('procedures') or ['все процедуры'])}) за окно; каждая ячейка "
              "«процедура × предмет × класс × год» стандартизуется по школам региона (балл в % от максимума); "
              "выше — лучше. Стандартная ошибка учитывает число участников.",
              "Эмпирическая байесовская оценка: индекс школы сжимается к среднему с весом "
              "τ²/(τ² + SE²), τ² — дисперсия истинных индексов (метод моментов: дисперсия индексов минус "
              "средний квадрат SE). Вероятность попасть в нижние "
              f"{float(ri.get('bottom_share', 0.25)) * 100:.0f} % — апостериорная вероятность того, что истинный "
              "индекс ниже соответствующего квантиля распределения истинных индексов.",
              {"plain": "Правило отбора: **простое** — нижняя доля школ по наблюдаемому индексу.",
               "shrunken": "Правило отбора: **по сжатому индексу** — нижняя доля школ по эмпирической "
                           "байесовской оценке (малые школы реже попадают в список случайно).",
               "significant_and_bottom": "Правило отбора: **нижняя доля и значимо ниже среднего** (как IDSR "
                                         f"в Англии): z ≤ −{ri.get('significance_z', 1.645)}."}[method]]
    if ri.get("year_weights"):
        lines.append(f"Веса лет (последний год первым): {ri['year_weights']}.")
    if ri.get("min_participants"):
        lines.append(f"Индекс не оценивается при числе участников в среднем за год менее {ri['min_participants']}.")
    bp = ri.get("borderline_p", [0.2, 0.8])
    lines += [f"Пограничные школы: вероятность попасть в нижнюю группу от {bp[0]} до {bp[1]}.", "",
              "### Зона риска", ""]
    rz_parts = []
    if rz.get("margin_categories"):
        rz_parts.append("критерий категорий " + ", ".join(rz["margin_categories"])
                        + " почти выполнен (в пределах запаса `risk_margin`)")
    if rz.get("index_drop") is not None:
        rz_parts.append(f"годовой индекс результатов снизился за окно на {rz['index_drop']} SD и более")
    if rz.get("borderline"):
        rz_parts.append("школа пограничная по вероятности попасть в нижнюю группу")
    if rz.get("one_short_categories"):
        rz_parts.append("для категорий " + ", ".join(rz["one_short_categories"])
                        + " не хватает одного критерия в условии")
    lines.append("Школа не отнесена к ШНРО/ШНСУ, но: " + "; или ".join(rz_parts) + "." if rz_parts
                 else "Зона риска не определяется.")
    lines += ["", "### Выборы, сделанные там, где источник молчит", "",
              "- Процентильные отсечения: школа в нижних p %, если её ранг (минимальный при равенстве) не больше "
              "p × число школ с известным значением.",
              "- Расхождение со средним баллом региона — в баллах 100-балльной шкалы (балл в % от максимума), "
              "наибольшее из расхождений по процедурам за окно.",
              "- Региональный мониторинг для критерия «качество знаний» — процедура × предмет, классы и годы "
              "окна объединены с весами числа участников.",
              "- Количество выполненных критериев для отнесения к категории задано в файле правил "
              "(раздел `categories`).",
              "- Пороги территориальных признаков — в `parameters/indices.yaml` (`territory_flags`)."]
    return "\n".join(lines) + "\n"

