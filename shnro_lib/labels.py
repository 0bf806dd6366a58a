"""One Russian vocabulary for column headers in reports, Excel and CSV outputs.

The quantities of :mod:`shnro_lib.vocabulary` take their one name from there; the other headers
(keys, counts, load-report columns) are listed here.
"""

from shnro_lib.vocabulary import labels_ru

LABELS_RU: dict[str, str] = {
    "similar_id": "Код похожей школы", "similar_name": "Похожая школа", "rank": "Ранг", "distance": "Расстояние",
    "leader_id": "Код школы-лидера", "leader_name": "Школа-лидер", "leader_municipality": "МО школы-лидера",
    "school_name": "Школа", "context_distance": "Различие контекста", "result_gap": "Разрыв результатов, SD",
    "distance_km": "Расстояние, км", "school_result_index": "Индекс школы", "leader_result_index": "Индекс лидера",
    "spending_per_pupil": "Расходы на ученика, руб.", "mean_pct": "Средний балл, % от максимума",
    "efficiency": "Эффективность (DEA)", "efficiency_bc": "Эффективность с поправкой на смещение",
    "efficiency_ci_low": "Эффективность: нижняя граница", "efficiency_ci_high": "Эффективность: верхняя граница",
    "quadrant": "Квадрант «цена–качество»", "estimator": "Метод", "estimate_pp": "Эффект, п. п.",
    "ci_low_pp": "95% ДИ: от, п. п.", "ci_high_pp": "95% ДИ: до, п. п.", "estimate_sd": "Эффект, SD",
    "ci_low_sd": "95% ДИ: от, SD", "ci_high_sd": "95% ДИ: до, SD", "n_treated": "Школ программы",
    "n_control": "Школ сравнения", "preferred": "Рекомендуемая оценка", "note": "Примечание",
    "selfcheck_bias_pp": "Самопроверка: смещение, п. п.",
    "selfcheck_bias_mc_se_pp": "Самопроверка: ст. ошибка смещения (имитации), п. п.",
    "selfcheck_rmse_pp": "Самопроверка: среднеквадратичная ошибка, п. п.",
    "selfcheck_coverage_share": "Самопроверка: покрытие 95% ДИ",
    "selfcheck_coverage_mc_se_share": "Самопроверка: ст. ошибка покрытия (имитации)",
    "selfcheck_reps": "Самопроверка: повторений", "selfcheck_verdict": "Самопроверка: вывод",
    "placebo_pp": "Плацебо во времени, п. п.", "placebo_ci_low_pp": "Плацебо: 95% ДИ от, п. п.",
    "placebo_ci_high_pp": "Плацебо: 95% ДИ до, п. п.",
    "path": "Путь по годам", "status_ru": "Состояние", "title_ru": "Показатель", "target": "Цель",
    "change": "Изменение", "borderline": "Пограничная", "shrunken_index": "Сжатый индекс",
    "category_prev": "Категория в прошлом году", "years_listed": "Лет в списке",
    "risk_zone_reasons": "Причины зоны риска", "risks_high": "Высокие риски (500+)",
    "risks_medium": "Средние риски (500+)", "residual_se": "Ст. ошибка отклонения",
    "municipal_effect": "Эффект муниципалитета", "underperforming_favourable": "Ниже ожидаемого при благополучном контексте",
    "context_status": "Положение относительно контекста", "similar_ids": "Похожие школы (коды)",
    "context_missing_reason": "Почему нет контекста", "model_used": "Модель ожидаемого результата",
    "context_r2": "Доля дисперсии, объяснённая контекстом", "expected_model": "Модель ожидаемого результата",
    "years_listed_window": "Лет в списке за окно правил",
    "years_evaluated": "Лет в окне правил оценено", "staff_index": "Индекс кадров", "resources_index": "Индекс ресурсов",
    "school_id": "Код ОО", "name": "Школа", "municipality": "Муниципальное образование",
    "locality": "Населённый пункт", "locality_type": "Тип населённого пункта", "school_type": "Тип ОО",
    "year": "Год", "procedure": "Процедура", "subject": "Предмет", "grade": "Класс",
    "participants": "Участников", "schools": "Школ", "rows": "Строк результатов",
    "pct": "Средний балл, % от максимума", "z": "Стандартизованный балл", "share_low": "Доля низких результатов",
    "share_quality": "Качество знаний", "region_pct": "Регион: балл, %", "region_share_low": "Регион: доля низких",
    "region_participants": "Регион: участников", "diff_pct": "Разница с регионом, п. п.",
    "result_index": "Индекс результатов", "result_index_se": "Ст. ошибка индекса",
    "category": "Категория", "p_bottom_quartile": "Вероятность попасть в нижнюю долю школ по правилам",
    "social_wellbeing_index": "Индекс социального благополучия", "explanation": "Основания",
    "cluster": "Кластер", "cluster_name": "Кластер контекста", "context_index": "Индекс контекста",
    "expected_result": "Ожидаемый результат", "residual": "Отклонение от ожидаемого",
    "residual_ci_low": "Нижняя граница 95% ДИ", "residual_ci_high": "Верхняя граница 95% ДИ",
    "resilient": "Резильентная", "in_programme": "В программе", "cohort": "Год включения",
    "programme": "Программа", "cost_rub": "Расходы программы, руб.", "partner_school_id": "Код школы-партнёра",
    "table": "Таблица", "file": "Файл", "sheet": "Лист", "rows_read": "Прочитано строк",
    "rows_used": "Использовано", "rows_excluded": "Исключено", "rows_empty": "Пустых строк",
    "conversions": "Преобразования", "level": "Уровень", "row": "Строка", "column": "Столбец",
    "canonical": "Канонический столбец", "value": "Значение", "message": "Сообщение", "reason": "Причина",
    "n_schools": "Школ", "mean_index": "Средний индекс результатов", "n_identified": "Выявлено школ",
    "n_resilient": "Резильентных школ", "n_programme": "Школ в программе",
}

# Context and partnership terms used by the Excel outputs of `shnro context` and `shnro partners`.
LABELS_RU.update({
    "underperforming_favourable": "Ниже ожидаемого при благоприятном контексте",
    "n_missing": "Пропущено признаков", "share_missing": "Доля пропусков", "feature": "Признак",
    "label": "Название признака", "coef": "Коэффициент", "se": "Ст. ошибка", "p_value": "p-значение",
    "same_municipality": "Тот же муниципалитет", "cost": "Стоимость пары", "coords_note": "Координаты",
    "paired": "Пара подобрана", "current_partner_id": "Текущий партнёр (программа)",
    "same_as_current": "Совпадает с текущим", "capacity": "Ёмкость", "n_assigned": "Назначено школ",
})

# columns of the monitoring panel named in the monitoring method (numerators, denominators, filters)
LABELS_RU.update({
    "gia_participants": "Участий в ГИА", "gia_passed": "Сдано экзаменов ГИА",
    "staff_positions": "Ставок учителей (учителя и вакансии)", "teachers": "Учителей",
    "teachers_diagnosed": "Педагогов, прошедших диагностику",
    "teachers_improved": "Педагогов, улучшивших результат диагностики", "in_network": "В сетевом партнёрстве",
    "is_shnro": "ШНРО (признак)", "partner_name": "Школа-партнёр",
    "direction": "Направление", "unit": "Единица", "section": "Раздел", "low_index": "Индекс низких результатов",
    "methodical_covered": "Охвачена методической работой", "result_up": "Положительная динамика результатов",
})


def money_labels(currency: str = "руб.") -> dict[str, str]:
    """Headers of the money columns in ``currency`` (the data set's, ``DatasetFacts.currency_ru``)."""
    return {"spending_per_pupil": f"Расходы на ученика, {currency}", "cost_rub": f"Расходы программы, {currency}"}


# programme-effect estimators (the ``estimator`` column of the effects table), lower case
ESTIMATORS_RU: dict[str, str] = {
    "naive_pre_post": "наивная «до–после»", "rtm_adjusted": "поправка на регрессию к среднему",
    "selection_adjusted": "регрессионная поправка на индекс отбора", "rdd": "разрывная регрессия",
    "did_unadjusted": "разность разностей (did2s)", "event_study": "событийный анализ (DiD на чистой базе)",
    "matching": "сопоставление", "callaway_santanna": "Каллауэй–Сант'Анна",
    "range_valid": "диапазон допустимых оценок"}

# a quantity of the vocabulary has one name everywhere: it overrides any header above
LABELS_RU.update(labels_ru())
