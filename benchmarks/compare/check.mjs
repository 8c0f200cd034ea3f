/**
 * Regression check between two comparison results written by run.mjs:
 *
 *   node benchmarks/compare/check.mjs benchmarks/results/A.json benchmarks/results/B.json
 *        [--threshold 0.2] [--metric wall|cpu] [--min-seconds 0.5] [--tool cqamine]
 *
 * For every (size, threads, tool, step) present in both, B is flagged when it is more than
 * `threshold` (20%) slower than A and the difference exceeds `min-seconds` (tiny steps are all
 * noise). A run that was ok in A but not in B (timeout, heap exhausted, failed) is flagged too.
 * Exit code 1 when anything is flagged, 0 otherwise, 2 on bad arguments.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    threshold: { type: 'string', default: '0.2' },
    metric: { type: 'string', default: 'wall' },
    'min-seconds': { type: 'string', default: '0.5' },
    tool: { type: 'string' },
  },
});
if (positionals.length !== 2 || !['wall', 'cpu'].includes(opt.metric)) {
  console.error('usage: check.mjs A.json B.json [--threshold 0.2] [--metric wall|cpu] [--min-seconds 0.5] [--tool cqamine]');
  process.exit(2);
}
const threshold = Number(opt.threshold);
const minSeconds = Number(opt['min-seconds']);
const [a, b] = positionals.map((p) => JSON.parse(readFileSync(p, 'utf8')));

const rows = [];
let flagged = 0;
for (const [key, eb] of Object.entries(b.summary)) {
  const ea = a.summary[key];
  if (!ea) continue;
  for (const [tool, tb] of Object.entries(eb.tools)) {
    if (opt.tool && tool !== opt.tool) continue;
    const ta = ea.tools[tool];
    if (!ta) continue;
    if (ta.status === 'ok' && tb.status !== 'ok') {
      rows.push({ key, tool, step: '(run)', a: 'ok', b: tb.status, change: '', flag: true });
      flagged++;
      continue;
    }
    const pick = (t) => {
      const m = opt.metric === 'cpu' ? { ...t.cpu, total: t.totalCpu } : { ...t.steps, total: t.total };
      delete m.init;
      return m;
    };
    const sa = pick(ta);
    const sb = pick(tb);
    for (const step of Object.keys(sb)) {
      const x = sa[step];
      const y = sb[step];
      if (typeof x !== 'number' || typeof y !== 'number') continue;
      const change = x > 0 ? y / x - 1 : 0;
      const flag = change > threshold && y - x > minSeconds;
      if (flag) flagged++;
      rows.push({ key, tool, step, a: x.toFixed(2), b: y.toFixed(2), change: `${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)}%`, flag });
    }
  }
}
const w = [14, 12, 12, 10, 10, 8];
const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join(' ');
console.log(line(['size/threads', 'tool', 'step', `A ${opt.metric} s`, `B ${opt.metric} s`, 'change']));
for (const r of rows) console.log(line([r.key, r.tool, r.step, r.a, r.b, r.change]) + (r.flag ? '  SLOWER' : ''));
if (rows.length === 0) console.log('no (size, threads, tool) in common between the two files');
console.log(flagged ? `${flagged} step(s) more than ${Math.round(threshold * 100)}% slower` : `no step more than ${Math.round(threshold * 100)}% slower`);
process.exit(flagged ? 1 : 0);
