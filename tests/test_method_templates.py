"""The method texts are rendered from template files (prose outside Python): key sentences, no Jinja left."""

from __future__ import annotations

from importlib import resources

import pytest

from shnro_lib.costs import costs_method_ru


def _no_jinja(text: str) -> None:
    assert "{{" not in text and "{%" not in text and "{#" not in text


def test_costs_method_from_template():
    text = costs_method_ru()
    _no_jinja(text)
    assert text.startswith("### «Цена–качество»")
    assert "бутстреп Симара–Вильсона (1998; " in text
    assert "Квадранты: расходы выше/ниже медианы региона" in text
    assert "не более благоприятном контексте (контекст — неуправляемый вход" in text
    alt = costs_method_ru({"quadrant_split": "mean", "dea": {"use_context_input": False}})
    assert "выше/ниже среднего региона" in alt and "работающих в любом контексте" in alt
    # the words live in the template, not in the module
    source = resources.files("shnro_lib.costs").joinpath("method.py").read_text(encoding="utf-8")
    assert "Симара" not in source


def test_missing_value_fails_loudly():
    from jinja2 import UndefinedError

    from shnro_lib.prose import render_prose

    with pytest.raises(UndefinedError):
        render_prose("shnro_lib.costs", "method.md.j2", settings=None, computed={})


def test_effects_method_from_template(demo_dataset):
    from shnro_lib.effects import effects_method_ru

    text = effects_method_ru()
    _no_jinja(text)
    assert text.startswith("### Оценка эффектов программы поддержки")
    assert "**Правило выбора оценки.** (1) Если у каждой когорты есть чистый год" in text
    assert "**Проверка на собственном плане данных (самопроверка).**" in text
    assert "кластеризация по школам." in text and "(rdrobust, MSE-оптимальная полоса" in text
    assert "**Приложение: проверка на имитациях** (выбранная правилом оценка в каждом плане):" in text
    alt = effects_method_ru({"did": {"cluster": "municipality"}, "rdd": {"use_rdrobust": False}})
    assert "кластеризация по муниципалитетам." in alt and "(полоса по кросс-валидации)" in alt
    demo = effects_method_ru(dataset=demo_dataset)
    _no_jinja(demo)
    assert "**План программы в этих данных.**" in demo and "Класс плана: " in demo
    assert "**Приложение: имитации других регионов (справочно).**" in demo
    source = resources.files("shnro_lib.effects").joinpath("method.py").read_text(encoding="utf-8")
    assert "Ашенфельтера" not in source


def test_context_method_from_template():
    from shnro_lib.context import context_method_ru

    text = context_method_ru()
    _no_jinja(text)
    assert text.startswith("## Методика: контекст школ")
    assert "Признаки кластеризации:\n- " in text and "— таблица «" in text
    assert "**Резильентные школы** — индекс контекста в нижних " in text
    ward = context_method_ru({"clustering": {"method": "ward", "k": 4}})
    assert "Метод: иерархическая кластеризация методом Уорда; число кластеров задано: 4;" in ward
    pca = context_method_ru({"context_index": {"method": "pca"}, "model": {"use_prior_score": False}})
    assert "Индекс контекста: первая главная компонента" in pca
    assert "Предшествующий результат в модель не включается" in pca
    source = resources.files("shnro_lib.context").joinpath("table.py").read_text(encoding="utf-8")
    assert "Резильентные" not in source


@pytest.mark.parametrize("rules", ["lo_2018", "federal_low_results", "hse_disadvantaged"])
def test_identification_method_from_template(rules):
    from shnro_lib.identify import identification_method_ru

    text = identification_method_ru(rules)
    _no_jinja(text)
    assert text.startswith("## Методика идентификации: ")
    for heading in (
        "### Критерии",
        "### Отнесение к категориям",
        "### Зона риска",
        "### Выборы, сделанные там, где источник молчит",
    ):
        assert f"\n{heading}\n" in text
    assert "«не оценено» с причиной, а не «0 выявленных»" in text
    assert "Правило отбора: **" in text and text.endswith("(раздел территориальных признаков).\n")


def test_identification_method_follows_settings():
    from shnro_lib.identify import identification_method_ru

    plain = identification_method_ru("lo_2018", {"criteria": {"result_index": {"method": "plain"}}})
    assert "Правило отбора: **простое** — нижняя доля школ по наблюдаемому индексу." in plain
    sig = identification_method_ru(
        "lo_2018", {"criteria": {"result_index": {"method": "significant_and_bottom"}}}
    )
    assert "(как IDSR в Англии): z ≤ −" in sig
    source = resources.files("shnro_lib.identify").joinpath("method.py").read_text(encoding="utf-8")
    assert "источник молчит" not in source


def test_monitoring_method_from_template():
    from shnro_lib.monitoring import monitoring_method_ru

    text = monitoring_method_ru()
    _no_jinja(text)
    assert text.startswith("## Методика: ежегодный мониторинг ШНРО и ШНСУ\n")
    assert "| Показатель | Раздел | Школы | Расчёт |\n|---|---|---|---|\n| " in text
    assert (
        "| Доля ШНРО среди всех школ | 10 | все | среднее по школам с данными; числитель: ШНРО (признак) |"
        in text
    )
    assert "категория в прошлом году — ШНРО, ШНСУ, ШНРО и ШНСУ" in text
    assert "(по образцу California School Dashboard)" in text and "«в графике» — цель достигнута" in text
    assert "статус не оценивается и показано «" in text and "стандартной ошибки изменения" not in text
    assert (
        "взвешенная по числу участников всех процедур, для которых в данных есть доля результатов ниже"
        in text
    )
    named = monitoring_method_ru({"low_index": {"procedures": ["ЕГЭ", "ОГЭ"]}})
    assert "взвешенная по числу участников процедур ЕГЭ, ОГЭ." in named
    alt = monitoring_method_ru(
        {"positive_change": {"min_change": 0.2, "require_significance": True, "z": 1.96}},
        targets={"shnro_share": {"trajectory": {2024: 0.05, 2022: 0.29}, "tolerance": 0.03}},
    )
    assert "более чем на 0.20 SD и более чем на 1.96 стандартной ошибки изменения." in alt
    assert "- Доля ШНРО среди всех школ: траектория 2022: 0.29, 2024: 0.05, допуск 0.03\n" in alt
    assert "статус не оценивается" not in alt
    source = resources.files("shnro_lib.monitoring").joinpath("method.py").read_text(encoding="utf-8")
    assert "California" not in source and "интерполяция" not in source


def test_partners_method_from_template():
    from shnro_lib.partners import partners_method_ru

    text = partners_method_ru()
    _no_jinja(text)
    assert text.startswith("## Методика: список сетевого партнёрства\n")
    assert (
        "**Кому нужна пара.** Школам категорий ШНРО, ШНРО и ШНСУ года идентификации. Школам категорий" in text
    )
    assert "`scipy.optimize.linear_sum_assignment`" in text and "гаверсинусов" in text
    assert "; индекс результатов не ниже 50%-го процентиля по региону." in text
    assert "доверительный интервал" not in text
    alt = partners_method_ru(
        {"second_round_categories": [], "leaders": {"require_ci_above_zero": True, "min_result_quantile": 0}}
    )
    assert "**Кому нужна пара.** Школам категорий ШНРО, ШНРО и ШНСУ года идентификации.\n" in alt
    assert "; доверительный интервал отклонения целиком выше нуля." in alt and "процентиля" not in alt
    # the years checked and the need weight in words, not «предыдущих 1 лет» or «0.0 > 0»
    assert "в году идентификации и в предыдущем году\nданных;" in text and "предыдущих 1 лет" not in text
    assert "при весе потребности\n1.0 без пары в первую очередь остаются школы с более высокими" in text
    one = partners_method_ru({"leaders": {"stable_years": 1}, "unpaired": {"need_weight": 0}})
    assert "SD в году идентификации; индекс результатов" in one and "предыдущ" not in one
    assert "при весе потребности\n0 без пары остаются школы, пара для которых обходится дороже всего." in one
    three = partners_method_ru({"leaders": {"stable_years": 3}})
    assert "в году идентификации и в каждом из\nпредыдущих 2 лет данных;" in three
    source = resources.files("shnro_lib.partners").joinpath("method.py").read_text(encoding="utf-8")
    assert "гаверсинус" not in source and "Школы-лидеры" not in source


@pytest.mark.parametrize(
    ("package", "call", "sentence"),
    [
        ("shnro_lib.monitoring", "monitoring_method_ru", "Год без данных идентификации прерывает серию."),
        ("shnro_lib.partners", "partners_method_ru", "Принадлежность к ТОП-500 в данных не отражена."),
    ],
)
def test_an_edited_template_changes_the_text(monkeypatch, package, call, sentence):
    """A researcher edits the template file; the method text follows without a change in Python."""
    import importlib

    from shnro_lib import prose

    source = resources.files(package).joinpath("templates", "method.md.j2").read_text(encoding="utf-8")
    assert sentence in source
    edited = source.replace(sentence, "Отредактированное предложение ({{ settings is not none }}).")
    original = prose._template

    def template(pkg: str, name: str):
        return prose._ENV.from_string(edited) if pkg == package else original(pkg, name)

    monkeypatch.setattr(prose, "_template", template)
    text = getattr(importlib.import_module(package), call)()
    assert "Отредактированное предложение (True)." in text and sentence not in text
