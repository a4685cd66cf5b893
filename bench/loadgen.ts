// Load generator for ZooKeeper-protocol servers: N sessions, each keeping M
// requests in flight (getData reads and setData writes of a fixed value on
// keys drawn uniformly from a pre-created key space), spread over worker
// threads so that it is not bound to one core. After a warm-up it counts
// replies for a fixed duration and records every latency in an HDR histogram.
//
//   node dist/bench/loadgen.js --port 2181 [--host 127.0.0.1] [--sessions 16]
//     [--inflight 8] [--reads 90] [--value 1024] [--keys 10000] [--threads 2]
//     [--warmup 5] [--duration 10] [--populate] [--json]
//   node dist/bench/loadgen.js --ports 2181,2182,2183 …
//
// --populate creates the key space first (the parent and --keys znodes of
// --value bytes). --json prints the result as one JSON line. --ports spreads
// the sessions round-robin over the members of an ensemble (the key space is
// created through the first).

import { cpus } from 'node:os';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { benchValue, keyPaths, populateKeys } from './lib/keyspace.js';
import { LoadSession, type LoadSpec, type SessionCounts } from './lib/load-session.js';

export interface LoadOptions {
  host: string;
  port: number;
  /**
   * Client ports of an ensemble's members: session i connects to
   * ports[i mod n], so the sessions are spread round-robin over the members.
   * Without it every session connects to `port`.
   */
  ports?: readonly number[];
  sessions: number;
  inflight: number;
  /** percentage of reads, 0..100 */
  readPercent: number;
  valueSize: number;
  keys: number;
  threads: number;
  warmupSec: number;
  durationSec: number;
}

export interface LoadResult {
  options: LoadOptions;
  opsPerSec: number;
  ops: number;
  reads: number;
  writes: number;
  errors: number;
  /** latency percentiles and mean, ms */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** measured window, s (mean over the worker threads) */
  seconds: number;
  /** CPU the generator process used during the measured window, in cores (1 = one core busy) */
  generatorCores: number;
}

interface WorkerInit {
  spec: Omit<LoadSpec, 'value' | 'keys'>;
  valueSize: number;
  keys: number;
  sessions: number;
  /** the global index of this worker's first session (for the round-robin over `ports`) */
  firstSession: number;
  ports: readonly number[];
  seed: number;
}

type ToWorker = { kind: 'run'; warmupMs: number; durationMs: number };
type FromWorker =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'done'; counts: SessionCounts; seconds: number; hist: RecordableHistogram };

function newHistogram(): RecordableHistogram {
  // microseconds, 1 µs .. 60 s, 3 significant digits
  return createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ worker side

async function workerMain(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  const hist = newHistogram();
  const spec: LoadSpec = { ...init.spec, value: benchValue(init.valueSize), keys: keyPaths(init.keys) };
  const sessions: LoadSession[] = [];
  try {
    for (let i = 0; i < init.sessions; i++) {
      const port = init.ports[(init.firstSession + i) % init.ports.length]!;
      sessions.push(new LoadSession({ ...spec, port }, hist, init.seed * 7919 + i * 104729 + 1));
    }
    await Promise.all(sessions.map((s) => s.open()));
  } catch (e) {
    port.postMessage({ kind: 'failed', message: (e as Error).message } satisfies FromWorker);
    return;
  }
  port.postMessage({ kind: 'ready' } satisfies FromWorker);
  const run = await new Promise<ToWorker>((r) => port.once('message', r));
  for (const s of sessions) s.start();
  await sleep(run.warmupMs);
  const t0 = performance.now();
  for (const s of sessions) s.recording = true;
  await sleep(run.durationMs);
  for (const s of sessions) s.recording = false;
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(sessions.map((s) => s.stop()));
  await Promise.all(sessions.map((s) => s.close()));
  const counts: SessionCounts = { ops: 0, reads: 0, writes: 0, errors: 0 };
  for (const s of sessions) {
    counts.ops += s.counts.ops;
    counts.reads += s.counts.reads;
    counts.writes += s.counts.writes;
    counts.errors += s.counts.errors;
  }
  port.postMessage({ kind: 'done', counts, seconds, hist } satisfies FromWorker);
}

// ------------------------------------------------------------------ main side

/** Runs the load against a server and reports what it measured. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const threads = Math.max(1, Math.min(o.threads, o.sessions));
  const workers: Worker[] = [];
  const messages: Array<Promise<FromWorker>> = [];
  const next = (w: Worker): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      w.once('error', onError);
      w.once('message', (m: FromWorker) => {
        w.off('error', onError);
        resolve(m);
      });
    });
  try {
    const ports = o.ports !== undefined && o.ports.length > 0 ? o.ports : [o.port];
    let firstSession = 0;
    for (let t = 0; t < threads; t++) {
      const sessions = Math.floor(o.sessions / threads) + (t < o.sessions % threads ? 1 : 0);
      const init: WorkerInit = {
        spec: { host: o.host, port: o.port, inflight: o.inflight, readRatio: o.readPercent / 100, sessionTimeout: 30000 },
        valueSize: o.valueSize,
        keys: o.keys,
        sessions,
        firstSession,
        ports,
        seed: t + 1,
      };
      firstSession += sessions;
      const w = new Worker(new URL(import.meta.url), { workerData: init });
      workers.push(w);
      messages.push(next(w));
    }
    const ready = await Promise.all(messages);
    const failed = ready.find((m) => m.kind === 'failed');
    if (failed && failed.kind === 'failed') throw new Error(`cannot open the sessions: ${failed.message}`);
    const done = workers.map(next);
    const run: ToWorker = { kind: 'run', warmupMs: o.warmupSec * 1000, durationMs: o.durationSec * 1000 };
    for (const w of workers) w.postMessage(run);
    // the generator's own CPU over the measured window
    await sleep(o.warmupSec * 1000);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(o.durationSec * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const results = await Promise.all(done);
    const hist = newHistogram();
    const counts: SessionCounts = { ops: 0, reads: 0, writes: 0, errors: 0 };
    let opsPerSec = 0;
    let seconds = 0;
    for (const r of results) {
      if (r.kind !== 'done') throw new Error('a worker failed');
      hist.add(r.hist);
      counts.ops += r.counts.ops;
      counts.reads += r.counts.reads;
      counts.writes += r.counts.writes;
      counts.errors += r.counts.errors;
      opsPerSec += r.counts.ops / r.seconds;
      seconds += r.seconds / results.length;
    }
    const ms = (us: number): number => us / 1000;
    return {
      options: { ...o, threads },
      opsPerSec,
      ...counts,
      p50: ms(hist.percentile(50)),
      p90: ms(hist.percentile(90)),
      p99: ms(hist.percentile(99)),
      p999: ms(hist.percentile(99.9)),
      max: ms(hist.max),
      mean: ms(hist.mean),
      seconds,
      generatorCores: (cpu.user + cpu.system) / 1000 / wall,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export function loadArgs(argv: string[]): LoadOptions & { populate: boolean; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      ports: { type: 'string' },
      sessions: { type: 'string', default: '16' },
      inflight: { type: 'string', default: '8' },
      reads: { type: 'string', default: '90' },
      value: { type: 'string', default: '1024' },
      keys: { type: 'string', default: '10000' },
      threads: { type: 'string', default: String(Math.min(2, cpus().length)) },
      warmup: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10' },
      populate: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const num = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got ${v}`);
    return n;
  };
  const ports = values.ports === undefined ? [] : values.ports.split(',').map((p) => num('ports', p.trim(), 1, 65535));
  const port = values.port !== undefined ? num('port', values.port, 1, 65535) : ports[0];
  if (port === undefined) throw new Error('--port or --ports is required');
  return {
    host: values.host,
    port,
    ports: ports.length > 0 ? ports : [port],
    sessions: num('sessions', values.sessions, 1, 10000),
    inflight: num('inflight', values.inflight, 1, 1000),
    readPercent: num('reads', values.reads, 0, 100),
    valueSize: num('value', values.value, 0, 1_000_000),
    keys: num('keys', values.keys, 1, 10_000_000),
    threads: num('threads', values.threads, 1, 64),
    warmupSec: num('warmup', values.warmup, 0, 3600),
    durationSec: num('duration', values.duration, 0.1, 3600),
    populate: values.populate,
    json: values.json,
  };
}

async function main(): Promise<void> {
  const o = loadArgs(process.argv.slice(2));
  if (o.populate) await populateKeys(o.host, o.port, o.keys, o.valueSize);
  const r = await runLoad(o);
  if (o.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  console.log(
    `${r.opsPerSec.toFixed(0)} ops/s (${r.reads} reads, ${r.writes} writes, ${r.errors} errors in ${r.seconds.toFixed(1)} s); ` +
      `latency p50 ${r.p50.toFixed(2)} ms, p90 ${r.p90.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, p99.9 ${r.p999.toFixed(2)} ms, max ${r.max.toFixed(2)} ms; ` +
      `generator CPU ${(r.generatorCores * 100).toFixed(0)}% of a core`,
  );
}

if (!isMainThread) {
  void workerMain(workerData as WorkerInit);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`loadgen: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
