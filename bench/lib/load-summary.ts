// Medians over the rounds of a throughput benchmark: one row per read/write
// mix, with each server's throughput, latency percentiles, CPU and errors
// under keys `<server>.<field>` (kept as is in the raw results).

import type { LoadResult } from '../loadgen.js';
import { fmt, median } from './report.js';

export interface MeasuredRun {
  server: string;
  readPercent: number;
  result: LoadResult;
  /** the server's CPU use during the load, in cores */
  serverCores: number;
}

export function summarizeRuns(runs: readonly MeasuredRun[], servers: readonly string[], mixes: readonly number[]): Array<Record<string, number>> {
  return mixes.map((mix) => {
    const row: Record<string, number> = { readPercent: mix };
    for (const s of servers) {
      const mine = runs.filter((r) => r.server === s && r.readPercent === mix);
      const med = (f: (r: MeasuredRun) => number): number => median(mine.map(f));
      row[`${s}.opsPerSec`] = med((r) => r.result.opsPerSec);
      row[`${s}.p50`] = med((r) => r.result.p50);
      row[`${s}.p99`] = med((r) => r.result.p99);
      row[`${s}.p999`] = med((r) => r.result.p999);
      row[`${s}.serverCores`] = med((r) => r.serverCores);
      row[`${s}.generatorCores`] = med((r) => r.result.generatorCores);
      row[`${s}.errors`] = mine.reduce((n, r) => n + r.result.errors, 0);
    }
    return row;
  });
}

export const mixName = (m: number): string => `${m}% reads`;

/** The columns that set our server (or ensemble) beside ZooKeeper in one mix. */
export const COMPARISON_HEADER = ['mix', 'verikeeper ops/s', 'p50 ms', 'p99 ms', 'ZooKeeper ops/s', 'p50 ms', 'p99 ms', 'throughput ×', 'p99 ×'];

export function comparisonCells(row: Record<string, number>): string[] {
  return [
    mixName(row.readPercent!),
    fmt(row['verikeeper.opsPerSec']!),
    fmt(row['verikeeper.p50']!),
    fmt(row['verikeeper.p99']!),
    fmt(row['zookeeper.opsPerSec']!),
    fmt(row['zookeeper.p50']!),
    fmt(row['zookeeper.p99']!),
    fmt(row['verikeeper.opsPerSec']! / row['zookeeper.opsPerSec']!),
    fmt(row['verikeeper.p99']! / row['zookeeper.p99']!),
  ];
}
