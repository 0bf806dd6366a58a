"""The method annex text for a rule set (Markdown, Russian)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shnro_lib.identify.explain import _threshold_ru
from shnro_lib.identify.rules import load_rules
from shnro_lib.russian import years_ru


def _n(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _title(r: dict, name: str) -> str:
    return f"«{r['criteria'][name]['title_ru']}»"


def _clause_ru(r: dict, cl: dict) -> str:
    names = ", ".join(_title(r, n) for n in cl["criteria"])
    m = int(cl["min"])
    if len(cl["criteria"]) == 1:
        text = names
    elif m == len(cl["criteria"]):
        text = f"все из: {names}"
    else:
        text = f"не менее {m} из: {names}"
    if cl["require_one_of"]:
        text += " — из них хотя бы один: " + ", ".join(_title(r, n) for n in cl["require_one_of"])
    if cl["lower_half_of"]:
        ru = {
            "result_index": "индексу результатов",
            "social_wellbeing_index": "ИСБ",
            "staff_index": "индексу кадров",
            "resources_index": "индексу ресурсов",
        }
        text += " — и только у школы из нижней половины по " + ", ".join(
            ru.get(g, g) for g in cl["lower_half_of"]
        )
    return text


def _intended_ru(spec: dict) -> str:
    it = spec["intended"]
    if it is None:
        return "намеченный размер не задан (сколько даст правило)"
    if it["share"] is not None:
        lo, hi = it["share"]
        return f"намеченный размер — {lo * 100:.0f}–{hi * 100:.0f} % школ ({it['note_ru']})"
    return f"намеченный размер — {it['capacity']} школ ({it['note_ru']})"


def _category_logic_ru(r: dict) -> list[str]:
    lines = []
    for cat, spec in r["categories"].items():
        parts = [_clause_ru(r, cl) for cl in spec["any_of"]]
        lines.append(f"- **{cat}**: " + "; или ".join(parts) + f". {_intended_ru(spec).capitalize()}.")
    for g, members in (r["groups"] or {}).items():
        lines.append(
            f"- Группа «{g}»: {', '.join(_title(r, n) for n in members)} — в условии считаются "
            "одним критерием (описывают одно и то же)."
        )
    return lines


def _risk_zone_ru(r: dict) -> list[str]:
    rz, ri = r["risk_zone"], r["result_index"]
    parts = []
    if rz["margin_categories"]:
        parts.append(
            "условия категорий " + ", ".join(rz["margin_categories"]) + " были бы выполнены, если бы "
            "критерии, не выполненные в пределах запаса для «зоны риска», считались выполненными"
        )
    if rz["index_drop"] is not None:
        parts.append(
            f"годовой индекс результатов снизился за {rz['index_drop_years']} г. не менее чем на "
            f"{_n(rz['index_drop'])} SD, и падение значимо: не меньше {_n(rz['index_drop_z'])} его стандартной "
            "ошибки" + ("; индекс снижался в каждом году этого срока" if rz["index_drop_sustained"] else "")
        )
    if rz["borderline"]:
        bp = ri["borderline_p"]
        parts.append(
            f"вероятность попасть в нижние {ri['bottom_share'] * 100:.0f} % — от {_n(bp[0])} до {_n(bp[1])}"
        )
    if rz["one_short_categories"]:
        parts.append("для категорий " + ", ".join(rz["one_short_categories"]) + " не хватает одного критерия")
    if not parts:
        return ["Зона риска не определяется."]
    return [
        "Школа не отнесена к ШНРО/ШНСУ, не входит в верхнюю половину по индексу результатов, и: "
        + "; или ".join(parts)
        + "."
    ]


def identification_method_ru(rules: str | Path | Mapping = "lo_2018", override: Mapping | None = None) -> str:
    """Markdown text for the method annex: criteria, thresholds, uncertainty, choices made.

    ``override``: a user's ``--config`` (its ``criteria`` section applies to this rule set).
    """
    r = load_rules(rules, (override or {}).get("criteria"))
    ri = r["result_index"]
    method = ri["method"]
    lines = [
        f"## Методика идентификации: {r['title_ru']}",
        "",
        str(r["description_ru"]).strip(),
        "",
        "### Критерии",
        "",
    ]
    for c in r["criteria"].values():
        pers = c["persistence"]
        extra = f"; устойчивость: {pers['k']} из {pers['n']} лет" if pers else ""
        minn = f"; оценивается при объёме группы не менее {c['min_n']:g}" if c["min_n"] is not None else ""
        lines.append(
            f"- {c['title_ru']}: порог — {_threshold_ru(c)}; "
            f"окно — {years_ru(int(c['window']))}{extra}{minn}."
        )
    procs = ", ".join(ri["procedures"]) if ri["procedures"] else "все процедуры, которые есть в данных"
    lines += [
        "",
        "### Отнесение к категориям",
        "",
        *_category_logic_ru(r),
        "",
        "Если данных для критерия нет у школы (нет значения, слишком мала группа), критерий считается "
        "**не оценённым** и никогда не считается выполненным; такие критерии перечислены один раз в "
        "столбце «Не оценены». Если источника критерия нет в наборе данных совсем (нет таблицы, поля "
        "или процедуры), критерий исключается для всех школ с одной пометкой; категория, которую не "
        f"удалось проверить более чем для {(1 - r['coverage_min_share']) * 100:.0f} % школ, — "
        "«не оценено» с причиной, а не «0 выявленных».",
        "",
        "### Индекс результатов и неопределённость",
        "",
        f"Индекс результатов — взвешенное числом участников среднее стандартизованных баллов ({procs}) "
        "за окно; каждая ячейка «процедура × предмет × класс × год» стандартизуется по школам региона "
        "(балл в % от максимума); выше — лучше. Стандартная ошибка учитывает число участников. "
        "Если лет в данных меньше окна, окно сокращается, и об этом сказано в примечаниях.",
        "Эмпирическая байесовская оценка: индекс школы сжимается к среднему с весом "
        "τ²/(τ² + SE²), τ² — дисперсия истинных индексов (метод моментов: дисперсия индексов минус "
        "средний квадрат SE). Вероятность попасть в нижние "
        f"{float(ri['bottom_share']) * 100:.0f} % — апостериорная вероятность того, что истинный "
        "индекс ниже соответствующего квантиля распределения истинных индексов.",
        {
            "plain": "Правило отбора: **простое** — нижняя доля школ по наблюдаемому индексу.",
            "shrunken": "Правило отбора: **по сжатому индексу** — нижняя доля школ по эмпирической "
            "байесовской оценке (малые школы реже попадают в список случайно).",
            "significant_and_bottom": "Правило отбора: **нижняя доля и значимо ниже среднего** (как IDSR "
            f"в Англии): z ≤ −{_n(ri['significance_z'])}.",
        }[method],
    ]
    if ri["procedure_weights"]:
        lines.append(
            "Веса процедур: "
            + ", ".join(f"{k} — {v:g}" for k, v in sorted(ri["procedure_weights"].items()))
            + " (остальные — 1)."
        )
    if ri["year_weights"]:
        lines.append(f"Веса лет (последний год первым): {ri['year_weights']}.")
    if ri["min_participants"]:
        lines.append(
            f"Индекс не оценивается при числе участников в среднем за год менее {ri['min_participants']:g}."
        )
    lines += ["", "### Зона риска", "", *_risk_zone_ru(r)]
    if r["changes_ru"]:
        lines += [
            "",
            "### Изменённые значения по умолчанию и почему",
            "",
            *[f"- {c}" for c in r["changes_ru"]],
        ]
    lines += [
        "",
        "### Выборы, сделанные там, где источник молчит",
        "",
        "- Процентильные отсечения: школа в нижних p %, если её ранг (минимальный при равенстве) не больше "
        "p × число школ с известным значением.",
        "- Расхождение со средним баллом региона — в баллах 100-балльной шкалы (балл в % от максимума), "
        "наибольшее из расхождений по процедурам за окно.",
        "- Региональный мониторинг для критерия «качество знаний» — процедура × предмет, классы и годы "
        "окна объединены с весами числа участников.",
        "- Количество выполненных критериев для отнесения к категории задано в файле правил "
        "(раздел категорий).",
        "- Составные индексы (ИСБ, кадры, ресурсы) считаются по показателям, которые есть в данных; "
        "минимальная полнота относится к весу имеющихся показателей, полнота указана рядом с индексом.",
        "- Пороги территориальных признаков заданы в параметрах составных индексов (раздел "
        "территориальных признаков).",
    ]
    return "\n".join(lines) + "\n"
