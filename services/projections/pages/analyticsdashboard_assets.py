"""How the analytics page looks: a constant allowed by hash in the page's CSP."""

PAGE_STYLE = """
.analytics-grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px;
align-items:start}
.analytics-grid section{background:#fff;border:1px solid #d3d9e2;border-radius:6px;
padding:8px 12px;min-width:0}
.analytics-grid h2{font-size:15px;margin:2px 0 4px}
.analytics-grid .note{color:#4a5668;font-size:12px;margin:0 0 6px}
.analytics-grid .csv{float:right;font-size:12px;font-weight:normal}
svg.chart{display:block;max-width:100%;height:auto;margin:4px 0 8px}
table.figures{border-collapse:collapse;width:100%;font-size:12.5px}
table.figures th,table.figures td{padding:3px 8px;border-bottom:1px solid #e1e6ed;
text-align:right;white-space:nowrap}
table.figures th:first-child,table.figures td:first-child{text-align:left;white-space:normal;
overflow-wrap:anywhere}
table.figures thead th{background:#e6eaf0}
table.figures tr.overall{font-weight:600;background:#f6f8fb}
form.filters input[type=number]{min-width:80px;width:90px}
@media (max-width:1000px){.analytics-grid{grid-template-columns:1fr}}
"""
