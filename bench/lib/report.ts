/**
 * Presenting sections: a plain-text table for the terminal and the Markdown of docs/benchmarks.md.
 * Each section in the document sits between markers, so a run of one benchmark (`--only`) replaces its
 * own section and keeps the others as they were measured.
 */
import type { BenchRow, BenchSection } from '../section.js';

/** A number with as many digits as its size deserves. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a > 0 && a < 0.001) return x.toExponential(1);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 3 : 4;
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: a >= 100 ? 0 : Math.min(digits, 2) });
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

function cells(r: BenchRow): string[] {
  return [
    r.metric,
    `${num(r.value)} ${r.unit}`,
    pct(r.spread),
    r.reference ? `${r.reference.name}: ${num(r.reference.value)}` : '-',
    r.ratio === null ? '-' : `${num(r.ratio)}x`,
    r.goal ?? '-',
    r.met === undefined ? '-' : r.met ? 'met' : 'NOT met',
  ];
}

const HEAD = ['metric', 'value (median)', 'spread', 'reference (median, same run)', 'ratio', 'goal', 'met?'];

export function sectionText(s: BenchSection): string {
  const table = [HEAD, ...s.rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.min(70, Math.max(...table.map((r) => r[i].length))));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [
    `== ${s.title} [${s.id}]`,
    line(table[0]),
    ...table.slice(1).map(line),
    ...(s.notes ?? []).map((n) => `  note: ${n}`),
    `  reproduce: ${s.command}`,
  ].join('\n');
}

export function printSection(s: BenchSection): void {
  process.stdout.write(`${sectionText(s)}\n\n`);
}

const esc = (s: string): string => s.replace(/\|/g, '\\|');

export function sectionMarkdown(s: BenchSection, measured: string): string {
  const rows = s.rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`);
  return [
    `<!-- bench:${s.id} start -->`,
    `## ${s.title}`,
    '',
    `Measured ${measured}. Reproduce: \`${s.command}\``,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows,
    '',
    ...(s.notes ?? []).map((n) => `- ${n}`),
    `<!-- bench:${s.id} end -->`,
  ].join('\n');
}

/** Sections of an existing document, by id, in order. */
export function parseSections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- bench:([\w-]+) start -->[\s\S]*?<!-- bench:\1 end -->/g;
  for (const m of doc.matchAll(re)) out.set(m[1], m[0]);
  return out;
}

/** Cells of a Markdown table line written by sectionMarkdown (escaped pipes stay inside their cell). */
const splitRow = (line: string): string[] =>
  line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));

/** Every row with a goal, from the sections' Markdown (so sections kept from earlier runs count too). */
export function goalsTable(sections: string[]): string {
  const lines = ['## Goals at a glance', '', '| benchmark | metric | value | ratio | goal | met? |', '|---|---|---|---|---|---|'];
  for (const block of sections) {
    const id = /<!-- bench:([\w-]+) start -->/.exec(block)?.[1] ?? '?';
    for (const line of block.split('\n')) {
      if (!line.startsWith('| ') || line.startsWith('| metric |')) continue;
      const c = splitRow(line);
      if (c.length !== HEAD.length || c[5] === '-') continue;
      lines.push(`| ${[id, c[0], c[1], c[4], c[5], c[6]].map(esc).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
