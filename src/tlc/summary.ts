// The runner's printed summary: one table row per model, then the reasons
// for every failure and the coverage findings.

import type { CoverageSummary } from './coverage.js';
import type { TlcResult } from './tlc-output.js';

export interface ModelResult {
  readonly name: string;
  readonly spec: string;
  readonly cfg: string;
  readonly class: 'ci' | 'full';
  /** `exhaustive` or `simulation (depth D, N s)`. */
  readonly mode: string;
  readonly expected: string;
  readonly outcome: string;
  readonly ok: boolean;
  readonly reason?: string;
  readonly statesGenerated?: number;
  readonly distinctStates?: number;
  readonly depth?: number;
  /** Wall-clock seconds of the TLC process. */
  readonly seconds: number;
  /** Seconds TLC reports itself. */
  readonly tlcSeconds?: number;
  readonly counterexample?: { readonly length: number; readonly file: string; readonly steps: readonly string[] };
  readonly countsForCoverage: boolean;
  readonly result?: TlcResult;
  readonly warnings: readonly string[];
  readonly outputFile?: string;
}

export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  if (head === undefined) return [];
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

const count = (n: number | undefined): string => (n === undefined ? '-' : n.toLocaleString('en-US'));

export function summaryLines(results: readonly ModelResult[]): string[] {
  const rows = [
    ['model', 'class', 'mode', 'expected', 'outcome', 'generated', 'distinct', 'depth', 'trace', 'seconds', 'verdict'],
    ...results.map((r) => [
      r.name,
      r.class,
      r.mode,
      r.expected,
      r.outcome,
      count(r.statesGenerated),
      count(r.distinctStates),
      count(r.depth),
      r.counterexample ? String(r.counterexample.length) : '-',
      r.seconds.toFixed(1),
      r.ok ? 'ok' : 'FAIL',
    ]),
  ];
  const lines = formatTable(rows);
  const failures = results.filter((r) => !r.ok);
  if (failures.length > 0) {
    lines.push('');
    for (const f of failures) lines.push(`FAIL ${f.name}: ${f.reason ?? f.outcome}`);
  }
  return lines;
}

export function coverageLines(summary: CoverageSummary, enforced: boolean, models: number): string[] {
  const lines = [
    `action coverage: ${summary.actions.length - summary.neverFired.length} of ${summary.actions.length} actions fired across ${models} ci model(s)` +
      (enforced ? '' : ' (partial selection: reported, not enforced)'),
  ];
  for (const a of summary.neverFired) {
    lines.push(`${enforced ? 'FAIL' : 'note'} action ${a.key} never fired (in: ${a.seenIn.join(', ')})`);
  }
  for (const model of summary.silentRuns) {
    lines.push(`FAIL ${model} printed no coverage report, so its actions cannot be checked`);
  }
  return lines;
}
