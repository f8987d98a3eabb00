"""The style sheet and the one script of the page besides plotly.js."""

# the one script of the page besides plotly.js: draw every chart from its JSON block
BOOT = """(function () {
  "use strict";
  var config = {displaylogo: false, responsive: true,
                modeBarButtonsToRemove: ["select2d", "lasso2d"]};
  var blocks = document.querySelectorAll("script.chart-data");
  for (var i = 0; i < blocks.length; i++) {
    var fig = JSON.parse(blocks[i].textContent);
    var div = document.getElementById(blocks[i].getAttribute("data-chart"));
    if (div) { Plotly.newPlot(div, fig.data, fig.layout, config); }
  }
})();"""

CSS = """
:root { --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --bg:#f6f7f9; --card:#fff;
  --crit:#c62828; --crit-bg:#fdecea; --warn:#b26a00; --warn-bg:#fff4e0; --ok:#2e7d32;
  --link:#1a56db; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color:var(--fg); background:var(--bg); }
header.top { background:#1d2330; color:#fff; padding:18px 28px 14px; }
header.top h1 { margin:0 0 6px; font-size:20px; font-weight:600; }
header.top h1 .hosts { font-weight:400; color:#cbd5e1; margin-left:6px; }
header.top .meta { margin:0; color:#cbd5e1; font-size:13px; display:flex; flex-wrap:wrap;
  gap:4px 22px; }
header.top .meta b { color:#fff; font-weight:500; }
header.top code { color:#e2e8f0; }
main { max-width:1280px; margin:0 auto; padding:18px 28px 40px; }
h2 { font-size:17px; margin:0 0 8px; }
a { color:var(--link); text-decoration:none; }
a:hover { text-decoration:underline; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:12px 14px; min-width:0; }
.card.wide { grid-column:span 2; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase;
  letter-spacing:.04em; }
.card .value { font-size:26px; font-weight:600; margin:2px 0; font-variant-numeric:tabular-nums; }
.card .value.small { font-size:16px; overflow-wrap:anywhere; margin:8px 0 4px; }
.cmp { font-size:12px; }
.cmp.up { color:var(--crit); } .cmp.down { color:var(--ok); } .cmp.flat { color:var(--fg); }
.muted { color:var(--muted); }
section.incidents, section.report { background:var(--card); border:1px solid var(--line);
  border-radius:8px; padding:16px 18px; margin-top:16px; }
.counts { margin-left:8px; font-size:13px; font-weight:400; }
.badge { display:inline-block; font-size:11px; font-weight:700; letter-spacing:.04em;
  padding:1px 7px; border-radius:10px; color:#fff; vertical-align:1px; }
.badge.crit { background:var(--crit); } .badge.warn { background:var(--warn); }
.badge.none { background:#9ca3af; }
a.badge { color:#fff; text-decoration:none; margin-right:3px; }
ol.incident-list { list-style:none; margin:8px 0 0; padding:0; }
li.incident { display:flex; gap:12px; align-items:flex-start; padding:9px 12px;
  border-left:4px solid; border-radius:4px; margin-bottom:8px; }
li.incident.crit { border-color:var(--crit); background:var(--crit-bg); }
li.incident.warn { border-color:var(--warn); background:var(--warn-bg); }
li.incident .badge { margin-top:2px; min-width:44px; text-align:center; }
li.incident .title { font-weight:500; }
li.incident .subject { overflow-wrap:anywhere; }
li.incident .text { color:#374151; font-size:13px; overflow-wrap:anywhere; }
li.incident .more { font-size:12px; margin-left:6px; }
li.incident:target, tr:target { outline:2px solid var(--link); }
p.ok { color:var(--ok); margin:4px 0 0; }
nav.toc { display:flex; gap:18px; margin:18px 2px 0; font-size:13px; }
p.intro { color:#374151; margin:0 0 6px; max-width:980px; }
p.empty { color:var(--muted); font-style:italic; }
.chart { width:100%; height:340px; }
.scroll { overflow-x:auto; }
table.data { border-collapse:collapse; width:100%; font-size:12.5px; margin-top:6px;
  font-variant-numeric:tabular-nums; }
table.data caption { caption-side:bottom; text-align:left; color:var(--muted); padding-top:4px; }
table.data th { text-align:left; font-weight:600; color:#374151; border-bottom:2px solid var(--line);
  padding:5px 8px; white-space:nowrap; }
table.data td { border-bottom:1px solid var(--line); padding:5px 8px; vertical-align:top;
  overflow-wrap:break-word; max-width:360px; }
table.data .r { text-align:right; white-space:nowrap; }
table.data .t { white-space:nowrap; }
table.data .item { white-space:nowrap; }
table.data td.flag { width:1%; white-space:nowrap; padding-right:0; }
tr.crit td:first-child { box-shadow:inset 3px 0 var(--crit); }
tr.warn td:first-child { box-shadow:inset 3px 0 var(--warn); }
tr.crit { background:#fff8f7; } tr.warn { background:#fffcf5; }
footer { color:var(--muted); font-size:12px; margin-top:20px; }
"""
