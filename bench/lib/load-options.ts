// The command-line options the throughput benchmarks share (bench/throughput.ts
// for single servers, bench/ensemble.ts for ensembles): rounds, the load
// generator's shape and timing, the read/write mixes, and the zoo.cfg and
// JVM settings every server is started with.

import os from 'node:os';
import type { LoadOptions } from '../loadgen.js';
import { DEFAULT_SETTINGS, type ServerSettings } from './servers.js';

export const LOAD_OPTIONS = {
  rounds: { type: 'string', default: '5' },
  warmup: { type: 'string', default: '5' },
  duration: { type: 'string', default: '10' },
  mixes: { type: 'string', default: '100,90,0' },
  sessions: { type: 'string', default: '16' },
  inflight: { type: 'string', default: '8' },
  value: { type: 'string', default: '1024' },
  keys: { type: 'string', default: '10000' },
  threads: { type: 'string', default: String(Math.min(2, os.cpus().length)) },
  servers: { type: 'string', default: 'null,verikeeper,zookeeper' },
  'zk-heap': { type: 'string', default: '1000m' },
  'snap-count': { type: 'string', default: String(DEFAULT_SETTINGS.snapCount) },
  dir: { type: 'string', default: os.tmpdir() },
} as const;

export type LoadOptionValues = { [K in keyof typeof LOAD_OPTIONS]: string };

export interface LoadSettings {
  rounds: number;
  mixes: number[];
  /** the servers named by --servers, checked against `known` */
  servers: string[];
  load: Omit<LoadOptions, 'port' | 'ports' | 'readPercent'>;
  settings: ServerSettings;
}

/** A number given on the command line, at least `min`. */
export function numberOption(name: string, value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${value}`);
  return n;
}

export function loadSettings(values: LoadOptionValues, known: readonly string[]): LoadSettings {
  const servers = values.servers.split(',').map((s) => s.trim());
  for (const s of servers) if (!known.includes(s)) throw new Error(`unknown server ${s} (${known.join(', ')})`);
  const valueSize = numberOption('value', values.value);
  return {
    rounds: numberOption('rounds', values.rounds, 1),
    mixes: values.mixes.split(',').map((m) => numberOption('mixes', m.trim())),
    servers,
    load: {
      host: '127.0.0.1',
      sessions: numberOption('sessions', values.sessions, 1),
      inflight: numberOption('inflight', values.inflight, 1),
      valueSize,
      keys: numberOption('keys', values.keys, 1),
      threads: numberOption('threads', values.threads, 1),
      warmupSec: numberOption('warmup', values.warmup),
      durationSec: numberOption('duration', values.duration, 0.1),
    },
    settings: {
      ...DEFAULT_SETTINGS,
      baseDir: values.dir,
      valueSize,
      snapCount: numberOption('snap-count', values['snap-count'], 2),
      jvmOptions: [`-Xmx${values['zk-heap']}`],
    },
  };
}
