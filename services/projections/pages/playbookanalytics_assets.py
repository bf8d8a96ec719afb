"""What the browser runs and how the page looks: constants allowed by hash in the page's
Content-Security-Policy."""

PAGE_STYLE = """
.analytics-main{padding:10px 16px 24px;max-width:1100px}
table.playbooks{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d3d9e2}
table.playbooks th,table.playbooks td{padding:4px 10px;border-bottom:1px solid #e1e6ed;
text-align:right;white-space:nowrap}
table.playbooks th:first-child,table.playbooks td:first-child{text-align:left;
white-space:normal;overflow-wrap:anywhere}
table.playbooks thead th{background:#e6eaf0;font-size:12.5px}
table.playbooks thead th a{color:#18263a;text-decoration:none}
table.playbooks thead th[aria-sort] a{text-decoration:underline}
table.playbooks tbody.playbook tr.total{background:#f6f8fb;font-weight:600}
table.playbooks tbody.playbook tr.variation td:first-child{padding-left:26px;color:#4a5668}
.actions{margin:0 0 8px}
.empty{color:#6a7586}
"""
