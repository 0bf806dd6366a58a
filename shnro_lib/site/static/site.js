/* shnro report site: search, sortable / filterable / foldable tables, CSV, links to school pages.
   One shared file for every page of a report folder; no network, no innerHTML with data. */
(function () {
  "use strict";
  var FOLD = 25;
  var me = document.currentScript;
  var ROOT = me ? me.src.replace(/site\/site\.js(\?.*)?$/, "") : "";
  var NAME_HEAD = /^(школа|название|наименование|образовательная организация|похожая школа|похожая по контексту школа|школа-лидер|предлагаемая школа-лидер|школа-партн[её]р)$/i;
  var CODE_HEAD = /^код оо$/i;

  function norm(s) { return String(s || "").toLowerCase().replace(/ё/g, "е").replace(/\s+/g, " ").trim(); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) { if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]); }
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function schools() { return Array.isArray(window.SHNRO_SCHOOLS) ? window.SHNRO_SCHOOLS : []; }
  function href(rel) { return rel ? ROOT + rel : ""; }

  /* ------------------------------------------------------------ numbers as numbers */
  function num(text) {
    var t = String(text).replace(/[\s\u00a0\u202f\u2009]/g, "").replace(/\u2212/g, "-").replace(",", ".");
    var m = /^[-+]?\d+(\.\d+)?/.exec(t);
    return m ? parseFloat(m[0]) : null;
  }
  function isMissing(text) { var t = String(text).trim(); return t === "" || t === "—" || /^не оценено/i.test(t); }

  /* ------------------------------------------------------------ search */
  function initSearch(input) {
    var out = document.getElementById(input.getAttribute("data-site-search"));
    var count = document.getElementById(input.getAttribute("data-site-count"));
    var data = schools().map(function (s) {
      return { s: s, hay: norm([s.c, s.n, s.l, s.m, s.t || ""].join(" ")) };
    });
    function render() {
      var q = norm(input.value);
      while (out.firstChild) out.removeChild(out.firstChild);
      if (!q) { count.textContent = ""; return; }
      var words = q.split(" ");
      var hits = data.filter(function (d) {
        return words.every(function (w) { return d.hay.indexOf(w) >= 0; });
      });
      // an exact code comes first
      hits.sort(function (a, b) { return (b.s.c === q) - (a.s.c === q); });
      count.textContent = hits.length ? "Найдено школ: " + hits.length + (hits.length > 50 ? " (показаны первые 50)" : "")
        : "Ничего не найдено";
      hits.slice(0, 50).forEach(function (d) {
        var s = d.s, li = el("li", { "class": "site-hit" });
        li.appendChild(s.h ? el("a", { href: href(s.h), "class": "site-hit-name" }, s.n) : el("span", {}, s.n));
        li.appendChild(el("span", { "class": "site-hit-meta" },
          " · код ОО " + s.c + " · " + (s.l ? s.l + ", " : "") + s.m + " · " + s.k + " · "));
        if (s.r) li.appendChild(el("a", { href: href(s.r) }, "отчёт муниципалитета"));
        out.appendChild(li);
      });
    }
    input.addEventListener("input", render);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        var a = out.querySelector("a.site-hit-name");
        if (a) window.location.href = a.href;
      }
    });
    render();
  }

  /* ------------------------------------------------------------ tables */
  function headRow(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    return rows.length ? rows[rows.length - 1] : null;
  }
  function cellText(row, i) { var c = row.cells[i]; return c ? c.textContent.trim() : ""; }
  function findCol(head, re) {
    for (var i = 0; i < head.cells.length; i++) { if (re.test(head.cells[i].textContent.trim())) return i; }
    return -1;
  }

  // a school's name column, and its code column just before it («Код ОО» · «Школа», «Код школы-лидера» · «Школа-лидер»)
  function nameColumns(head) {
    var out = [];
    for (var i = 0; i < head.cells.length; i++) {
      if (!NAME_HEAD.test(head.cells[i].textContent.trim())) continue;
      var prev = i > 0 ? head.cells[i - 1].textContent.trim() : "";
      out.push({ name: i, code: /^код/i.test(prev) ? i - 1 : -1 });
    }
    return out;
  }

  function linkSchools(table, head, rows) {
    var byCode = {}, byName = {}, count = {};
    schools().forEach(function (s) {
      byCode[s.c] = s;
      var k = norm(s.n);
      count[k] = (count[k] || 0) + 1;
      byName[k] = s;
    });
    var cols = nameColumns(head);
    cols.forEach(function (col) {
      rows.forEach(function (r) {
        var c = r.cells[col.name];
        if (!c || c.querySelector("a")) return;
        var s = col.code >= 0 ? byCode[cellText(r, col.code)] : null;
        if (!s) { var k = norm(c.textContent); s = count[k] === 1 ? byName[k] : null; }
        if (!s || !s.h) return;
        var a = el("a", { href: href(s.h), "class": "site-school" });
        while (c.firstChild) a.appendChild(c.firstChild);
        c.appendChild(a);
      });
    });
    return cols.length > 0;
  }

  function csvField(t) { return /[";\n\r]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t; }

  function enhance(table, n) {
    var head = headRow(table), body = table.tBodies[0];
    if (!head || !body || table.hasAttribute("data-site-plain")) return;
    var rows = Array.prototype.slice.call(body.rows);
    for (var i = 0; i < rows.length; i++) {
      for (var j = 0; j < rows[i].cells.length; j++) { if (rows[i].cells[j].rowSpan > 1) return; }
    }
    var isSchools = linkSchools(table, head, rows) || findCol(head, CODE_HEAD) >= 0;
    if (!isSchools && rows.length <= 10) return;
    table.classList.add("site-table");
    var tools = el("div", { "class": "site-tools" });
    var filter = el("input", { type: "search", "class": "site-filter", placeholder: "Найти в таблице…",
      "aria-label": "Фильтр строк таблицы" });
    var shown = el("span", { "class": "site-count", "aria-live": "polite" });
    var csv = el("button", { type: "button", "class": "site-csv" }, "Скачать CSV");
    tools.appendChild(filter); tools.appendChild(shown); tools.appendChild(csv);
    var fold = null, folded = rows.length > FOLD;
    if (folded) { fold = el("button", { type: "button", "class": "site-fold" }); }
    // right above the table, under its caption
    table.parentNode.insertBefore(tools, table);
    if (fold) table.parentNode.insertBefore(fold, table.nextSibling);

    function apply() {
      var q = norm(filter.value), k = 0, match = 0;
      rows.forEach(function (r) {
        var ok = !q || norm(r.textContent).indexOf(q) >= 0;
        if (ok) match++;
        var hide = !ok || (folded && !q && k >= FOLD);
        if (ok) k++;
        r.classList.toggle("site-hidden", hide);
      });
      var vis = folded && !q ? Math.min(match, FOLD) : match;
      shown.textContent = "Показано строк: " + vis + " из " + rows.length;
      if (fold) {
        fold.hidden = !!q;
        fold.textContent = folded ? "показать все (" + rows.length + ")" : "свернуть";
      }
    }
    filter.addEventListener("input", apply);
    if (fold) fold.addEventListener("click", function () { folded = !folded; apply(); });

    Array.prototype.forEach.call(head.cells, function (th, col) {
      if (th.colSpan > 1) return;
      th.classList.add("site-sortable");
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "Сортировать");
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(head.cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var vals = rows.map(function (r, i) { var t = cellText(r, col); return { r: r, i: i, t: t, v: num(t), m: isMissing(t) }; });
        var present = vals.filter(function (x) { return !x.m; });
        var numeric = present.length > 0 && present.every(function (x) { return x.v !== null; });
        vals.sort(function (a, b) {
          if (a.m !== b.m) return a.m ? 1 : -1; // «—» last in both directions
          if (a.m) return a.i - b.i;
          var c = numeric ? a.v - b.v : a.t.localeCompare(b.t, "ru", { numeric: true });
          return c ? dir * c : a.i - b.i;
        });
        rows = vals.map(function (x) { return x.r; });
        rows.forEach(function (r) { body.appendChild(r); });
        apply();
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });

    csv.addEventListener("click", function () {
      var q = norm(filter.value);
      var lines = [Array.prototype.map.call(head.cells, function (c) { return csvField(c.textContent.trim()); }).join(";")];
      rows.forEach(function (r) {
        if (q && norm(r.textContent).indexOf(q) < 0) return;
        lines.push(Array.prototype.map.call(r.cells, function (c) { return csvField(c.textContent.trim()); }).join(";"));
      });
      var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
      var a = el("a", { href: URL.createObjectURL(blob), download: (document.body.getAttribute("data-site-name") || "table") + "-" + n + ".csv" });
      document.body.appendChild(a); a.click(); document.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
    });
    apply();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-site-search]"), initSearch);
    Array.prototype.forEach.call(document.querySelectorAll("table"), function (t, i) { enhance(t, i + 1); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
