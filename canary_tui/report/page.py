"""The HTML report's look: one inline stylesheet (system fonts, no images, no script), print-friendly."""

CSS = """
:root{--fg:#1f2328;--mut:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;
--warn:#9a6700;--can:#d9480f;--sta:#1c7ed6;--nod:#8250df}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;
border-bottom:1px solid var(--line)}h3{font-size:15px;margin:22px 0 4px}
.sub{color:var(--mut);margin:0 0 14px;font-size:13px}.sub b{color:var(--fg);font-weight:600}
.sub span{margin-right:16px;white-space:nowrap;display:inline-block}
.banner{border-left:6px solid var(--mut);background:var(--soft);padding:10px 14px;margin:12px 0 18px}
.banner.ok{border-color:var(--ok)}.banner.bad{border-color:var(--bad)}.banner.warn{border-color:var(--warn)}
.banner b{font-size:17px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;border-top:4px solid var(--line)}
.card .l{color:var(--mut);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:22px;font-weight:650;margin:2px 0;overflow-wrap:anywhere}
.card .n{color:var(--mut);font-size:12px;overflow-wrap:anywhere}
.card.ok{border-top-color:var(--ok)}.card.bad{border-top-color:var(--bad)}.card.warn{border-top-color:#d4a72c}
.card.ok .v{color:var(--ok)}.card.bad .v{color:var(--bad)}.card.warn .v{color:var(--warn)}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums;color:var(--mut)}
td.why{overflow-wrap:anywhere}td.nw{white-space:nowrap}
.k{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;background:var(--soft);
border:1px solid var(--line)}
.k.promote,.k.pass,.k.Promoted{color:var(--ok);border-color:#8fd19e}.k.rollback,.k.fail,.k.RolledBack,
.k.error{color:var(--bad);border-color:#f5a3a3}.k.refused,.k.warn,.k.Incomplete{color:var(--warn);
border-color:#e7c56b}.k.nodata{color:var(--nod);border-color:#c8b3f5}.k.phase{color:var(--sta)}
.k.action{color:#6f42c1}
figure{margin:16px 0 22px}figcaption{font-size:13px;color:var(--mut);margin-top:2px}
figcaption b{color:var(--fg)}
.lg{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin:0 4px 0 10px}
.lg.c{border-color:var(--can)}.lg.s{border-color:var(--sta)}.lg.f{border-top:2px dashed var(--bad)}
.lg.w{border-top:2px dashed #d4a72c}.lg.r{border-top:2px dotted var(--bad)}
.lg.h{border-color:#2da44e}
svg.chart{width:100%;height:auto;display:block;font:11px system-ui,sans-serif}
svg .frame{fill:none;stroke:var(--line)}svg .grid{stroke:#eaeef2}svg .band{fill:#f3f6f9}
svg .pb{stroke:#8c959f;stroke-dasharray:2 3}svg .pl{fill:var(--mut);font-weight:600}
svg .ax{fill:var(--mut)}svg .lc{fill:none;stroke:var(--can);stroke-width:1.6;stroke-linejoin:round}
svg .ls{fill:none;stroke:var(--sta);stroke-width:1.3;stroke-linejoin:round}
svg .lh{fill:none;stroke:#2da44e;stroke-width:1.6}svg .lr{fill:none;stroke:var(--bad);stroke-width:1;
stroke-dasharray:1 3}svg .tf{fill:none;stroke:var(--bad);stroke-width:1.2;stroke-dasharray:6 4}
svg .tw{fill:none;stroke:#d4a72c;stroke-width:1.2;stroke-dasharray:6 4}
svg .inf{stroke:none}svg .lc.inf{fill:var(--can)}svg .ls.inf{fill:var(--sta)}
svg .sf{fill:var(--bad)}svg .sw{fill:#d4a72c}svg .sn{fill:var(--nod)}svg .sp{fill:#eef6ee}
svg .mr{stroke:var(--bad);stroke-width:2}svg .mp{stroke:var(--ok);stroke-width:2}
svg .mi{stroke:var(--warn);stroke-width:2}svg .held{fill:#d4a72c;opacity:.75}
svg .p0{fill:#dbeafe}svg .p1{fill:#bfdbfe}svg .p2{fill:#93c5fd}svg .p3{fill:#60a5fa}
svg .bl{fill:#0b2545;font-weight:600}
.notes{background:#fff8c5;border:1px solid #e7c56b;border-radius:6px;padding:8px 14px;font-size:13.5px}
.notes li{margin:2px 0}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:12px;overflow-x:auto;
font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
footer{color:var(--mut);font-size:12px;margin-top:40px}
@media print{main{max-width:none;padding:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
"""
