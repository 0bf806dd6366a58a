"""HTML building blocks of the reports and the report sections themselves.

Generic helpers (Russian number formatting, escaped tables, small-group
suppression, table of contents, the «СИНТЕТИЧЕСКИЕ ДАННЫЕ» banner, a footer with
the data fingerprint, embedded PNG figures, a printable page) and the section
builders used by the notebooks ``notebooks/municipal_report.py`` and
``notebooks/regional_report.py`` and by the collection («сборник материалов»).
Every builder takes :class:`~shnro_lib.pipeline.RegionResults` and returns an HTML
string; a section whose analysis is unavailable says why, in Russian.

All text from the data goes through :func:`esc` or ``DataFrame.to_html(escape=True)``:
a school called ``<script>`` is shown as text.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib import __version__
from shnro_lib.labels import LABELS_RU

NBSP_THIN = "\u202f"
MINUS = "\u2212"
SYNTHETIC_TEXT = "СИНТЕТИЧЕСКИЕ ДАННЫЕ"

LABELS: dict[str, str] = LABELS_RU

MUNICIPAL_SECTIONS: list[tuple[str, str]] = [
    ("summary", "Главное на одном экране"),
    ("overview", "Обзор данных: школы, участие, результаты"),
    ("identified", "Выявленные школы и основания"),
    ("context", "Социальный контекст и похожие школы"),
    ("dynamics", "Динамика по годам"),
    ("effects", "Эффекты программ поддержки"),
    ("costs", "Цена и качество"),
    ("partners", "Предлагаемые партнёрства"),
    ("monitoring", "Мониторинг программы и переходы школ"),
    ("method", "Приложение А. Методика"),
    ("quality", "Приложение Б. Качество данных"),
]

REGIONAL_SECTIONS: list[tuple[str, str]] = [
    ("r-summary", "Главное о регионе"),
    ("r-compare", "Сравнение муниципальных образований"),
    ("r-participation", "Участие в оценочных процедурах"),
    ("r-distributions", "Распределения результатов"),
    ("r-identified", "Выявленные школы по муниципалитетам"),
    ("r-effects", "Эффекты программ и «цена–качество»"),
    ("r-monitoring", "Мониторинг программы: показатели, цели, переходы"),
    ("r-method", "Приложение А. Методика"),
    ("r-quality", "Приложение Б. Качество данных"),
]


# --------------------------------------------------------------------------- formatting


def esc(text: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape("" if text is None else str(text), quote=True)


def _isna(x: Any) -> bool:
    try:
        return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x: Any, digits: int = 1, signed: bool = False) -> str:
    """Russian number format: thin-space thousands, decimal comma, true minus; ``—`` for missing.

    >>> fmt_num(12345.678, 1)
    '12\u202f345,7'
    """
    if _isna(x):
        return "—"
    v = float(x)
    if digits == 0:
        v = round(v)
    s = f"{abs(v):,.{digits}f}".replace(",", NBSP_THIN).replace(".", ",")
    if v < 0 and s.strip("0,\u202f"):
        s = MINUS + s
    elif signed and v > 0:
        s = "+" + s
    return s


def fmt_int(x: Any) -> str:
    """An integer in Russian format (``1 234``)."""
    return fmt_num(x, 0)


def fmt_pct(share: Any, digits: int = 1) -> str:
    """A share in [0, 1] as percent: ``0.123 -> '12,3 %'``."""
    if _isna(share):
        return "—"
    return f"{fmt_num(float(share) * 100, digits)}{NBSP_THIN}%"


def _auto_format(col: str, s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.map(lambda v: "—" if _isna(v) else ("да" if v else "нет"), na_action=None)
    if pd.api.types.is_integer_dtype(s) and col != "year":
        return s.map(fmt_int, na_action=None)
    if pd.api.types.is_float_dtype(s):
        if col.startswith("share") or col.startswith("p_") or col.endswith("_share") or col.startswith("region_share"):
            return s.map(fmt_pct, na_action=None)
        if "rub" in col or col.startswith("spending") or col in ("distance_km", "participants"):
            return s.map(lambda v: "—" if _isna(v) else fmt_int(round(float(v))), na_action=None)
        return s.map(lambda v: fmt_num(v, 2), na_action=None)
    return s.map(lambda v: "—" if _isna(v) else str(v), na_action=None)


def html_table(df: pd.DataFrame, labels: Mapping[str, str] | None = None,
               formats: Mapping[str, Any] | None = None, max_rows: int | None = None,
               caption: str | None = None, note: str | None = None, css_class: str = "") -> str:
    """An escaped HTML table with Russian headers and number formats.

    ``formats`` maps a column to a function value -> text (default: integers
    ``1 234``, shares in percent, other floats with two decimals, booleans да/нет).
    A suppression note left by :func:`suppress_small` (``df.attrs['note']``) and
    ``note`` are shown under the table; rows beyond ``max_rows`` are counted.
    """
    labels = {**LABELS, **dict(labels or {})}
    formats = dict(formats or {})
    notes = [n for n in (df.attrs.get("note"), note) if n]
    shown = df
    if max_rows is not None and len(df) > max_rows:
        shown = df.iloc[:max_rows]
        notes.append(f"Показаны первые {fmt_int(max_rows)} строк из {fmt_int(len(df))}; полный список — в Excel.")
    out = pd.DataFrame(index=range(len(shown)))
    for col in shown.columns:
        s = shown[col].reset_index(drop=True)
        fn = formats.get(col)
        if fn is not None:
            # text cells (e.g. «скрыто*» or values already formatted by suppress_small) are shown as they are
            out[labels.get(col, str(col))] = s.map(
                lambda v, f=fn: v if isinstance(v, str) else ("—" if _isna(v) else f(v)))
        elif s.dtype == object and s.map(lambda v: isinstance(v, str)).any():
            out[labels.get(col, str(col))] = s.map(
                lambda v, c=col: v if isinstance(v, str) else _auto_format(c, pd.Series([v])).iloc[0])
        else:
            out[labels.get(col, str(col))] = _auto_format(str(col), s)
    if len(shown) == 0:
        body = '<p class="empty">Нет данных для отображения.</p>'
    else:
        body = out.to_html(escape=True, index=False, border=0, na_rep="—", classes=f"tbl {css_class}".strip())
    cap = f'<div class="tcaption">{esc(caption)}</div>' if caption else ""
    foot = "".join(f'<p class="tnote">{esc(n)}</p>' for n in notes)
    return f'<div class="tblwrap">{cap}{body}{foot}</div>'


def suppress_small(df: pd.DataFrame, count_col: str, value_cols: Sequence[str],
                   min_n: int | None = None) -> pd.DataFrame:
    """Hide values computed on fewer than ``min_n`` participants.

    Parameters
    ----------
    df : table with a count column.
    count_col : the number of participants behind each row.
    value_cols : columns whose values are hidden (replaced by «скрыто*») in small rows.
    min_n : threshold (default ``min_group_size`` of ``parameters/report.yaml``, 5).

    Returns
    -------
    DataFrame
        A copy; value columns of suppressed rows hold the text «скрыто*»; ``attrs['note']``
        carries the Russian note shown under the table by :func:`html_table`, and
        ``attrs['n_suppressed']`` the number of suppressed rows.
    """
    if min_n is None:
        from shnro_lib.pipeline import report_settings

        min_n = report_settings().min_group_size
    out = df.copy()
    counts = pd.to_numeric(out[count_col], errors="coerce").astype(float)
    small = (counts < min_n).fillna(False).to_numpy()
    n = int(small.sum())
    if n:
        for col in value_cols:
            if col not in out.columns:
                continue
            formatted = _auto_format(col, out[col])
            out[col] = formatted.where(~small, "скрыто*").astype(object)
        out.attrs["note"] = (f"* Значения скрыты в {fmt_int(n)} строк(ах): в группе меньше {min_n} участников "
                             "(защита персональных данных и ненадёжность оценок по малым группам).")
    out.attrs["n_suppressed"] = n
    return out


# --------------------------------------------------------------------------- page pieces


def note_html(text: str, kind: str = "info") -> str:
    """A highlighted note (kind: info, warn)."""
    return f'<div class="note note-{esc(kind)}">{esc(text)}</div>'


def unavailable_html(reason: str) -> str:
    """The note of a section whose analysis is unavailable."""
    return note_html(f"Раздел недоступен: {reason}.", "warn")


def paragraphs_html(text: str) -> str:
    """Plain text (blank-line separated paragraphs, «- » bullet lines) as escaped HTML."""
    out = []
    for block in re.split(r"\n\s*\n", str(text).strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if lines and all(ln.startswith(("- ", "* ", "• ")) for ln in lines):
            out.append("<ul>" + "".join(f"<li>{esc(ln[2:])}</li>" for ln in lines) + "</ul>")
        elif lines:
            out.append(f"<p>{esc(' '.join(lines))}</p>")
    return "".join(out)


def markdown_html(text: str, top_level: int = 4) -> str:
    """Markdown (the analyses' method texts) as HTML; raw HTML in the text is escaped.

    Headings are shifted so that the text's first level becomes ``<h{top_level}>``,
    keeping the report's own outline (``h2`` sections, ``h3`` subsections) intact.
    """
    import mistune

    md = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    html_text = md(str(text))

    levels = [int(x) for x in re.findall(r"<h([1-6])", html_text)]
    offset = top_level - min(levels) if levels else 0

    def shift(m: re.Match) -> str:
        level = max(1, min(6, int(m.group(2)) + offset))
        return f"<{m.group(1)}h{level}"

    html_text = re.sub(r"<(/?)h([1-6])", shift, html_text)
    return html_text.replace("<table>", '<table class="tbl">')


def toc_html(sections: Iterable[tuple[str, str]], title: str = "Содержание") -> str:
    """A table of contents linking to section anchors."""
    items = "".join(f'<li><a href="#{esc(sid)}">{esc(t)}</a></li>' for sid, t in sections)
    return f'<nav class="toc" id="toc"><h2>{esc(title)}</h2><ol>{items}</ol></nav>'


def section_html(sid: str, title: str, body: str, level: int = 2) -> str:
    """A section with an anchor (``id``) and a heading."""
    return f'<section id="{esc(sid)}" class="sec"><h{level}>{esc(title)}</h{level}>{body}</section>'


def synthetic_banner(note: str = "") -> str:
    """The «СИНТЕТИЧЕСКИЕ ДАННЫЕ» banner."""
    extra = f" — {esc(note)}" if note and SYNTHETIC_TEXT.lower() not in note.lower() else ""
    return f'<div class="banner" role="note"><strong>{SYNTHETIC_TEXT}</strong>{extra}. Это не реальные школы.</div>'


def footer_html(meta: Mapping[str, Any]) -> str:
    """Footer: data fingerprint, year, rules, parameters hash, library version (no timestamps)."""
    params = meta.get("report_parameters", {}) or {}
    parts = [
        f"Отпечаток данных: <code>{esc(meta.get('fingerprint', ''))}</code>",
        f"отчётный год: {esc(meta.get('year', ''))}",
        f"правила идентификации: {esc(meta.get('rules', ''))}",
        f"параметры: <code>{esc(meta.get('parameters_hash', ''))}</code>",
        f"порог малых групп: {esc(params.get('min_group_size', ''))}",
        f"shnro {esc(meta.get('version', __version__))}",
    ]
    syn = f"<strong>{SYNTHETIC_TEXT}.</strong> " if meta.get("synthetic") else ""
    return f'<footer class="foot">{syn}{"; ".join(parts)}.</footer>'


def figure_html(fig: Any, alt: str, caption: str = "", synthetic: bool = False, dpi: int | None = None) -> str:
    """Embed a matplotlib figure as a base64 PNG ``<img>`` (deterministic bytes) and close it."""
    import matplotlib.pyplot as plt

    if synthetic:
        fig.text(0.995, 0.005, SYNTHETIC_TEXT, ha="right", va="bottom", fontsize=7, color="#b00020", alpha=0.8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or 100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">{cap}</figure>'


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.hashsalt": "shnro"})
    return plt


def show(fragment: str) -> None:
    """Display an HTML fragment in a notebook.

    Returns nothing on purpose: a returned object would be shown a second time
    as the cell's result.
    """
    from IPython.display import HTML, display

    display(HTML(fragment))


def fail_for_testing(flag: bool, municipality: str) -> None:
    """Testing hook: raise when the batch asked this notebook to fail (``SHNRO_TEST_FAIL``)."""
    if flag:
        raise RuntimeError(f"Проверочный сбой для «{municipality}» (включён параметром test_fail)")


PAGE_CSS = """
:root{--ink:#1d2733;--muted:#5b6776;--line:#d6dde6;--accent:#1f5f99;--bg:#fff;--warn:#fff4e0;--info:#eef4fb}
*{box-sizing:border-box}
body{font-family:"DejaVu Sans","PT Sans",Arial,sans-serif;color:var(--ink);background:var(--bg);margin:0 auto;
 max-width:1100px;padding:16px 24px;line-height:1.45;font-size:14px}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid var(--accent);
 padding-bottom:3px}h3{font-size:16px;margin:18px 0 6px}
.banner{background:#b00020;color:#fff;padding:8px 12px;margin:8px 0;border-radius:4px;font-size:14px}
.subtitle{color:var(--muted);margin:0 0 10px}
.toc ol{columns:2;margin:4px 0 8px 18px;padding:0}.toc a{color:var(--accent);text-decoration:none}
.toc h2{border:0;font-size:16px;margin:12px 0 4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px;margin:10px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:#fafcff}
.card .v{font-size:22px;font-weight:bold;color:var(--accent)}.card .k{color:var(--muted);font-size:12px}
.card .s{font-size:12px;color:var(--ink)}
.tblwrap{overflow-x:auto;margin:8px 0 14px}
table.tbl{border-collapse:collapse;font-size:12.5px;width:auto}
table.tbl th{background:#e8eef5;text-align:left;vertical-align:bottom;padding:4px 7px;border-bottom:1px solid #9fb0c3}
table.tbl td{padding:3px 7px;border-bottom:1px solid var(--line);vertical-align:top}
table.tbl tr:nth-child(even) td{background:#f8fafc}
.tcaption{font-weight:bold;margin:4px 0}.tnote{color:var(--muted);font-size:12px;margin:3px 0}
.note{padding:8px 12px;border-radius:4px;margin:8px 0}.note-info{background:var(--info)}
.note-warn{background:var(--warn);border-left:4px solid #e0a030}
figure{margin:10px 0}figure img{max-width:100%;height:auto}figcaption{color:var(--muted);font-size:12px}
.foot{margin-top:30px;border-top:1px solid var(--line);padding-top:8px;color:var(--muted);font-size:12px}
.muni{page-break-before:always}
a{color:var(--accent)}
@media print{
 body{max-width:none;padding:0;font-size:11px}
 .toc ol{columns:2}
 h2{page-break-after:avoid}figure,table.tbl tr,.card{page-break-inside:avoid}
 .sec{page-break-before:auto}.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 table.tbl th,table.tbl tr:nth-child(even) td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
 @page{size:A4;margin:14mm 12mm}
}
""".strip()


def page_html(title: str, body: str, lang: str = "ru") -> str:
    """A complete self-contained HTML page (inline CSS, no scripts, printable)."""
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>\n{PAGE_CSS}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def cards_html(cards: Sequence[tuple[str, str, str]]) -> str:
    """Summary cards: (value, label, sub-text)."""
    items = "".join(f'<div class="card"><div class="v">{esc(v)}</div><div class="k">{esc(k)}</div>'
                    f'<div class="s">{esc(s)}</div></div>' for v, k, s in cards)
    return f'<div class="cards">{items}</div>'


# --------------------------------------------------------------------------- helpers on results


def _min_n(region: Any) -> int:
    return int((region.meta.get("report_parameters") or {}).get("min_group_size", 5))


def _param(region: Any, key: str, default: Any) -> Any:
    return (region.meta.get("report_parameters") or {}).get(key, default)


def _names(region: Any) -> pd.Series:
    sch = region.table("schools")
    return sch.set_index(sch["school_id"].astype(str))["name"]


def _with_names(region: Any, df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    names = _names(region)
    for col in [c for c in out.columns if c.endswith("school_id")]:
        ncol = "name" if col == "school_id" else col.replace("school_id", "name")
        if ncol not in out.columns:
            pos = list(out.columns).index(col) + 1
            out.insert(pos, ncol, out[col].astype(str).map(names))
    return out


def flagged_mask(categories: pd.Series) -> pd.Series:
    """True for a category that marks a school (ШНРО, ШНСУ, both, «зона риска»)."""
    s = categories.astype("string").str.lower()
    return s.str.contains("шнро|шнсу|риск", regex=True).fillna(False).astype(bool)


def _dfr(df: pd.DataFrame | None) -> bool:
    return df is not None and len(df) > 0


def municipal_index(region: Any, municipality: str | None, year: int) -> tuple[float, int]:
    """Participant-weighted mean one-year result index of a municipality (or the region) and participants."""
    ib = region.table("index_by_year")
    sub = ib[ib["year"] == year]
    if municipality is not None:
        sub = sub[sub["municipality"] == municipality]
    w = sub["participants"].astype(float)
    if w.sum() <= 0:
        return float("nan"), 0
    return float((sub["result_index"].astype(float) * w).sum() / w.sum()), int(w.sum())


def municipality_table(region: Any) -> pd.DataFrame:
    """One row per municipality: schools, participants, mean index, identified, resilient, programme."""
    year = region.year
    sch = region.table("schools")
    rows = []
    ident = region.table("identify") if region.ok("identify") else None
    ctx = region.table("context") if region.ok("context") else None
    prog = region.table("programme")
    for m in region.municipalities:
        ids = set(sch.loc[sch["municipality"] == m, "school_id"].astype(str))
        idx, part = municipal_index(region, m, year)
        row = {"municipality": m, "n_schools": len(ids), "participants": part, "mean_index": idx}
        if ident is not None and "category" in ident.columns:
            sub = ident[ident["school_id"].astype(str).isin(ids)]
            row["n_identified"] = int(flagged_mask(sub["category"]).sum())
        if ctx is not None and "resilient" in ctx.columns:
            sub = ctx[ctx["school_id"].astype(str).isin(ids)]
            row["n_resilient"] = int(sub["resilient"].fillna(False).astype(bool).sum())
        if prog is not None and "in_programme" in prog.columns:
            sub = prog[(prog["year"] == year) & prog["school_id"].astype(str).isin(ids)]
            row["n_programme"] = int(sub["in_programme"].fillna(False).astype(bool).sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("n_schools", "participants", "n_identified", "n_resilient", "n_programme"):
        if c in out.columns:
            out[c] = out[c].astype("Int64")
    return out


# --------------------------------------------------------------------------- municipal sections


def municipal_header(region: Any, municipality: str) -> str:
    """Title, banner, subtitle and table of contents of a municipal report."""
    parts = []
    if region.synthetic:
        parts.append(synthetic_banner(region.meta.get("synthetic_note", "")))
    parts.append(f"<h1>{esc(municipality)}: результаты обучения и поддержка школ, {esc(region.year)} год</h1>")
    ds_name = region.meta.get("dataset_name") or "набор данных"
    parts.append(f'<p class="subtitle">Муниципальный отчёт по программе поддержки ШНРО и ШНСУ. Источник: '
                 f"{esc(ds_name)}; годы данных: {esc(', '.join(map(str, region.meta.get('years', []))))}.</p>")
    parts.append(toc_html(MUNICIPAL_SECTIONS))
    return "".join(parts)


def summary_section(region: Any, municipality: str, sid: str = "summary",
                    title: str = "Главное на одном экране") -> str:
    """Key figures of a municipality for the report year on one screen."""
    year = region.year
    sch = region.table("schools")
    ids = set(region.school_ids(municipality))
    idx, part = municipal_index(region, municipality, year)
    reg_tab = municipality_table(region).sort_values("mean_index", ascending=False).reset_index(drop=True)
    rank = reg_tab.index[reg_tab["municipality"] == municipality]
    rank_txt = f"место {int(rank[0]) + 1} из {len(reg_tab)} по региону" if len(rank) else ""
    cards = [
        (fmt_int(len(ids)), "школ в муниципалитете", f"из {fmt_int(len(sch))} в регионе"),
        (fmt_int(part), f"участников оценочных процедур в {year} г.", "сумма по процедурам и предметам"),
        (fmt_num(idx, 2, signed=True), "средний индекс результатов", rank_txt + "; 0 — среднее по региону"),
    ]
    reasons = []
    if region.ok("identify"):
        ident = region.for_municipality("identify", municipality)
        if "category" in ident.columns:
            fl = flagged_mask(ident["category"])
            counts = ident.loc[fl.to_numpy(), "category"].astype(str).value_counts()
            sub = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "нет выявленных школ"
            cards.append((fmt_int(int(fl.sum())), "выявленных школ (ШНРО/ШНСУ/риск)", sub))
    else:
        reasons.append(f"выявление школ — {region.reason('identify')}")
    if region.ok("context"):
        ctx = region.for_municipality("context", municipality)
        if "resilient" in ctx.columns:
            cards.append((fmt_int(int(ctx["resilient"].fillna(False).astype(bool).sum())), "резильентных школ",
                          "результаты выше ожидаемых по контексту"))
    else:
        reasons.append(f"контекст — {region.reason('context')}")
    prog = region.table("programme")
    if prog is not None and "in_programme" in prog.columns:
        sub = prog[(prog["year"] == year) & prog["school_id"].astype(str).isin(ids)]
        cards.append((fmt_int(int(sub["in_programme"].fillna(False).astype(bool).sum())),
                      f"школ в программе поддержки в {year} г.", ""))
    body = cards_html(cards)
    if reasons:
        body += note_html("Пока недоступно: " + "; ".join(reasons) + ".", "warn")
    return section_html(sid, title, body)


def _procedure_order(values: Iterable[str]) -> list[str]:
    known = ["ЕГЭ", "ОГЭ", "ВПР", "РДР"]
    vals = sorted(set(str(v) for v in values))
    return [p for p in known if p in vals] + [p for p in vals if p not in known]


def overview_section(region: Any, municipality: str) -> str:
    """Schools, participation and score distributions per procedure and year."""
    year = region.year
    min_n = _min_n(region)
    parts = []
    sch = region.for_municipality("schools", municipality)
    parts.append("<h3>Школы</h3>")
    if _dfr(sch):
        if "school_type" in sch.columns and "locality_type" in sch.columns:
            ct = pd.crosstab(sch["school_type"].fillna("не указан"), sch["locality_type"].fillna("не указан"))
            ct = ct.reset_index().rename(columns={"school_type": "Тип ОО"})
            ct.columns = [str(c) for c in ct.columns]
            parts.append(html_table(ct, caption="Школы по типу и типу населённого пункта"))
        cols = [c for c in ["school_id", "name", "locality", "locality_type", "school_type"] if c in sch.columns]
        parts.append(html_table(sch[cols], caption="Список школ", max_rows=int(_param(region, "max_table_rows", 60))))
    else:
        parts.append(note_html("В таблице школ нет школ этого муниципалитета."))

    parts.append("<h3>Участие в оценочных процедурах</h3>")
    part = region.for_municipality("participation", municipality)
    if _dfr(part):
        piv = part.pivot_table(index="procedure", columns="year", values="participants", aggfunc="sum")
        piv_s = part.pivot_table(index="procedure", columns="year", values="schools", aggfunc="sum")
        procs = _procedure_order(piv.index)
        disp = pd.DataFrame({"procedure": procs})
        for y in piv.columns:
            disp[str(int(y))] = [
                f"{fmt_int(piv.loc[p, y])} уч. / {fmt_int(piv_s.loc[p, y])} шк." if not _isna(piv.loc[p, y]) else "—"
                for p in procs]
        parts.append(html_table(disp, caption="Число участников и школ по процедурам и годам",
                                note="«—» — процедура в этом году не проводилась или данных нет "
                                     "(например, ОГЭ 2020 г. отменён)."))
    else:
        parts.append(note_html("Нет результатов оценочных процедур по школам муниципалитета."))

    parts.append("<h3>Распределение результатов школ</h3>")
    ss = region.table("school_scores")
    if _dfr(ss):
        parts.append(_distribution_figure(region, ss, municipality))
        rows = []
        for p in _procedure_order(ss["procedure"]):
            for y in sorted(int(v) for v in ss.loc[ss["procedure"] == p, "year"].unique()):
                reg = ss[(ss["procedure"] == p) & (ss["year"] == y)]
                mun = reg[reg["municipality"] == municipality]
                rows.append({"procedure": p, "year": y, "schools": len(mun),
                             "participants": int(mun["participants"].fillna(0).sum()),
                             "median_pct": mun["pct"].median() if len(mun) else np.nan,
                             "region_median_pct": reg["pct"].median(),
                             "share_low": np.average(mun["share_low"].fillna(0),
                                                     weights=mun["participants"].astype(float))
                             if len(mun) and mun["participants"].sum() > 0 else np.nan,
                             "region_share_low": np.average(reg["share_low"].fillna(0),
                                                            weights=reg["participants"].astype(float))})
        t = pd.DataFrame(rows)
        t["year"] = t["year"].astype("Int64")
        t["schools"] = t["schools"].astype("Int64")
        t["participants"] = t["participants"].astype("Int64")
        t = suppress_small(t, "participants", ["median_pct", "share_low"], min_n)
        parts.append(html_table(t, labels={"median_pct": "Медиана школ, % от максимума",
                                           "region_median_pct": "Медиана по региону, %",
                                           "share_low": "Доля низких результатов",
                                           "region_share_low": "Регион: доля низких"},
                                caption="Результаты школ по процедурам и годам"))
    sub = region.for_municipality("subject_scores", municipality)
    if _dfr(sub):
        cur = sub[sub["year"] == year].copy()
        if len(cur):
            cur["diff_pct"] = cur["pct"] - cur["region_pct"]
            cur = cur.sort_values(["procedure", "grade", "subject"], key=lambda s: s.map(
                {p: i for i, p in enumerate(_procedure_order(cur["procedure"]))}) if s.name == "procedure" else s)
            cols = ["procedure", "subject", "grade", "participants", "pct", "region_pct", "diff_pct", "share_low"]
            t = suppress_small(cur[cols].reset_index(drop=True), "participants", ["pct", "diff_pct", "share_low"], min_n)
            parts.append(html_table(t, caption=f"Результаты по предметам в {year} г. в сравнении с регионом",
                                    formats={"pct": lambda v: fmt_num(v, 1), "region_pct": lambda v: fmt_num(v, 1),
                                             "diff_pct": lambda v: fmt_num(v, 1, signed=True)}))
    return section_html("overview", "Обзор данных: школы, участие, результаты", "".join(parts))


def _distribution_figure(region: Any, ss: pd.DataFrame, municipality: str | None) -> str:
    plt = _plt()
    procs = _procedure_order(ss["procedure"])
    w, h = _param(region, "figure_size", [8.0, 3.6])
    fig, axes = plt.subplots(1, len(procs), figsize=(max(w, 2.4 * len(procs)), h), sharey=True, squeeze=False)
    for ax, p in zip(axes[0], procs, strict=True):
        d = ss[ss["procedure"] == p]
        years = sorted(int(v) for v in d["year"].unique())
        reg_data = [d.loc[d["year"] == y, "pct"].dropna().to_numpy() for y in years]
        pos = np.arange(len(years))
        ax.boxplot(reg_data, positions=pos - (0.18 if municipality else 0), widths=0.32, showfliers=False,
                   patch_artist=True, boxprops={"facecolor": "#d7dee8", "color": "#8795a8"},
                   medianprops={"color": "#44546a"}, whiskerprops={"color": "#8795a8"}, capprops={"color": "#8795a8"})
        if municipality:
            mun = [d.loc[(d["year"] == y) & (d["municipality"] == municipality), "pct"].dropna().to_numpy()
                   for y in years]
            mun = [m if len(m) else np.array([np.nan]) for m in mun]
            ax.boxplot(mun, positions=pos + 0.18, widths=0.32, showfliers=False, patch_artist=True,
                       boxprops={"facecolor": "#7fb0dd", "color": "#1f5f99"}, medianprops={"color": "#0b2e50"},
                       whiskerprops={"color": "#1f5f99"}, capprops={"color": "#1f5f99"})
        ax.set_xticks(pos)
        ax.set_xticklabels([str(y) for y in years], fontsize=8)
        ax.set_title(p)
    axes[0][0].set_ylabel("Средний балл школы, % от максимума")
    if municipality:
        from matplotlib.patches import Patch

        axes[0][-1].legend(handles=[Patch(facecolor="#d7dee8", label="регион"),
                                    Patch(facecolor="#7fb0dd", label="муниципалитет")], fontsize=7, loc="lower right")
    fig.tight_layout()
    who = "школ муниципалитета (синие) и региона (серые)" if municipality else "школ региона"
    return figure_html(fig, alt=f"Распределение средних баллов {who} по процедурам и годам",
                       caption=f"Распределение средних баллов {who} по процедурам и годам (ящик — 50% школ, "
                               "линия — медиана).", synthetic=region.synthetic, dpi=_param(region, "figure_dpi", 100))


def _criterion_titles(rules: str, columns: Sequence[str]) -> dict[str, str]:
    """Russian titles of ``crit_*`` columns from the rule set (the key itself if unavailable)."""
    try:
        from shnro_lib.identify import column_labels_ru

        labels = column_labels_ru(rules)
    except Exception:  # noqa: BLE001 - a custom rule file may be gone; the key still identifies it
        labels = {}
    return {c: str(labels.get(c, c)).removeprefix("Критерий: ") for c in columns}


def identified_section(region: Any, municipality: str) -> str:
    """Identified schools of the municipality with the reasons (criteria) of each flag."""
    if not region.ok("identify"):
        return section_html("identified", "Выявленные школы и основания", unavailable_html(region.reason("identify")))
    ident = _with_names(region, region.for_municipality("identify", municipality))
    parts = []
    method = region.meta.get("rules", "")
    parts.append(f"<p>Правила идентификации: <strong>{esc(method)}</strong> (подробнее — в приложении А).</p>")
    if "category" in ident.columns and len(ident):
        counts = ident["category"].astype("string").fillna("не определена").value_counts().rename_axis(
            "category").reset_index(name="schools")
        counts["schools"] = counts["schools"].astype("Int64")
        parts.append(html_table(counts, caption="Школы по категориям"))
        fl = ident.loc[flagged_mask(ident["category"]).to_numpy()]
    else:
        fl = ident
    cols = [c for c in ["school_id", "name", "category", "result_index", "result_index_se", "p_bottom_quartile",
                        "social_wellbeing_index", "explanation"] if c in fl.columns]
    if len(fl):
        parts.append(html_table(fl[cols].reset_index(drop=True), caption="Выявленные школы и основания"))
        crit = [c for c in fl.columns if c.startswith("crit_")]
        if crit:
            titles = _criterion_titles(region.meta.get("rules", "lo_2018"), crit)
            short = {c: f"К{i}" for i, c in enumerate(crit, start=1)}
            legend = "; ".join(f"{short[c]} — {titles[c]}" for c in crit)
            parts.append(html_table(fl[["name", *crit]].reset_index(drop=True),
                                    caption="Выполнение отдельных критериев (да — выполнен, нет — не выполнен, "
                                            "«—» — нет данных для проверки)",
                                    labels=short, note=legend))
    else:
        parts.append(note_html("В муниципалитете нет школ, отнесённых к ШНРО, ШНСУ или зоне риска."))
    if region.ok("identification_changes"):
        ch = region.for_municipality("identification_changes", municipality)
        if _dfr(ch):
            ch = ch.drop(columns=[c for c in ("municipality",) if c in ch.columns])
            parts.append(html_table(_with_names(region, ch), caption="Изменения по сравнению с прошлым годом",
                                    max_rows=int(_param(region, "max_table_rows", 60))))
    return section_html("identified", "Выявленные школы и основания", "".join(parts))


def context_section(region: Any, municipality: str) -> str:
    """Context clusters, expected results, residuals, resilient and similar schools."""
    if not region.ok("context"):
        return section_html("context", "Социальный контекст и похожие школы", unavailable_html(region.reason("context")))
    ctx_all = region.table("context")
    ctx = _with_names(region, region.for_municipality("context", municipality))
    parts = []
    if {"context_index", "expected_result", "residual"} <= set(ctx_all.columns):
        plt = _plt()
        w, h = _param(region, "figure_size", [8.0, 3.6])
        fig, ax = plt.subplots(figsize=(w, h + 0.6))
        actual = ctx_all["expected_result"].astype(float) + ctx_all["residual"].astype(float)
        ax.scatter(ctx_all["context_index"], actual, s=9, color="#b8c3d1", label="школы региона")
        ids = set(region.school_ids(municipality))
        m = ctx_all["school_id"].astype(str).isin(ids).to_numpy()
        ax.scatter(ctx_all.loc[m, "context_index"], actual[m], s=22, color="#1f5f99", label="школы муниципалитета")
        order = np.argsort(ctx_all["context_index"].to_numpy(dtype=float))
        ax.plot(ctx_all["context_index"].to_numpy(dtype=float)[order],
                ctx_all["expected_result"].to_numpy(dtype=float)[order], color="#c05020", lw=1, label="ожидаемый")
        ax.set_xlabel("Индекс социального контекста")
        ax.set_ylabel("Индекс результатов")
        ax.legend(fontsize=7)
        fig.tight_layout()
        parts.append(figure_html(fig, "Результаты школ в зависимости от социального контекста",
                                 "Фактический и ожидаемый по контексту результат школ.", region.synthetic,
                                 _param(region, "figure_dpi", 100)))
    cols = [c for c in ["school_id", "name", "cluster_name", "context_index", "expected_result", "residual",
                        "residual_ci_low", "residual_ci_high", "resilient"] if c in ctx.columns]
    parts.append(html_table(ctx[cols], caption="Положение школ относительно ожидаемого по контексту",
                            max_rows=int(_param(region, "max_table_rows", 60))))
    if region.ok("similar"):
        parts.append(similar_schools_figure(region, municipality))
        sim = region.for_municipality("similar", municipality)
        if _dfr(sim):
            sim = _with_names(region, sim)
            sim.insert(sim.columns.get_loc("similar_id") + 1, "similar_name",
                       sim["similar_id"].astype(str).map(_names(region)))
            parts.append(html_table(sim, caption="Похожие по контексту школы региона",
                                    max_rows=int(_param(region, "max_table_rows", 60))))
    else:
        parts.append(unavailable_html(f"похожие школы — {region.reason('similar')}"))
    return section_html("context", "Социальный контекст и похожие школы", "".join(parts))


def dynamics_section(region: Any, municipality: str) -> str:
    """The municipality's mean result index and its schools' indices over the years."""
    ib = region.table("index_by_year")
    n_years = int(_param(region, "dynamics_years", 5))
    years = [y for y in sorted(int(v) for v in ib["year"].dropna().unique()) if y <= region.year][-n_years:]
    if not years:
        return section_html("dynamics", "Динамика по годам", note_html("Нет данных о результатах по годам."))
    plt = _plt()
    w, h = _param(region, "figure_size", [8.0, 3.6])
    fig, ax = plt.subplots(figsize=(w, h))
    vals = [municipal_index(region, municipality, y)[0] for y in years]
    ax.axhline(0, color="#8795a8", lw=1, ls="--", label="среднее по региону")
    ax.plot(years, vals, marker="o", color="#1f5f99", label=municipality[:40])
    ax.set_xticks(years)
    ax.set_ylabel("Средний индекс результатов")
    ax.legend(fontsize=7)
    fig.tight_layout()
    parts = [figure_html(fig, "Динамика среднего индекса результатов муниципалитета",
                         "Индекс результатов: стандартизованный средний балл по всем процедурам года "
                         "(0 — среднее по региону, взвешенное по участникам).", region.synthetic,
                         _param(region, "figure_dpi", 100))]
    sub = ib[(ib["municipality"] == municipality) & ib["year"].isin(years)]
    if len(sub):
        sub = sub.copy()
        min_n = _min_n(region)
        sub["text"] = [("скрыто*" if (p is not pd.NA and p < min_n) else fmt_num(v, 2, signed=True))
                       for v, p in zip(sub["result_index"], sub["participants"], strict=True)]
        piv = sub.pivot_table(index="school_id", columns="year", values="text", aggfunc="first")
        piv.columns = [str(int(c)) for c in piv.columns]
        piv = piv.reset_index()
        piv.insert(1, "name", piv["school_id"].astype(str).map(_names(region)))
        note = None
        if (sub["participants"] < min_n).fillna(False).any():
            note = f"* Индекс скрыт: в этот год у школы меньше {min_n} участников."
        parts.append(html_table(piv.fillna("—"), caption="Индекс результатов школ по годам", note=note,
                                max_rows=int(_param(region, "max_table_rows", 60))))
    return section_html("dynamics", "Динамика по годам", "".join(parts))


def effects_section(region: Any, municipality: str | None, sid: str = "effects",
                    title: str = "Эффекты программ поддержки") -> str:
    """Region-level programme effect estimates and this municipality's programme schools."""
    parts = []
    if region.ok("effects"):
        parts.append("<p>Оценки эффекта программы рассчитаны по всему региону (по отдельному муниципалитету "
                     "выборка слишком мала для надёжной оценки).</p>")
        parts.append(html_table(region.table("effects"), caption="Оценки эффекта программы разными методами"))
    else:
        parts.append(unavailable_html(region.reason("effects")))
    prog = region.table("programme")
    if municipality and prog is not None and "in_programme" in prog.columns:
        sub = prog[(prog["municipality"] == municipality) & prog["in_programme"].fillna(False).astype(bool)]
        if len(sub):
            cols = [c for c in ["school_id", "year", "programme", "cohort", "partner_school_id", "cost_rub"]
                    if c in sub.columns]
            t = _with_names(region, sub[cols].sort_values(["school_id", "year"]).reset_index(drop=True))
            parts.append(html_table(t, caption="Школы муниципалитета в программе поддержки",
                                    max_rows=int(_param(region, "max_table_rows", 60))))
        else:
            parts.append(note_html("Школы муниципалитета в программе поддержки не участвовали."))
    return section_html(sid, title, "".join(parts))


def costs_section(region: Any, municipality: str | None, sid: str = "costs", title: str = "Цена и качество") -> str:
    """Cost–quality table for the municipality's schools (or the region)."""
    if not region.ok("costs"):
        return section_html(sid, title, unavailable_html(region.reason("costs")))
    df = region.for_municipality("costs", municipality) if municipality else region.table("costs")
    if _dfr(df) and "school_id" in df.columns:
        df = _with_names(region, df)
    if municipality is None and _dfr(df) and "municipality" in df.columns:
        agg = df.groupby("municipality").agg(
            n_schools=("school_id", "size"), spending_per_pupil=("spending_per_pupil", "median"),
            residual=("residual", "mean"), efficiency=("efficiency", "mean")).reset_index()
        if "quadrant" in df.columns:
            q = pd.crosstab(df["municipality"], df["quadrant"]).reset_index()
            q.columns = [str(c) for c in q.columns]
            agg = agg.merge(q, on="municipality", how="left")
        table = html_table(agg, caption="«Цена–качество» по муниципальным образованиям (медиана расходов, "
                                        "среднее отклонение от ожидаемого, средняя эффективность, школы по квадрантам)",
                           labels={"spending_per_pupil": "Медиана расходов на ученика, руб.",
                                   "residual": "Среднее отклонение от ожидаемого",
                                   "efficiency": "Средняя эффективность (DEA)"})
        return section_html(sid, title, costs_figure(region, None) + table)
    cols = [c for c in ["school_id", "name", "spending_per_pupil", "result_index", "expected_result", "residual",
                        "efficiency", "efficiency_ci_low", "efficiency_ci_high", "quadrant"] if c in df.columns]
    return section_html(sid, title, costs_figure(region, municipality) + html_table(
        df[cols], caption="Расходы и результаты", max_rows=int(_param(region, "max_table_rows", 60))))


def partners_section(region: Any, municipality: str) -> str:
    """Proposed partnerships involving the municipality's schools."""
    if not region.ok("partners"):
        return section_html("partners", "Предлагаемые партнёрства", unavailable_html(region.reason("partners")))
    df = region.table("partners")
    ids = set(region.school_ids(municipality))
    id_cols = [c for c in df.columns if c.endswith("school_id")]
    if id_cols:
        mask = np.zeros(len(df), dtype=bool)
        for c in id_cols:
            mask |= df[c].astype(str).isin(ids).to_numpy()
        df = _with_names(region, df.loc[mask].reset_index(drop=True))
    cols = [c for c in ["school_id", "school_name", "leader_id", "leader_name", "leader_municipality",
                        "result_gap", "distance_km", "reason"] if c in df.columns]
    body = html_table(df[cols] if cols else df, caption="Предлагаемые пары «школа — школа-лидер»") if len(df) else note_html(
        "Для школ муниципалитета партнёрства не предложены.")
    return section_html("partners", "Предлагаемые партнёрства", body)


def method_annex(region: Any, sid: str = "method", title: str = "Приложение А. Методика") -> str:
    """Method texts of the analyses that exist plus the overview and suppression rules."""
    min_n = _min_n(region)
    parts = [
        "<h3>Обзор данных и индекс результатов</h3>",
        paragraphs_html(
            "Средний балл школы по каждой процедуре, предмету и классу переводится в проценты от максимального "
            "балла и стандартизуется внутри ячейки «процедура × предмет × класс × год» (среднее и разброс — "
            "по школам региона с весами по числу участников). Индекс результатов школы за год — средний "
            "стандартизованный балл с весами по числу участников; 0 — средний уровень региона, +1 — на одно "
            "стандартное отклонение выше. Стандартизация внутри года и процедуры сохраняет сопоставимость лет, "
            "даже когда меняется шкала или формат работы (новый формат ВПР, другая шкала ОГЭ): сравнивается "
            "положение школы среди школ региона, а не сырые баллы.\n\n"
            "Стандартная ошибка индекса учитывает, что одни и те же дети пишут разные предметы и переходят из "
            "класса в класс: результаты одной когорты учеников коррелированы (доля общей дисперсии — параметр, "
            "по умолчанию 0,6). Поэтому у малых школ ошибка больше, и вероятность попасть в нижнюю четверть "
            "показывается вместе с самим индексом.\n\n"
            f"Значения, рассчитанные по группам меньше чем из {min_n} участников, в отчётах скрываются: "
            "это защищает персональные данные и не даёт делать выводы по случайным колебаниям малых групп."),
    ]
    titles = {"identify": "Идентификация ШНРО и ШНСУ", "context": "Социальный контекст",
              "effects": "Эффекты программ", "costs": "Цена и качество", "partners": "Партнёрства",
              "monitoring": "Мониторинг программы"}
    for stage, t in titles.items():
        parts.append(f"<h3>{esc(t)}</h3>")
        text = region.methods.get(stage)
        parts.append(markdown_html(text) if text else note_html(
            f"Описание метода недоступно: {region.reason(stage) or 'модуль не предоставил описание'}."))
    return section_html(sid, title, "".join(parts))


def data_quality_annex(region: Any, sid: str = "quality", title: str = "Приложение Б. Качество данных",
                       municipality: str | None = None) -> str:
    """The load report: tables read, rows used and excluded, problems found."""
    parts = [paragraphs_html(
        "Каждая прочитанная строка либо использована, либо исключена с указанием причины. "
        f"Ошибок: {region.meta.get('n_errors', 0)}, предупреждений: {region.meta.get('n_warnings', 0)}.")]
    lt = region.table("load_tables")
    if _dfr(lt):
        parts.append(html_table(lt, caption="Прочитанные таблицы"))
    lp = region.table("load_problems")
    if _dfr(lp):
        cols = [c for c in ["level", "file", "row", "column", "value", "message"] if c in lp.columns]
        t = lp[cols].copy()
        t["level"] = t["level"].map({"error": "ошибка", "warning": "предупреждение", "info": "сведение"}).fillna(
            t["level"])
        parts.append(html_table(t, caption="Замечания загрузчика", max_rows=int(_param(region, "max_table_rows", 60))))
    le = region.table("load_excluded")
    if _dfr(le):
        parts.append(html_table(le, caption="Исключённые строки", max_rows=int(_param(region, "max_table_rows", 60))))
    if municipality:
        ids = region.school_ids(municipality)
        part = region.table("index_by_year")
        have = set(part.loc[part["year"] == region.year, "school_id"].astype(str))
        missing = [i for i in ids if i not in have]
        if missing:
            names = _names(region)
            t = pd.DataFrame({"school_id": missing, "name": [names.get(i) for i in missing]})
            parts.append(html_table(t, caption=f"Школы без результатов в {region.year} г."))
    miss = sorted(set(["context", "staff", "resources", "territories", "outcomes", "programme", "process",
                       "diagnostics", "risk_profile"]) - set(region.meta.get("tables_present", [])))
    if miss:
        parts.append(note_html("Нет необязательных таблиц: " + ", ".join(miss)
                               + " — зависящие от них разделы недоступны."))
    return section_html(sid, title, "".join(parts))


def municipal_report_html(region: Any, municipality: str) -> str:
    """The whole municipal report body built in Python (used by tests and the collection)."""
    return "".join([
        municipal_header(region, municipality), summary_section(region, municipality),
        overview_section(region, municipality), identified_section(region, municipality),
        context_section(region, municipality), dynamics_section(region, municipality),
        effects_section(region, municipality), costs_section(region, municipality),
        partners_section(region, municipality), monitoring_section(region, municipality), method_annex(region),
        data_quality_annex(region, municipality=municipality), footer_html(region.meta)])


def _status_colour(status: str) -> str:
    return {"on_track": "#d8efd9", "at_risk": "#fbe8c0", "off_track": "#f6c9c4"}.get(str(status), "#eeeeee")


def monitoring_section(region: Any, municipality: str, sid: str = "monitoring",
                       title: str = "Мониторинг программы и переходы школ") -> str:
    """Annual monitoring indicators of the municipality against the region and targets, and school paths."""
    if not region.ok("monitoring"):
        return section_html(sid, title, unavailable_html(region.reason("monitoring")))
    mon = region.table("monitoring")
    years = sorted(int(y) for y in mon["year"].dropna().unique())
    last = [y for y in years if y <= region.year][-3:]
    mine = mon[(mon["municipality"] == municipality) & mon["year"].isin(last)]
    reg = mon[(mon["level"] == "регион") & (mon["year"] == region.year)].set_index("indicator")
    rows = []
    for ind, g in mine.groupby("indicator", sort=False):
        g = g.set_index("year")
        row = {"title_ru": g["title_ru"].iloc[0]}
        unit = str(g["unit"].iloc[0])

        def fmt(v: Any, unit: str = unit) -> str:
            return fmt_pct(v) if unit == "share" else fmt_num(v, 0 if unit == "count" else 2)

        for y in last:
            row[str(y)] = fmt(g["value"].get(y, np.nan))
        cur = g.loc[region.year] if region.year in g.index else None
        row["target"] = fmt(cur["target"]) if cur is not None else "—"
        row["status_ru"] = cur["status_ru"] if cur is not None else "нет данных"
        row["region"] = fmt(reg["value"].get(ind, np.nan) if ind in reg.index else np.nan)
        rows.append(row)
    parts = ["<p>Показатели ежегодного мониторинга программы поддержки (приказ о мониторинге, раздел 3) "
             "для школ муниципалитета; цели — плановая траектория из параметров мониторинга. Статус: "
             "«в графике», «риск» (в пределах допуска), «отставание».</p>"]
    if rows:
        parts.append(html_table(pd.DataFrame(rows), labels={"region": f"Регион, {region.year}"},
                                caption="Показатели мониторинга по годам"))
    if region.ok("trajectories"):
        tr = region.for_municipality("trajectories", municipality)
        if _dfr(tr):
            listed = tr[tr["years_listed"].fillna(0).astype(int) > 0]
            counts = listed["status_ru"].value_counts().rename_axis("status_ru").reset_index(name="schools")
            parts.append(html_table(counts, caption="Школы, бывшие в списке ШНРО/ШНСУ: состояние на "
                                                    f"{region.year} г."))
            cols = ["school_id", "name", "path", "status_ru"]
            t = _with_names(region, listed)
            parts.append(html_table(t[[c for c in cols if c in t.columns]].reset_index(drop=True),
                                    caption="Путь школ по категориям",
                                    max_rows=int(_param(region, "max_table_rows", 60))))
    return section_html(sid, title, "".join(parts))


def regional_monitoring_section(region: Any) -> str:
    """Status grid municipality x indicator, the region's indicators and the flow between categories."""
    sid, title = "r-monitoring", "Мониторинг программы: показатели, цели, переходы"
    if not region.ok("monitoring"):
        return section_html(sid, title, unavailable_html(region.reason("monitoring")))
    from shnro_lib import monitoring as mon_mod

    mon = region.table("monitoring")
    parts = []
    dpi = _param(region, "figure_dpi", 100)
    try:
        fig = mon_mod.plot_status_grid(mon, region.year, synthetic=region.synthetic)
        parts.append(figure_html(fig, "Сетка статусов «муниципалитет × показатель»",
                                 "Цвет — статус относительно целевой траектории (зелёный — в графике, жёлтый — "
                                 "риск, красный — отставание, серый — цели нет); в ячейке — значение и "
                                 "стрелка изменения к прошлому году.", region.synthetic, dpi))
    except Exception as exc:  # noqa: BLE001 - a figure must not stop the report
        parts.append(unavailable_html(f"сетка статусов не построена: {exc}"))
    try:
        wide = mon_mod.monitoring_wide(mon)
        units = mon.drop_duplicates("indicator").set_index("indicator")["unit"].astype(str)
        for col in [c for c in wide.columns if c not in ("indicator", "title_ru")]:
            wide[col] = [fmt_pct(v) if units.get(i) == "share" else fmt_num(v, 2 if units.get(i) != "count" else 0)
                         for i, v in zip(wide["indicator"], wide[col], strict=True)]
        parts.append(html_table(wide.drop(columns=["indicator"]), caption="Показатели по региону по годам"))
    except Exception as exc:  # noqa: BLE001
        parts.append(unavailable_html(f"таблица показателей не построена: {exc}"))
    if region.ok("ident_panel"):
        panel = region.table("ident_panel")
        try:
            fig = mon_mod.plot_transitions_flow(panel, synthetic=region.synthetic)
            parts.append(figure_html(fig, "Переходы школ между категориями по годам",
                                     "Ширина потока — число школ, перешедших из категории в категорию.",
                                     region.synthetic, dpi))
        except Exception as exc:  # noqa: BLE001
            parts.append(unavailable_html(f"схема переходов не построена: {exc}"))
    if region.ok("trajectories"):
        tr = region.table("trajectories")
        listed = tr[tr["years_listed"].fillna(0).astype(int) > 0]
        ct = pd.crosstab(listed["municipality"], listed["status_ru"]).reset_index()
        ct.columns = [str(c) for c in ct.columns]
        parts.append(html_table(ct, caption=f"Школы, бывшие в списке: состояние на {region.year} г."))
    return section_html(sid, title, "".join(parts))


_SHORT_NAMES = (("средняя общеобразовательная школа", "СОШ"), ("основная общеобразовательная школа", "ООШ"),
                ("начальная общеобразовательная школа", "НОШ"), ("с углублённым изучением отдельных предметов",
                                                                  "с УИОП"), ("общеобразовательная", "общеобр."))


def short_school_name(name: str) -> str:
    """A school name shortened the way Russian reports do («СОШ», «ООШ», «с УИОП») for figure labels."""
    out = str(name)
    for long, short in _SHORT_NAMES:
        out = re.sub(long, short, out, flags=re.IGNORECASE)
    return out


def similar_schools_figure(region: Any, municipality: str, max_schools: int = 6) -> str:
    """Each identified school's yearly result index against the mean of its similar-context schools."""
    if not (region.ok("similar") and region.ok("identify")):
        return ""
    ident = region.for_municipality("identify", municipality)
    if not _dfr(ident) or "category" not in ident.columns:
        return ""
    focus = ident.loc[flagged_mask(ident["category"]).to_numpy()]
    if "result_index" in focus.columns:
        focus = focus.sort_values("result_index")
    focus = focus.head(max_schools)
    if focus.empty:
        return ""
    sim = region.table("similar")
    ib = region.table("index_by_year")
    min_n = _min_n(region)
    ib = ib[ib["participants"].fillna(0) >= min_n]
    piv = ib.pivot_table(index="school_id", columns="year", values="result_index", aggfunc="first")
    years = [y for y in piv.columns if y <= region.year]
    plt = _plt()
    ncol = 3
    nrow = int(math.ceil(len(focus) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.4 * nrow), squeeze=False, sharey=True)
    names = _names(region)
    for ax, sid_ in zip(axes.ravel(), focus["school_id"].astype(str), strict=False):
        peers = sim.loc[sim["school_id"].astype(str) == sid_, "similar_id"].astype(str)
        peer_vals = piv.reindex(peers)[years]
        ax.fill_between(years, peer_vals.quantile(0.25).to_numpy(dtype=float),
                        peer_vals.quantile(0.75).to_numpy(dtype=float), color="#c9d6e6", label="похожие: 25–75%")
        ax.plot(years, peer_vals.mean().to_numpy(dtype=float), color="#6b7f99", lw=1, label="похожие: среднее")
        own = piv.reindex([sid_])[years].iloc[0].to_numpy(dtype=float) if sid_ in piv.index else np.full(len(years), np.nan)
        ax.plot(years, own, marker="o", color="#c05020", lw=1.5, label="школа")
        ax.axhline(0, color="#999999", lw=0.6, ls="--")
        ax.set_title(f"{sid_}: {short_school_name(names.get(sid_, ''))}"[:48], fontsize=7)
        ax.set_xticks(years)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(focus):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    return figure_html(fig, "Выявленные школы и похожие на них по контексту школы региона",
                       "Индекс результатов школы по годам (красная линия) против похожих по социальному контексту "
                       f"школ региона (среднее и межквартильный размах). Годы, где у школы меньше {min_n} "
                       "участников, не показаны.", region.synthetic, _param(region, "figure_dpi", 100))


def costs_figure(region: Any, municipality: str | None) -> str:
    """Quadrant chart: spending per pupil against the result relative to context."""
    if not region.ok("costs"):
        return ""
    df = region.table("costs")
    # without a context model there is no residual: the chart (result against context) is not drawn
    if not {"spending_per_pupil", "residual"} <= set(df.columns) or not df["residual"].notna().any():
        return ""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = df["spending_per_pupil"].astype(float) / 1000
    y = df["residual"].astype(float)
    ax.scatter(x, y, s=9, color="#b8c3d1", label="школы региона")
    if municipality:
        m = (df["municipality"] == municipality).fillna(False).to_numpy()
        ax.scatter(x[m], y[m], s=24, color="#1f5f99", label="школы муниципалитета")
    ax.axhline(0, color="#44546a", lw=1)
    ax.axvline(float(np.nanmedian(x)), color="#44546a", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("Расходы на одного обучающегося, тыс. руб. (логарифмическая шкала)")
    ax.set_ylabel("Результат относительно ожидаемого по контексту")
    for tx, ty, text in ((0.02, 0.95, "дешевле и лучше"), (0.75, 0.95, "дороже и лучше"),
                         (0.02, 0.03, "дешевле и хуже"), (0.75, 0.03, "дороже и хуже")):
        ax.text(tx, ty, text, transform=ax.transAxes, fontsize=8, color="#44546a", va="top" if ty > 0.5 else "bottom")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return figure_html(fig, "«Цена–качество»: расходы на обучающегося и результат с учётом контекста",
                       "Квадранты: расходы выше/ниже медианы региона; результат выше/ниже ожидаемого по "
                       "социальному контексту.", region.synthetic, _param(region, "figure_dpi", 100))


# --------------------------------------------------------------------------- regional sections


def regional_header(region: Any, title: str | None = None, sections: Sequence[tuple[str, str]] | None = None) -> str:
    """Title, banner and table of contents of the regional report."""
    parts = []
    if region.synthetic:
        parts.append(synthetic_banner(region.meta.get("synthetic_note", "")))
    name = region.meta.get("dataset_name") or "Регион"
    parts.append(f"<h1>{esc(title or f'Региональный отчёт: {name}, {region.year} год')}</h1>")
    parts.append(f'<p class="subtitle">Сравнение {len(region.municipalities)} муниципальных образований; '
                 f"годы данных: {esc(', '.join(map(str, region.meta.get('years', []))))}.</p>")
    parts.append(toc_html(sections or REGIONAL_SECTIONS))
    return "".join(parts)


def regional_summary_section(region: Any) -> str:
    """Key figures of the region."""
    sch = region.table("schools")
    idx, part = municipal_index(region, None, region.year)
    mt = municipality_table(region)
    cards = [(fmt_int(len(sch)), "школ", f"в {len(region.municipalities)} муниципальных образованиях"),
             (fmt_int(part), f"участников оценочных процедур в {region.year} г.", "")]
    if "n_identified" in mt.columns:
        cards.append((fmt_int(mt["n_identified"].sum()), "выявленных школ", "ШНРО, ШНСУ, зона риска"))
    if "n_resilient" in mt.columns:
        cards.append((fmt_int(mt["n_resilient"].sum()), "резильентных школ", ""))
    if "n_programme" in mt.columns:
        cards.append((fmt_int(mt["n_programme"].sum()), f"школ в программе в {region.year} г.", ""))
    body = cards_html(cards)
    miss = [f"{s}: {r}" for s, r in region.failures.items()]
    if miss:
        body += note_html("Недоступные разделы анализа: " + "; ".join(miss) + ".", "warn")
    return section_html("r-summary", "Главное о регионе", body)


def regional_compare_section(region: Any) -> str:
    """Municipalities side by side: figure of mean index with an approximate CI, and a table."""
    mt = municipality_table(region).sort_values("mean_index").reset_index(drop=True)
    plt = _plt()
    w, _ = _param(region, "figure_size", [8.0, 3.6])
    fig, ax = plt.subplots(figsize=(w, 0.28 * len(mt) + 1.0))
    ib = region.table("index_by_year")
    ses = []
    for m in mt["municipality"]:
        sub = ib[(ib["year"] == region.year) & (ib["municipality"] == m)]
        wts = sub["participants"].astype(float)
        ses.append(float(np.sqrt(((wts * sub["result_index_se"].astype(float)) ** 2).sum()) / wts.sum())
                   if wts.sum() > 0 else np.nan)
    y = np.arange(len(mt))
    ax.barh(y, mt["mean_index"], xerr=1.96 * np.array(ses), color="#7fb0dd", ecolor="#44546a")
    ax.set_yticks(y)
    ax.set_yticklabels([m[:38] for m in mt["municipality"]], fontsize=7)
    ax.axvline(0, color="#44546a", lw=1)
    ax.set_xlabel(f"Средний индекс результатов, {region.year} г. (0 — регион)")
    fig.tight_layout()
    parts = [figure_html(fig, "Средний индекс результатов по муниципальным образованиям",
                         "Средний индекс результатов муниципальных образований с 95% интервалами (выборочная "
                         "погрешность).", region.synthetic, _param(region, "figure_dpi", 100))]
    parts.append(html_table(mt.sort_values("mean_index", ascending=False),
                            caption="Муниципальные образования", formats={"mean_index": lambda v: fmt_num(v, 2, True)}))
    return section_html("r-compare", "Сравнение муниципальных образований", "".join(parts))


def regional_participation_section(region: Any) -> str:
    """Participation by procedure and year for the region and by municipality."""
    part = region.table("participation")
    tot = part.groupby(["procedure", "year"], observed=True).agg(
        schools=("schools", "sum"), participants=("participants", "sum")).reset_index()
    procs = _procedure_order(tot["procedure"])
    disp = pd.DataFrame({"procedure": procs})
    for y in sorted(int(v) for v in tot["year"].unique()):
        vals = []
        for p in procs:
            r = tot[(tot["procedure"] == p) & (tot["year"] == y)]
            vals.append(f"{fmt_int(r['participants'].iloc[0])} уч. / {fmt_int(r['schools'].iloc[0])} шк."
                        if len(r) else "—")
        disp[str(y)] = vals
    parts = [html_table(disp, caption="Участники и школы по процедурам и годам (регион)")]
    cur = part[part["year"] == region.year]
    piv = cur.pivot_table(index="municipality", columns="procedure", values="participants", aggfunc="sum")
    piv = piv[[p for p in _procedure_order(piv.columns)]].reset_index()
    piv.columns = [str(c) for c in piv.columns]
    for c in piv.columns[1:]:
        piv[c] = piv[c].astype("Int64")
    parts.append(html_table(piv, caption=f"Участники по муниципалитетам и процедурам, {region.year} г."))
    return section_html("r-participation", "Участие в оценочных процедурах", "".join(parts))


def regional_distributions_section(region: Any) -> str:
    """Distributions of school results per procedure and year for the region."""
    ss = region.table("school_scores")
    return section_html("r-distributions", "Распределения результатов", _distribution_figure(region, ss, None))


def regional_identified_section(region: Any) -> str:
    """Identified schools per municipality and category."""
    if not region.ok("identify"):
        return section_html("r-identified", "Выявленные школы по муниципалитетам",
                            unavailable_html(region.reason("identify")))
    ident = region.table("identify")
    if "municipality" not in ident.columns:
        ident = ident.assign(municipality=ident["school_id"].astype(str).map(
            region.table("schools").set_index("school_id")["municipality"]))
    if "category" not in ident.columns:
        return section_html("r-identified", "Выявленные школы по муниципалитетам",
                            html_table(ident, max_rows=int(_param(region, "max_table_rows", 60))))
    ct = pd.crosstab(ident["municipality"], ident["category"].astype("string").fillna("не определена"))
    ct = ct.reset_index()
    ct.columns = [str(c) for c in ct.columns]
    return section_html("r-identified", "Выявленные школы по муниципалитетам",
                        html_table(ct, caption="Число школ по категориям"))


def regional_effects_section(region: Any) -> str:
    """Programme effects and the cost–quality summary of the region."""
    eff = effects_section(region, None, sid="r-effects-inner", title="Эффекты программ")
    cost = costs_section(region, None, sid="r-costs-inner", title="Цена и качество")
    return section_html("r-effects", "Эффекты программ и «цена–качество»", eff + cost)


def regional_report_html(region: Any) -> str:
    """The whole regional report body built in Python."""
    return "".join([regional_header(region), regional_summary_section(region), regional_compare_section(region),
                    regional_participation_section(region), regional_distributions_section(region),
                    regional_identified_section(region), regional_effects_section(region),
                    regional_monitoring_section(region), method_annex(region, sid="r-method"), data_quality_annex(region, sid="r-quality"),
                    footer_html(region.meta)])


def collection_html(region: Any, municipalities: Sequence[str] | None = None) -> str:
    """The methodological collection («сборник материалов»): methodology, regional results, every summary."""
    munis = list(municipalities or region.municipalities)
    name = region.meta.get("dataset_name") or "Регион"
    toc = [("c-method", "1. Методика"), ("c-region", "2. Региональные результаты"),
           ("c-munis", "3. Сводки по муниципальным образованиям"), ("c-quality", "4. Качество данных")]
    parts = []
    if region.synthetic:
        parts.append(synthetic_banner(region.meta.get("synthetic_note", "")))
    parts.append(f"<h1>Сборник материалов: поддержка ШНРО и ШНСУ, {esc(name)}, {esc(region.year)} год</h1>")
    parts.append('<p class="subtitle">Методика, региональные результаты и сводки по всем муниципальным '
                 "образованиям.</p>")
    sub_toc = "".join(f'<li><a href="#c-m-{i}">{esc(m)}</a></li>' for i, m in enumerate(munis, 1))
    parts.append(toc_html(toc).replace("</ol></nav>", f"</ol><ol class='sub'>{sub_toc}</ol></nav>"))
    parts.append(method_annex(region, sid="c-method", title="1. Методика"))
    regional = "".join([regional_summary_section(region), regional_compare_section(region),
                        regional_participation_section(region), regional_distributions_section(region),
                        regional_identified_section(region), regional_effects_section(region)])
    regional = regional.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    parts.append(section_html("c-region", "2. Региональные результаты", regional))
    summaries = []
    for i, m in enumerate(munis, 1):
        s = summary_section(region, m, sid=f"c-m-{i}", title=f"3.{i}. {m}")
        summaries.append(s.replace('class="sec"', 'class="sec muni"', 1).replace("<h2>", "<h3>").replace(
            "</h2>", "</h3>"))
    parts.append(section_html("c-munis", "3. Сводки по муниципальным образованиям", "".join(summaries)))
    parts.append(data_quality_annex(region, sid="c-quality", title="4. Качество данных"))
    parts.append(footer_html(region.meta))
    return "".join(parts)


# --------------------------------------------------------------------------- Excel


def municipal_workbook(region: Any, municipality: str, path: Any) -> Any:
    """Excel for one municipality: schools with categories, criteria and indices (atomic write)."""
    from shnro_lib.outputs import write_workbook

    year = region.year
    sch = region.for_municipality("schools", municipality)
    ib = region.table("index_by_year")
    min_n = _min_n(region)
    # small groups: the index of a school-year with fewer than min_n participants is not shown
    ib = ib.copy()
    small = (ib["participants"].fillna(0) < min_n).to_numpy()
    ib.loc[small, ["result_index", "result_index_se"]] = np.nan
    cur = ib[(ib["year"] == year)][["school_id", "result_index", "result_index_se", "participants"]]
    schools = sch.merge(cur, on="school_id", how="left")
    sheets: dict[str, pd.DataFrame] = {"Школы": schools}
    if region.ok("identify"):
        sheets["Идентификация"] = _with_names(region, region.for_municipality("identify", municipality))
    if region.ok("context"):
        sheets["Контекст"] = _with_names(region, region.for_municipality("context", municipality))
    if region.ok("costs"):
        sheets["Цена–качество"] = _with_names(region, region.for_municipality("costs", municipality))
    sub = ib[ib["municipality"] == municipality]
    piv = sub.pivot_table(index="school_id", columns="year", values="result_index", aggfunc="first")
    piv.columns = [f"Индекс {int(c)}" for c in piv.columns]
    sheets["Индексы по годам"] = _with_names(region, piv.reset_index())
    part = region.for_municipality("participation", municipality)
    sheets["Участие"] = part
    crit_cols = [c for df in sheets.values() for c in df.columns if str(c).startswith("crit_")]
    labels = {**LABELS, **{c: f"Критерий: {t}" for c, t in
                           _criterion_titles(region.meta.get("rules", "lo_2018"), crit_cols).items()}}
    note = (f"{municipality}, {year} г. Отпечаток данных: {region.fingerprint}; правила: {region.meta.get('rules')}; "
            f"shnro {__version__}. Индексы школ с числом участников меньше {min_n} не показаны.")
    if region.synthetic:
        note = f"{SYNTHETIC_TEXT}. " + note
    if region.failures:
        note += " Недоступно: " + ", ".join(sorted(region.failures)) + "."
    return write_workbook(sheets, path, notes={k: note for k in sheets}, column_labels=labels)
