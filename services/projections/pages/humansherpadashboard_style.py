"""How the alert dashboard looks: a constant allowed by its hash in the page's
Content-Security-Policy."""

ALERTS_STYLE = """
header.top .live{font-size:12px;padding:2px 10px;border-radius:10px;background:#5a6472;
margin-left:auto;margin-right:16px}
header.top .live[data-state="live"]{background:#2e7d4f}
header.top .live[data-state="reconnecting"]{background:#b26a00}
header.top .live[data-state="closed"]{background:#a8321f}
.alert-list{list-style:none;margin:0;padding:0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px;align-items:start}
.alert{background:#fff;border:1px solid #d3d9e2;border-left:5px solid #e0a030;border-radius:4px;
padding:8px 10px;font-size:12.5px;overflow-wrap:anywhere}
.alert[data-priority="URGENT"]{border-left-color:#c62828}
.alert[data-status="actioned"],.alert[data-status="expired"]{opacity:.7}
.alert .head{display:flex;align-items:center;gap:6px;flex-wrap:wrap;margin-bottom:4px}
.alert .badge{font-weight:700;font-size:11px;padding:1px 7px;border-radius:9px;color:#fff;
background:#e0a030}
.alert[data-priority="URGENT"] .badge{background:#c62828}
.alert .email{font-weight:600;font-size:13px;flex-basis:100%;order:3}
.alert .state{margin-left:auto;font-size:11px;padding:1px 7px;border-radius:9px;
background:#e6eaf0;color:#18263a}
.alert dl{margin:3px 0 0;display:grid;grid-template-columns:auto 1fr;gap:1px 8px}
.alert dt{color:#6a7586}
.alert dd{margin:0}
.alert .clicks{margin:0;padding-left:16px}
.alert .actions{display:flex;gap:8px;margin-top:8px}
.alert .actions button{font:inherit;padding:3px 10px;border-radius:4px;cursor:pointer;
border:1px solid #1f5fbf;background:#fff;color:#1f5fbf}
.alert .actions button.primary{background:#1f5fbf;color:#fff}
.alert .actions button:disabled{opacity:.45;cursor:default}
.alert .error{color:#8a1c12;background:#fdecea;border-radius:3px;padding:3px 6px;margin:6px 0 0}
.alert .error:empty{display:none}
.alert .gone{color:#4a5668;font-style:italic;margin:6px 0 0}
#message:empty{display:none}
"""
