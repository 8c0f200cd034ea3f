/**
 * The report's stylesheet, inlined into `<style>` (no external files). System font stack only, so
 * nothing is fetched; SVG marks are styled here rather than per element to keep the plots small.
 */

/** CSS of the HTML report. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { padding: 20px 32px 8px; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 8px; font-size: 24px; }
h2 { margin: 32px 0 12px; font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 18px 0 8px; font-size: 15px; }
nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
main, footer { padding: 0 32px; max-width: 1400px; }
footer { margin: 24px 0 32px; color: var(--muted); }
.lede { font-size: 15px; }
.notes { margin: 8px 0; padding-left: 20px; }
.note, .empty { color: var(--muted); font-style: italic; }
table.data { border-collapse: collapse; margin: 4px 0 12px; font-size: 13px; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.data th { background: var(--bg-alt); font-weight: 600; }
table.data tbody tr:nth-child(even) { background: #fbfcfd; }
table.data .num { text-align: right; }
table.data caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
.table-wrap { overflow-x: auto; }
figure { margin: 8px 0 20px; }
figcaption { max-width: 820px; color: var(--muted); font-size: 13px; margin-top: 4px; }
.fig-row { display: flex; flex-wrap: wrap; gap: 8px 32px; }
.fig-row figure { flex: 0 1 auto; min-width: 0; }
svg.plot { display: block; max-width: 100%; height: auto; font-size: 11px; }
svg.plot text { fill: var(--fg); }
svg.plot .axis path { stroke: #57606a; fill: none; }
svg.plot .axis text { fill: var(--muted); }
svg.plot .axis-title, svg.plot .legend-title, svg.plot .annot-title { font-weight: 600; fill: var(--fg); }
svg.plot .frame { fill: none; stroke: var(--line); }
svg.plot .guide { stroke: #eaeef2; }
svg.plot .fit { stroke: #24292f; stroke-width: 1.5; stroke-dasharray: 6 4; fill: none; }
svg.plot .pt { stroke: #24292f; stroke-width: 0.8; }
svg.plot .seg { stroke: #fff; stroke-width: 0.5; }
svg.plot .annot { font-size: 10.5px; fill: var(--fg); }
svg.plot .panel-title { font-size: 13px; font-weight: 600; }
svg.plot .panel-sub { font-size: 11.5px; fill: var(--muted); }
pre { background: var(--bg-alt); border: 1px solid var(--line); padding: 12px; overflow: auto; max-height: 480px; font-size: 12px; }
@media print { nav { display: none; } pre { max-height: none; } }
`;
