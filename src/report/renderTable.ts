/**
 * HTML tables from {@link ReportTable}: every string escaped, numbers formatted and right-aligned,
 * p-value columns (recognized by name) in the p-value format.
 */
import type { ReportTable } from './reportData.js';
import { escapeHtml } from './escapeHtml.js';
import { formatNumber } from './formatNumber.js';
import { formatPValue } from './formatPValue.js';

/** Options of {@link renderTable}. */
export interface RenderTableOptions {
  /** Text of the `<caption>`; omitted when empty. @default '' */
  caption: string;
  /** CSS class of the `<table>`. @default 'data' */
  className: string;
  /** Shown instead of the table when it has no rows. @default 'No rows.' */
  emptyText: string;
}

// Column names that hold p-values or adjusted p-values (cqa_candidates.tsv, markers tables).
const P_COLUMN = /^(p|pval|p_val|pvalue|p_value|padj|p_adj|pval_adj|p_val_adj|fdr|qval|q_value|qvalue)$/i;

/** Formats one cell; `pColumn` selects the p-value format for numbers. */
function formatCell(v: string | number | null, pColumn: boolean): { text: string; numeric: boolean } {
  if (v === null || v === undefined) return { text: '', numeric: false };
  if (typeof v === 'number') return { text: pColumn ? formatPValue(v) : formatNumber(v), numeric: true };
  return { text: escapeHtml(v), numeric: false };
}

/**
 * Renders `table` as an HTML `<table>` with a header row.
 * @param table Columns and row-major cells (strings are escaped, `null` is an empty cell).
 * @param options Caption, class and empty-table text.
 * @returns The HTML fragment, or a `<p class="empty">` when there are no rows.
 * @example renderTable({ columns: ['lot', 'kept'], rows: [['A', 1200]] }, { caption: 'QC' })
 */
export function renderTable(table: ReportTable, options: Partial<RenderTableOptions> = {}): string {
  const o: RenderTableOptions = { caption: '', className: 'data', emptyText: 'No rows.', ...options };
  if (table.rows.length === 0) return `<p class="empty">${escapeHtml(o.emptyText)}</p>`;
  const nCol = table.columns.length;
  const pCols = table.columns.map((c) => P_COLUMN.test(c));
  // A column is right-aligned (and its header too) when all its non-empty cells are numbers.
  const numericCol = new Array<boolean>(nCol).fill(true);
  for (const row of table.rows) {
    for (let c = 0; c < nCol; c++) if (row[c] !== null && row[c] !== undefined && typeof row[c] !== 'number') numericCol[c] = false;
  }
  // The wrapper scrolls wide tables sideways instead of widening the page.
  const parts: string[] = [`<div class="table-wrap"><table class="${escapeHtml(o.className)}">`];
  if (o.caption) parts.push(`<caption>${escapeHtml(o.caption)}</caption>`);
  parts.push('<thead><tr>');
  for (let c = 0; c < nCol; c++) {
    parts.push(`<th scope="col"${numericCol[c] ? ' class="num"' : ''}>${escapeHtml(table.columns[c])}</th>`);
  }
  parts.push('</tr></thead><tbody>');
  for (const row of table.rows) {
    parts.push('<tr>');
    for (let c = 0; c < nCol; c++) {
      const { text, numeric } = formatCell(c < row.length ? row[c] : null, pCols[c]);
      parts.push(numeric ? `<td class="num">${text}</td>` : `<td>${text}</td>`);
    }
    parts.push('</tr>');
  }
  parts.push('</tbody></table></div>');
  return parts.join('');
}
