"""The canonical data model of ``DATA_CONTRACT.md`` as plain data.

Every table is described by its columns (kind, required or optional, allowed
range) and its key.  The loader (:mod:`shnro_lib.io`) converts and validates
raw files against these specs; analyses rely on the canonical dtypes:

* ``str``   -> pandas ``string`` (codes keep leading zeros),
* ``int``   -> pandas nullable ``Int64``,
* ``float`` -> ``float64`` (missing as ``NaN``, never zero),
* ``share`` -> ``float64`` in [0, 1] (percents are converted on load),
* ``bool``  -> pandas nullable ``boolean``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KNOWN_PROCEDURES = ("ЕГЭ", "ОГЭ", "ВПР", "РДР")
WAVES = ("вход", "промежуточная", "выход")
REGION_ROW = "__region__"
# a sanity check only: any year a real archive holds is valid (DATA_CONTRACT.md, «Conventions»)
YEAR_MIN, YEAR_MAX = 1800, 2100


@dataclass(frozen=True)
class Column:
    """One canonical column."""

    name: str
    kind: str  # str | int | float | share | bool | date
    required: bool = True
    min: float | None = None
    max: float | None = None
    label_ru: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its columns and unique key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    label_ru: str = ""
    refs_school: tuple[str, ...] = field(default=("school_id",))

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _share(name: str, label: str, required: bool = False) -> Column:
    return Column(name, "share", required=required, min=0.0, max=1.0, label_ru=label)


_SCHOOL_YEAR = (
    Column("school_id", "str", label_ru="Код ОО"),
    Column("year", "int", min=YEAR_MIN, max=YEAR_MAX, label_ru="Год"),
)

TABLES: dict[str, TableSpec] = {
    "schools": TableSpec(
        "schools",
        (
            Column("school_id", "str", label_ru="Код ОО"),
            Column("name", "str", label_ru="Наименование ОО"),
            Column("municipality", "str", label_ru="Муниципальный район"),
            Column("locality", "str", required=False, label_ru="Населённый пункт"),
            Column("locality_type", "str", required=False, label_ru="Тип населённого пункта"),
            Column("school_type", "str", required=False, label_ru="Тип ОО"),
            Column("lat", "float", required=False, min=-90, max=90, label_ru="Широта"),
            Column("lon", "float", required=False, min=-180, max=180, label_ru="Долгота"),
        ),
        key=("school_id",),
        required=True,
        label_ru="Школы",
        refs_school=(),
    ),
    "results": TableSpec(
        "results",
        (
            *_SCHOOL_YEAR,
            Column("procedure", "str", label_ru="Процедура"),
            Column("subject", "str", label_ru="Предмет"),
            Column("grade", "int", min=1, max=11, label_ru="Класс"),
            Column("participants", "int", required=False, min=0, label_ru="Число участников"),
            Column("mean_score", "float", required=False, min=0, label_ru="Средний балл"),
            Column("max_score", "float", min=0, label_ru="Максимальный балл"),
            Column("min_score", "float", required=False, min=0, label_ru="Минимальный балл шкалы"),
            Column("prior_score", "float", required=False, label_ru="Предшествующий результат"),
            _share("share_low", "Доля низких результатов"),
            _share("share_quality", "Качество знаний"),
            _share("share_high", "Доля высоких результатов"),
        ),
        key=("school_id", "year", "procedure", "subject", "grade"),
        required=True,
        label_ru="Результаты оценочных процедур",
    ),
    "context": TableSpec(
        "context",
        (
            *_SCHOOL_YEAR,
            Column("enrolment", "int", required=False, min=0, label_ru="Численность обучающихся"),
            _share("share_low_ses", "Доля семей с низким СЭС"),
            _share("share_low_parent_education", "Доля семей с низким уровнем образования родителей"),
            _share("share_deviant", "Доля учащихся на учёте"),
            _share("share_low_motivation", "Доля учащихся с низкой мотивацией"),
            _share("share_non_native_russian", "Доля учащихся с неродным русским"),
            _share("share_special_needs", "Доля учащихся с ОВЗ"),
            _share("share_single_parent", "Доля неполных семей"),
            Column(
                "distance_to_center_km", "float", required=False, min=0, label_ru="Расстояние до центра, км"
            ),
            Column("is_small_school", "bool", required=False, label_ru="Малокомплектная"),
            _share("share_multi_grade_classes", "Доля классов-комплектов"),
        ),
        key=("school_id", "year"),
        label_ru="Социальный контекст",
    ),
    "staff": TableSpec(
        "staff",
        (
            *_SCHOOL_YEAR,
            Column("teachers", "int", required=False, min=0, label_ru="Число учителей"),
            _share("share_category_confirmed_3y", "Доля подтвердивших категорию за 3 года"),
            _share("share_overloaded", "Доля работающих на 1,5 ставки и более"),
            _share("share_contest_participants_3y", "Доля участников профконкурсов за 3 года"),
            _share("share_non_specialty", "Доля преподающих не по специальности"),
            _share("share_higher_education", "Доля с высшим образованием"),
            _share("share_under_35", "Доля моложе 35 лет"),
            _share("share_pension_age", "Доля пенсионного возраста"),
            Column("vacancies", "int", required=False, min=0, label_ru="Вакансии"),
        ),
        key=("school_id", "year"),
        label_ru="Кадровый потенциал",
    ),
    "resources": TableSpec(
        "resources",
        (
            *_SCHOOL_YEAR,
            _share("share_textbooks_recent", "Доля учебников не старше 3 лет"),
            _share("share_extrabudget", "Доля внебюджетных средств"),
            _share("share_repair_3y", "Доля средств на ремонт за 3 года"),
            Column("in_renovation_plan", "bool", required=False, label_ru="В плане реновации"),
            Column("in_construction_plan", "bool", required=False, label_ru="В плане капстроительства"),
            Column("spending_per_pupil", "float", required=False, min=0, label_ru="Расходы на ученика, руб."),
            Column("computers_per_pupil", "float", required=False, min=0, label_ru="Компьютеров на ученика"),
        ),
        key=("school_id", "year"),
        label_ru="Ресурсная обеспеченность",
    ),
    "territories": TableSpec(
        "territories",
        (
            Column("municipality", "str", label_ru="Муниципальный район"),
            Column("locality", "str", required=False, label_ru="Населённый пункт"),
            Column("is_monotown", "bool", required=False, label_ru="Моногород"),
            _share("share_pension_age", "Доля населения пенсионного возраста"),
            _share("unemployment_rate", "Уровень безработицы"),
        ),
        key=("municipality", "locality"),
        label_ru="Территории",
        refs_school=(),
    ),
    "outcomes": TableSpec(
        "outcomes",
        (
            *_SCHOOL_YEAR,
            _share("share_continuing_senior", "Доля продолживших обучение в 10 классе"),
            Column("olympiad_participants", "int", required=False, min=0, label_ru="Участники олимпиад"),
            _share("satisfaction_share", "Доля удовлетворённых (НОК)"),
            Column("graduates_9", "int", required=False, min=0, label_ru="Выпускники 9 классов"),
            Column("graduates_11", "int", required=False, min=0, label_ru="Выпускники 11 классов"),
        ),
        key=("school_id", "year"),
        label_ru="Прочие результаты",
    ),
    "programme": TableSpec(
        "programme",
        (
            *_SCHOOL_YEAR,
            Column("programme", "str", required=False, label_ru="Программа"),
            Column("in_programme", "bool", label_ru="Участвует в программе"),
            Column(
                "cohort", "int", required=False, min=YEAR_MIN, max=YEAR_MAX, label_ru="Год начала поддержки"
            ),
            Column("partner_school_id", "str", required=False, label_ru="Код школы-партнёра"),
            Column("cost_rub", "float", required=False, min=0, label_ru="Расходы программы, руб."),
        ),
        key=("school_id", "year"),
        label_ru="Программа поддержки",
    ),
    "process": TableSpec(
        "process",
        (
            *_SCHOOL_YEAR,
            _share("share_teachers_diagnosed", "Доля учителей, прошедших диагностику"),
            _share("share_teachers_trained", "Доля учителей, прошедших КПК"),
            Column(
                "training_hours_per_teacher", "float", required=False, min=0, label_ru="Часов КПК на учителя"
            ),
            Column("methodical_visits", "int", required=False, min=0, label_ru="Методические выезды"),
            Column("has_partner", "bool", required=False, label_ru="Есть школа-партнёр"),
            _share("share_teachers_improved", "Доля учителей с положительной динамикой"),
            Column("tutor_hours", "float", required=False, min=0, label_ru="Часы тьюторства"),
        ),
        key=("school_id", "year"),
        label_ru="Процесс программы",
    ),
    "diagnostics": TableSpec(
        "diagnostics",
        (
            Column("school_id", "str", label_ru="Код ОО"),
            Column("wave", "str", label_ru="Срез"),
            Column("date", "date", required=False, label_ru="Дата"),
            Column("subject", "str", label_ru="Предмет"),
            Column("grade", "int", min=1, max=11, label_ru="Класс"),
            Column("participants", "int", required=False, min=0, label_ru="Число участников"),
            Column("mean_score", "float", required=False, min=0, label_ru="Средний балл"),
            Column("max_score", "float", min=0, label_ru="Максимальный балл"),
            Column("min_score", "float", required=False, min=0, label_ru="Минимальный балл шкалы"),
            _share("share_low", "Доля низких результатов"),
        ),
        key=("school_id", "wave", "subject", "grade"),
        label_ru="Диагностики «вход»/«выход»",
    ),
    "risk_profile": TableSpec(
        "risk_profile",
        (
            *_SCHOOL_YEAR,
            Column("risk", "str", label_ru="Фактор риска"),
            Column("level", "str", label_ru="Уровень риска"),
        ),
        key=("school_id", "year", "risk"),
        label_ru="Рисковый профиль",
    ),
}

REQUIRED_TABLES = tuple(n for n, t in TABLES.items() if t.required)
