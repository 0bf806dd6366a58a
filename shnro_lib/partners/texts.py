"""Russian sentences of the partnership list: why a leader was proposed, or why there is none.

Every sentence states what was computed: the leader's true rank among all leaders by context
similarity and by distance, the distance itself, the result gap and the leader's stability. A school
is named by its name and its «Код ОО», never by a bare code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shnro_lib.russian import plural_ru

#: ranks up to this one (of more leaders than that) are «one of the closest»
CLOSEST_RANK = 3


def num_ru(x: float, digits: int = 2) -> str:
    """``x`` with a decimal comma and a true minus: ``num_ru(-1.5) == "−1,50"``."""
    return f"{x:.{digits}f}".replace(".", ",").replace("-", "−")


def school_label_ru(name: object, code: object) -> str:
    """A school as a reader sees it: «МОУ «Лицей №1» (код ОО 110248)».

    Parameters
    ----------
    name : the school's name (missing → the code alone, said to be absent from the list of schools).
    code : its «Код ОО».
    """
    code_s = "" if code is None or pd.isna(code) else str(code)
    if name is None or pd.isna(name) or not str(name).strip():
        return f"школа с кодом ОО {code_s} (нет в справочнике школ)" if code_s else "—"
    return f"{name} (код ОО {code_s})" if code_s else str(name)


def true_rank(values: np.ndarray, value: float) -> int:
    """Rank of ``value`` among the finite ``values`` (1 = smallest; ties share the better rank)."""
    v = np.asarray(values, float)
    return int((v[np.isfinite(v)] < value).sum()) + 1


def _leaders_of(m: int) -> str:
    return f"{m} {plural_ru(m, 'школы-лидера', 'школ-лидеров', 'школ-лидеров')}"


def _leaders_nom(m: int) -> str:
    return f"{m} {plural_ru(m, 'школа-лидер', 'школы-лидера', 'школ-лидеров')}"


def context_words(rank: int, m: int, distance: float) -> str:
    """The leader's social context against this school's, by its true rank among ``m`` leaders.

    «самый близкий» for rank 1, «один из самых близких» only up to :data:`CLOSEST_RANK`,
    else «N-й из M по сходству».
    """
    d = f"расстояние по контексту {num_ru(distance)} SD"
    if rank == 1:
        return f"социальный контекст — самый близкий из {_leaders_of(m)} ({d})"
    if rank <= CLOSEST_RANK < m:
        return f"социальный контекст — один из самых близких: {rank}-й по сходству из {_leaders_of(m)} ({d})"
    tail = "; выбор определили другие составляющие" if rank > m / 2 else ""
    return f"социальный контекст — {rank}-й по сходству из {_leaders_of(m)} ({d}{tail})"


def distance_words(km: float, rank: int, m: int) -> str:
    """«87 км — 12-я по близости из 98 школ-лидеров»."""
    if not np.isfinite(km):
        return "расстояние неизвестно (нет координат)"
    return f"{num_ru(km, 0)} км — {rank}-я по близости из {_leaders_of(m)}"


def gap_words(gap: float, leader_index: float, school_index: float) -> str:
    """The result gap between the leader and the school in SD of the result index."""
    side = "выше" if gap >= 0 else "ниже"
    return (
        f"результаты {side} на {num_ru(abs(gap))} SD "
        f"(индекс {num_ru(leader_index)} против {num_ru(school_index)})"
    )


def stability_words(residuals: Sequence[float], years: Sequence[str]) -> str:
    """The leader's context-adjusted results in the years checked."""
    parts = ", ".join(f"{num_ru(v)} SD в {y}" for v, y in zip(residuals, years, strict=True))
    return f"результат лидера выше ожидаемого по контексту на {parts} {'гг.' if len(years) > 1 else 'г.'}"


def paired_reason(
    leader_name: object,
    leader_code: str,
    place: str,
    context: str | None,
    gap: str | None,
    stability: str | None,
    coords_note: str = "",
    second_round: str = "",
) -> str:
    """One sentence for a proposed pair: the leader (name, «Код ОО», municipality, km), then the reasons."""
    named = not (leader_name is None or pd.isna(leader_name) or not str(leader_name).strip())
    who = str(leader_name) if named else "без названия в справочнике школ"
    reasons = [context or "контекст не сравнивался: нет признаков контекста"]
    reasons += [x for x in (gap, stability) if x]
    text = f"Школа-лидер {who} (код ОО {leader_code}; {place}): " + "; ".join(reasons).rstrip(".") + "."
    if coords_note:
        text += f" Расстояние оценено приближённо ({coords_note})."
    if second_round:
        text += " " + second_round
    return text


def second_round_note(category: str) -> str:
    """Why a school outside the low-results list got a leader: a free place, a lower priority."""
    return (
        f"Школа в категории «{category}» (низкие результаты не выявлены): пара предложена на место, "
        "оставшееся у школы-лидера свободным после школ с низкими результатами."
    )


def unpaired_reason(
    m: int, places: int, n: int, need_weight: float, school_index: float, category: str, second: bool
) -> str:
    """Why a school has no leader: no leaders at all, or every place is taken."""
    if m == 0:
        return (
            "Нет ни одной школы-лидера, отвечающей условиям (не в списке, отклонение от ожидаемого "
            "результата выше порога в каждом из проверяемых лет)."
        )
    seats = f"{_leaders_nom(m)} × ёмкость = {places} {plural_ru(places, 'место', 'места', 'мест')}"
    if second:
        return (
            f"Школа в категории «{category}» (низкие результаты не выявлены): пара ей предлагается на "
            f"места, оставшиеся у школ-лидеров после школ с низкими результатами, а свободных мест не "
            f"осталось ({seats}). Нужна дополнительная школа-лидер или большая ёмкость."
        )
    if need_weight > 0:
        return (
            f"Все места у школ-лидеров заняты ({seats} на {n} {plural_ru(n, 'школу', 'школы', 'школ')}); "
            f"приоритет при распределении отдан школам с более низкими результатами (индекс этой "
            f"школы {num_ru(school_index)}). Нужна дополнительная школа-лидер или большая ёмкость."
        )
    return (
        f"Все места у школ-лидеров заняты ({seats} на {n} {plural_ru(n, 'школу', 'школы', 'школ')}); "
        "оптимальное распределение оставило без пары школы, пара для которых обходится дороже всего."
    )


def no_pair_note(category: object, paired_categories: Sequence[str] | None = None) -> str:
    """For a school page without a proposed leader: the plain reason by the school's category."""
    cat = "" if category is None or pd.isna(category) else str(category)
    if not cat or cat in ("нет", "—"):
        return "школа-лидер предлагается только школам из списков (ШНРО, ШНСУ)"
    if cat == "зона риска":
        return "школа в зоне риска, но не в списке: школа-лидер ей не подбиралась"
    listed = ", ".join(f"«{c}»" for c in paired_categories) if paired_categories else ""
    return f"для школ категории «{cat}» школа-лидер не подбиралась" + (
        f" (по настройкам пара подбирается категориям {listed})" if listed else ""
    )
