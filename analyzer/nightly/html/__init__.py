"""The nightly page: one self-contained HTML string from a `nightly.Report`.

The modules: `page` (the document, its head and Content-Security-Policy), `summary`
(header, headline cards, incident list, footer), `sections` (one section per report),
`tables` (the tables and their cells), `figures` (the charts as JSON), `escape` (text
and JSON made safe), `assets` (the style sheet and the one boot script).

No I/O here besides reading plotly.js from the installed plotly package: the caller
writes the string. The page needs no network: plotly.js is inlined once, each chart's
figure is a JSON block drawn by one small script.

Log lines are attacker-controlled, so the page is built with one discipline:

- every piece of text that is not a literal of this package goes through `esc`
  (`html.escape`, quotes included) — cells, incident subjects, reasons, titles;
- attribute values and link targets are made here (`senders-3`), never from log text;
  there is no `href` built from data, so no `javascript:` URL can come from a log;
- chart hover texts, legend names and labels are escaped by `analyzer.render.charts` (plotly
  renders a subset of HTML in them); the figure JSON is embedded in a non-executed
  `<script type="application/json">` with `<`, `>`, `&`, U+2028/9 as `\\uXXXX`
  escapes, so neither `</script>` nor `<!--` can appear inside it;
- a Content-Security-Policy allows only the page's own two scripts (by hash): were a
  payload ever to slip through, the browser would still refuse to run it.
"""

from .escape import embed_json, esc
from .page import render

__all__ = ["embed_json", "esc", "render"]
