"""Matching the rows of an export to ``schools``: code, confirmed matches, then the normalised name.

Order, for each source row:

1. the school code (a ``Код ОО`` column or the login in brackets) when it is in ``schools`` — unless
   the name points, unambiguously, to a different school (then review);
2. a confirmed match from the user's CSV (name [+ municipality] -> school_id);
3. the normalised name among the schools of the row's municipality;
4. only when the row has no municipality or one unknown to ``schools``: a normalised name that is
   unique in the region.

Nothing is guessed: several schools with the name, or none, send the row to review with the most
similar names (``difflib`` ratio of the normalised names) as candidates.  Two rows of one sheet
that land on the same school both go to review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

import pandas as pd
from pydantic import Field

from shnro_lib.importer.names import normalise_municipality, normalise_name
from shnro_lib.settings import StrictSettings, load_settings

MATCHED, REVIEW, UNMATCHED = "matched", "review", "unmatched"
STATUS_RU = {MATCHED: "сопоставлена", REVIEW: "на проверку", UNMATCHED: "не найдена"}


class MatchingSettings(StrictSettings):
    """``parameters/import/_matching.yaml``."""

    candidates: int = Field(ge=1)
    min_candidate_score: float = Field(ge=0, le=1)


def matching_settings() -> MatchingSettings:
    """The matching settings shipped in ``parameters/import/_matching.yaml``."""
    return load_settings(MatchingSettings, "import/_matching")


class MatchesFileError(ValueError):
    """A confirmed-matches file that cannot be used (Russian message naming the file and row)."""


@dataclass
class Registry:
    """``schools`` prepared for matching."""

    schools: pd.DataFrame  # school_id, name, municipality, name_key, muni_key
    by_muni: dict[str, str]  # municipality key -> the registry's spelling (ambiguous keys left out)

    @classmethod
    def build(cls, schools: pd.DataFrame) -> Registry:
        s = schools[["school_id", "name", "municipality"]].astype(str).copy()
        s["name_key"] = s["name"].map(normalise_name)
        s["muni_key"] = s["municipality"].map(normalise_municipality)
        spellings = s.groupby("muni_key")["municipality"].unique()
        by_muni = {k: str(v[0]) for k, v in spellings.items() if len(v) == 1}
        return cls(s.sort_values("school_id").reset_index(drop=True), by_muni)


@dataclass
class Confirmed:
    """The user's confirmed matches: (name key, municipality key or "") -> school_id."""

    pairs: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lookup(self, name_key: str, muni_key: str) -> str | None:
        return self.pairs.get((name_key, muni_key)) or self.pairs.get((name_key, ""))


_MATCH_HEADERS = {
    "name": ("name", "наименование в файле", "наименование", "наименование оо"),
    "school_id": ("school_id", "код оо", "код"),
    "municipality": ("municipality", "муниципалитет", "муниципальный район"),
}


def read_confirmed(paths: list[Path], registry: Registry) -> Confirmed:
    """Read confirmed-matches CSV files (name → school_id, optionally municipality); later files win."""
    out = Confirmed()
    known = set(registry.schools["school_id"])
    for path in paths:
        df = None
        for enc in ("utf-8-sig", "cp1251"):
            try:
                df = pd.read_csv(
                    path, sep=None, engine="python", dtype=str, encoding=enc, keep_default_na=False
                )
                break
            except UnicodeDecodeError:
                continue
            except (OSError, pd.errors.ParserError) as exc:
                raise MatchesFileError(
                    f"{path.name}: файл подтверждённых сопоставлений не читается ({type(exc).__name__})"
                ) from None
        if df is None:
            raise MatchesFileError(f"{path.name}: неизвестная кодировка (ожидается UTF-8 или cp1251)")
        cols: dict[str, str] = {}
        for c in df.columns:
            key = " ".join(str(c).casefold().replace("ё", "е").split())
            for canon, alts in _MATCH_HEADERS.items():
                if key in alts and canon not in cols:
                    cols[canon] = c
        for need, ru in (("name", "Наименование в файле"), ("school_id", "Код ОО")):
            if need not in cols:
                raise MatchesFileError(f"{path.name}: нет столбца «{ru}» ({need})")
        seen: dict[tuple[str, str], tuple[str, int]] = {}
        for i, rec in enumerate(df.to_dict("records"), start=2):
            sid = str(rec[cols["school_id"]]).strip()
            name = str(rec[cols["name"]]).strip()
            if not sid or not name:
                continue  # a row the user left unfilled
            muni = normalise_municipality(rec[cols["municipality"]]) if "municipality" in cols else ""
            key = (normalise_name(name), muni)
            if sid not in known:
                out.notes.append(
                    f"{path.name}, строка {i}: код «{sid}» не найден в «Школы» — сопоставление "
                    f"для «{name}» не использовано"
                )
                continue
            if key in seen and seen[key][0] != sid:
                raise MatchesFileError(
                    f"{path.name}, строки {seen[key][1]} и {i}: наименование «{name}» "
                    f"сопоставлено разным кодам ({seen[key][0]} и {sid})"
                )
            seen[key] = (sid, i)
            out.pairs[key] = sid
    return out


def _candidates(
    name_key: str, pool: list[tuple[str, str, str, str]], limit: int
) -> list[tuple[str, str, str, float]]:
    scored = [(sid, nm, mu, round(SequenceMatcher(None, name_key, k).ratio(), 3)) for sid, nm, mu, k in pool]
    scored.sort(key=lambda t: (-t[3], t[0]))
    return scored[:limit]


def _match_by_code(
    code: object, exact: list[tuple], by_id: pd.DataFrame, res: dict, notes: list[str]
) -> None:
    """Match a row by its school code, unless the name points to another school.

    Parameters
    ----------
    code : object
        The row's code (nothing happens unless a non-empty text).
    exact : list of tuple
        The schools whose name key equals the row's.
    by_id : pandas.DataFrame
        The registry's schools indexed by ``school_id``.
    res : dict
        The row's result, updated in place.
    notes : list of str
        Receives the note on a code not in the registry.
    """
    if not isinstance(code, str) or not code:
        return
    if code not in by_id.index:
        notes.append(f"код «{code}» не найден в «Школы»")
        return
    if len(exact) == 1 and exact[0][0] != code:
        res.update(
            status=REVIEW,
            reason=f"код {code} и наименование указывают на разные школы",
            candidates=[
                (code, by_id.at[code, "name"], by_id.at[code, "municipality"], 1.0),
                (*exact[0][:3], 1.0),
            ],
        )
    else:
        res.update(status=MATCHED, school_id=code, method="код ОО")


def _match_by_name(
    name_key: str, exact: list[tuple], pool: list[tuple], in_muni: bool, res: dict, settings: MatchingSettings
) -> None:
    """Match a row by its name: one exact name matches, several or similar ones go to review.

    Parameters
    ----------
    name_key : str
        The row's normalised name.
    exact : list of tuple
        The schools of ``pool`` whose name key equals ``name_key``.
    pool : list of tuple
        ``(school_id, name, municipality, name key)`` of the schools searched.
    in_muni : bool
        Whether ``pool`` is the row's municipality (else the region), for the reason.
    res : dict
        The row's result, updated in place.
    settings : MatchingSettings
        How many candidates to list and the lowest score of a plausible one.
    """
    where = "в муниципалитете" if in_muni else "в регионе"
    if len(exact) == 1:
        res.update(status=MATCHED, school_id=exact[0][0], method=f"наименование {where}")
    elif len(exact) > 1:
        res.update(
            status=REVIEW,
            reason=f"несколько школ с таким наименованием {where} ({len(exact)})",
            candidates=[(*t[:3], 1.0) for t in exact],
        )
    else:
        min_score = settings.min_candidate_score
        cands = _candidates(name_key, pool, settings.candidates)
        good = [c for c in cands if c[3] >= min_score]
        res.update(
            status=REVIEW if good else UNMATCHED,
            candidates=cands,
            reason=f"наименование не найдено {where}"
            + ("" if good else f" (нет похожих: сходство ниже {min_score:g})"),
        )


def match_rows(
    rows: pd.DataFrame, registry: Registry, confirmed: Confirmed, settings: MatchingSettings
) -> pd.DataFrame:
    """Match each source row; ``rows`` has ``row_key``, ``municipality``, ``name``, ``code``.

    Returns ``rows`` with ``status`` (matched / review / unmatched), ``school_id``, ``method``,
    ``reason`` and ``candidates`` (list of (school_id, name, municipality, score), best first).
    """
    s = registry.schools
    by_id = s.set_index("school_id")
    # (school_id, name, municipality, name key) per municipality and for the region, in school_id order
    region = list(zip(s["school_id"], s["name"], s["municipality"], s["name_key"], strict=True))
    pools: dict[str, list[tuple[str, str, str, str]]] = {}
    for t in region:
        pools.setdefault(t[2], []).append(t)
    out = []
    for rec in rows.to_dict("records"):
        name_key = normalise_name(rec.get("name"))
        raw_muni = rec.get("municipality")
        muni_key = normalise_municipality(raw_muni) if isinstance(raw_muni, str) and raw_muni else ""
        muni = registry.by_muni.get(muni_key) if muni_key else None
        pool = pools.get(muni, []) if muni else region
        exact = [t for t in pool if t[3] == name_key] if name_key else []
        res = {"status": None, "school_id": None, "method": None, "reason": None, "candidates": []}
        notes = []
        if muni_key and muni is None:
            notes.append(f"муниципалитет «{raw_muni}» не найден в «Школы»")
        _match_by_code(rec.get("code"), exact, by_id, res, notes)
        if res["status"] is None:
            sid = confirmed.lookup(name_key, muni_key)
            if sid is not None:
                res.update(status=MATCHED, school_id=sid, method="подтверждённое сопоставление")
        if res["status"] is None and name_key:
            _match_by_name(name_key, exact, pool, bool(muni), res, settings)
        if res["status"] is None:
            res.update(status=UNMATCHED, reason="нет наименования ОО")
        if notes:
            res["reason"] = "; ".join(([res["reason"]] if res["reason"] else []) + notes)
        out.append({**rec, **res})
    df = pd.DataFrame(out)
    if df.empty:
        return df
    # one school twice in one sheet is a sign that at least one of the rows is not that school
    matched = df["status"] == MATCHED
    dup = matched & df.duplicated(subset=["sheet_key", "school_id"], keep=False)
    for i in df.index[dup]:
        sid = df.at[i, "school_id"]
        others = df.loc[
            dup & (df["sheet_key"] == df.at[i, "sheet_key"]) & (df["school_id"] == sid), "source_row"
        ]
        df.at[i, "status"] = REVIEW
        df.at[i, "reason"] = (
            "строки " + ", ".join(str(int(x)) for x in sorted(others)) + f" сопоставлены одной школе {sid}"
        )
        df.at[i, "candidates"] = [(sid, by_id.at[sid, "name"], by_id.at[sid, "municipality"], 1.0)]
        df.at[i, "school_id"] = None
    return df
