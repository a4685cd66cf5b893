// Helpers shared by the benchmark runners: medians, number formatting,
// markdown tables, a description of the machine, and saving raw results as
// JSON under bench/results/ (git-ignored).

import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './servers.js';

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The nearest-rank percentile `p` (0..100) of the finite values of `xs`: p90 of ten values is the ninth smallest. */
export function percentile(xs: readonly number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** 12,345 for large numbers, 1.23 for small ones. */
export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toFixed(0);
  return n.toFixed(digits);
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(0)} MiB` : '–';
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function javaVersion(): string {
  // java -version prints to stderr
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) return 'unknown';
  return `${r.stderr}${r.stdout}`.split('\n')[0]?.trim() || 'unknown';
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  java: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java: javaVersion(),
  };
}

/** A file-name-safe time stamp, to give one run's files the same name. */
export function resultsStamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

async function saveFile(name: string, body: string): Promise<string> {
  const dir = path.join(ROOT, 'bench/results');
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await fsp.writeFile(file, body);
  return path.relative(ROOT, file);
}

/** Writes `data` as bench/results/<name>-<stamp>.json; returns the path relative to the repository. */
export async function saveResults(name: string, data: unknown, stamp = resultsStamp()): Promise<string> {
  return saveFile(`${name}-${stamp}.json`, JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

/** Writes `text` (what a run printed) as bench/results/<name>-<stamp>.txt; returns the path relative to the repository. */
export async function saveText(name: string, text: string, stamp = resultsStamp()): Promise<string> {
  return saveFile(`${name}-${stamp}.txt`, text);
}
