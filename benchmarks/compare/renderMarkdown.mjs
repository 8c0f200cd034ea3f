/**
 * Markdown view of a comparison result (see run.mjs): machine, parameters, then per size and
 * thread count one table of steps with wall and CPU seconds of both tools and their ratios.
 */

const STEPS = ['read', 'qc', 'normalize', 'hvg', 'pca', 'knn', 'cluster', 'umap', 'markers', 'association', 'total'];

/** Number with 2 significant decimals below 10, 1 above; '-' for missing. */
function fmt(x, digits) {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  if (digits !== undefined) return x.toFixed(digits);
  return x < 10 ? x.toFixed(2) : x.toFixed(1);
}

/**
 * @param {object} results the object run.mjs writes as JSON
 * @returns {string} Markdown
 */
export function renderMarkdown(results) {
  const m = results.machine;
  const out = [];
  out.push(`# cqamine vs scran.js — ${results.date.slice(0, 10)}`, '');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.totalMemGb} GB, Node ${m.node} (${m.platform}), host ${m.hostname}.`);
  out.push(`Versions: ${Object.entries(results.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out.push(`Options: sizes ${results.options.sizes.join(', ')}; repetitions ${results.options.reps} (sizes <= 20k), ${results.options.repsLarge} above; threads ${results.options.threads.join(', ')}; timeout ${results.options.timeoutMin} min per child; \`cqamine run\` timed: ${results.options.cliTimed ? 'yes' : 'no (subcommand not available)'}.`, '');
  out.push('Parameters:', '');
  for (const [k, v] of Object.entries(results.params)) out.push(`- ${k}: ${v}`);
  out.push('', 'Seconds are medians over repetitions: wall clock, and CPU (user + system of all threads, which stays meaningful when the machine is shared). Ratio = cqamine / scran.js (< 1: cqamine faster). Peak RSS from `/usr/bin/time -v` (scran.js includes its WebAssembly heap).', '');
  for (const e of Object.values(results.summary)) {
    const c = e.tools.cqamine;
    const s = e.tools.scranjs;
    const cli = e.tools['cqamine-cli'];
    const ds = results.datasets[e.size];
    out.push(`## ${e.size} (${ds.cells} cells, ${ds.lots} lots), ${e.threads} thread${e.threads > 1 ? 's' : ''}`, '');
    const status = (t) => (t ? (t.status === 'ok' ? `ok, ${t.reps} rep${t.reps > 1 ? 's' : ''}` : t.status) : 'not run');
    out.push(`cqamine: ${status(c)}; scran.js: ${status(s)}${cli ? `; cqamine run (CLI): ${status(cli)}` : ''}.`, '');
    out.push('| step | cqamine wall s | scran.js wall s | ratio wall | cqamine CPU s | scran.js CPU s | ratio CPU |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const step of STEPS) {
      const cw = step === 'total' ? c?.total : c?.steps?.[step];
      const sw = step === 'total' ? s?.total : s?.steps?.[step];
      const cc = step === 'total' ? c?.totalCpu : c?.cpu?.[step];
      const sc = step === 'total' ? s?.totalCpu : s?.cpu?.[step];
      if (cw === undefined && sw === undefined) continue;
      out.push(`| ${step === 'total' ? '**sum of steps**' : step} | ${fmt(cw)} | ${fmt(sw)} | ${fmt(e.ratio[step], 2)} | ${fmt(cc)} | ${fmt(sc)} | ${fmt(e.ratioCpu[step], 2)} |`);
    }
    if (cli?.total !== undefined) out.push(`| cqamine run (CLI, whole process) | ${fmt(cli.total)} | | | ${fmt(cli.totalCpu)} | | |`);
    out.push('');
    const rss = (t) => (t?.peakRssMb ? `${Math.round(t.peakRssMb)} MB` : '-');
    out.push(`Peak RSS: cqamine ${rss(c)}${cli ? ` (CLI run ${rss(cli)})` : ''}, scran.js ${rss(s)}${s?.wasmHeapMb ? ` (Wasm heap ${Math.round(s.wasmHeapMb)} MB)` : ''}.`);
    out.push(`Cells kept: cqamine ${c?.cellsKept ?? '-'}, scran.js ${s?.cellsKept ?? '-'}; clusters: cqamine ${c?.nClusters ?? '-'}, scran.js ${s?.nClusters ?? '-'}; kNN: cqamine ${c?.knnMethod ?? '-'}, scran.js ${s?.knnMethod ?? '-'}. Load average during the runs (1 min, median): cqamine ${fmt(c?.loadavg, 1)}, scran.js ${fmt(s?.loadavg, 1)}.`);
    const ag = e.agreement;
    if (ag && Object.keys(ag).length) {
      out.push(`Agreement (ARI): ${Object.entries(ag).map(([k, v]) => `${k} ${v.ari.toFixed(4)} (${v.cells} cells)`).join('; ')}.`);
    }
    const ti = ds.threadInvariance;
    if (ti) out.push(`cqamine outputs identical across thread counts: ${Object.entries(ti).map(([k, v]) => `${k} ${v ? 'yes' : 'NO'}`).join(', ')}.`);
    const failed = results.runs.filter((r) => r.size === e.size && r.threads === e.threads && r.status !== 'ok');
    for (const f of failed) out.push(`- ${f.tool} rep ${f.rep + 1}: ${f.status}${f.error ? ` — \`${f.error.split('\n').pop().slice(0, 160)}\`` : ''}`);
    out.push('');
  }
  return out.join('\n');
}
