import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../src/report/escapeHtml.js';
import { formatNumber } from '../../../src/report/formatNumber.js';
import { formatPValue } from '../../../src/report/formatPValue.js';
import { renderTable } from '../../../src/report/renderTable.js';

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml('<script>&"\'')).toBe('&lt;script&gt;&amp;&quot;&#39;');
    expect(escapeHtml('CD44 & THY1')).toBe('CD44 &amp; THY1');
    expect(escapeHtml('plain')).toBe('plain');
  });
});

describe('formatNumber', () => {
  it('prints integers exactly with thousands separators', () => {
    expect(formatNumber(3000)).toBe('3,000');
    expect(formatNumber(-1234567)).toBe('-1,234,567');
    expect(formatNumber(999)).toBe('999');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0)).toBe('0');
  });
  it('prints other values with 3 significant digits, scientific below 1e-3 and from 1e6', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(12.3456)).toBe('12.3');
    expect(formatNumber(1234.5)).toBe('1,235');
    expect(formatNumber(0.001)).toBe('0.00100');
    expect(formatNumber(2.5e-5)).toBe('2.50e-5');
    expect(formatNumber(1234567.8)).toBe('1.23e6');
    expect(formatNumber(NaN)).toBe('NA');
    expect(formatNumber(-Infinity)).toBe('-Inf');
  });
});

describe('formatPValue', () => {
  it('uses 3 significant digits and scientific form below 1e-3', () => {
    expect(formatPValue(0.04321)).toBe('0.0432');
    expect(formatPValue(0.05)).toBe('0.05');
    expect(formatPValue(0.0010004)).toBe('0.001');
    expect(formatPValue(0.00099949)).toBe('9.99e-4');
    expect(formatPValue(1.234e-8)).toBe('1.23e-8');
    expect(formatPValue(1)).toBe('1');
    expect(formatPValue(0)).toBe('0');
    expect(formatPValue(NaN)).toBe('NA');
  });
});

describe('renderTable', () => {
  it('escapes strings, formats numbers, right-aligns numeric columns and uses the p format for p columns', () => {
    const html = renderTable({
      columns: ['lot', 'kept', 'pval', 'note'],
      rows: [['<b>A</b>', 12345, 0.000012345, null], ['B', 7, 0.5, 'ok']],
    });
    expect(html).toContain('<td>&lt;b&gt;A&lt;/b&gt;</td>');
    expect(html).toContain('<td class="num">12,345</td>');
    expect(html).toContain('<td class="num">1.23e-5</td>');
    expect(html).toContain('<th scope="col" class="num">kept</th>');
    expect(html).toContain('<th scope="col">note</th>');
    expect(html.match(/<tr>/g)?.length).toBe(3);
    expect(html).not.toContain('<b>');
  });
  it('shows the empty text instead of a table with no rows', () => {
    const html = renderTable({ columns: ['a'], rows: [] }, { emptyText: 'Nothing & none' });
    expect(html).toBe('<p class="empty">Nothing &amp; none</p>');
  });
});
