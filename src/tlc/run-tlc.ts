// Starts one TLC process and collects its output, stopping it at the
// wall-clock limit.

import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

export interface TlcInvocation {
  readonly java: string;
  /** Extra JVM options (for example a heap size). */
  readonly javaOptions: readonly string[];
  readonly jar: string;
  /** TLC runs here, so that EXTENDS and INSTANCE find the other modules. */
  readonly specDir: string;
  /** Relative to specDir. */
  readonly spec: string;
  readonly cfg: string;
  /** A fresh folder for TLC's states and fingerprints. */
  readonly metadir: string;
  readonly workers: number;
  readonly checkDeadlock: boolean;
  readonly simulate?: { readonly depth: number; readonly seconds: number };
  readonly timeoutSeconds?: number;
  /** collect action coverage (default true; it slows evaluation down) */
  readonly coverage?: boolean;
}

/**
 * Minutes between TLC's coverage reports. An exhaustive run also reports at
 * its end, so a long interval keeps the output short. A simulation reports
 * only at intervals (and when it stops, if the interval is one minute), so
 * it gets the shortest one.
 */
const COVERAGE_INTERVAL_MINUTES = 60;
const SIMULATION_COVERAGE_INTERVAL_MINUTES = 1;

/** Seconds a simulation may overrun its budget before the runner stops it. */
const SIMULATION_GRACE_SECONDS = 120;

/**
 * The JVM's temporary folder for a run: beside its metadir, its own. TLC
 * unpacks its standard modules (TLC.tla, ...) there; in a folder shared by
 * TLC processes running at once, one reads what another is writing.
 */
export function tlcTempDir(inv: TlcInvocation): string {
  return `${inv.metadir}-tmp`;
}

export function tlcCommandLine(inv: TlcInvocation): string[] {
  return [
    `-Djava.io.tmpdir=${tlcTempDir(inv)}`,
    // throughput for model checking, unless the caller chose a collector (short trace runs start faster without it)
    ...(inv.javaOptions.some((o) => /^-XX:\+Use\w+GC$/.test(o)) ? [] : ['-XX:+UseParallelGC']),
    // TLC ends a simulation by itself once this many seconds have passed.
    ...(inv.simulate ? [`-Dtlc2.TLC.stopAfter=${inv.simulate.seconds}`] : []),
    ...inv.javaOptions,
    '-cp',
    inv.jar,
    'tlc2.TLC',
    '-tool',
    '-workers',
    String(inv.workers),
    ...(inv.coverage === false ? [] : ['-coverage', String(inv.simulate ? SIMULATION_COVERAGE_INTERVAL_MINUTES : COVERAGE_INTERVAL_MINUTES)]),
    '-metadir',
    inv.metadir,
    '-config',
    inv.cfg,
    ...(inv.checkDeadlock ? [] : ['-deadlock']),
    ...(inv.simulate ? ['-simulate', '-depth', String(inv.simulate.depth)] : []),
    inv.spec,
  ];
}

/** The wall-clock limit after which the runner stops TLC, if any. */
export function wallClockLimit(inv: TlcInvocation): number | undefined {
  if (inv.timeoutSeconds !== undefined) return inv.timeoutSeconds;
  return inv.simulate ? inv.simulate.seconds + SIMULATION_GRACE_SECONDS : undefined;
}

export interface TlcRun {
  readonly output: string;
  readonly exitCode: number | null;
  readonly timedOutAfterSeconds?: number;
  readonly wallSeconds: number;
}

/** Runs TLC; `onOutput` sees its output as it arrives (to follow a long run). */
export function runTlc(inv: TlcInvocation, onOutput: (chunk: Buffer) => void = () => {}): Promise<TlcRun> {
  const started = process.hrtime.bigint();
  const limit = wallClockLimit(inv);
  const tmp = path.resolve(inv.specDir, tlcTempDir(inv));
  mkdirSync(tmp, { recursive: true });
  const done = (): void => rmSync(tmp, { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(inv.java, tlcCommandLine(inv), { cwd: inv.specDir, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const take = (b: Buffer): void => {
      chunks.push(b);
      onOutput(b);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          }, limit * 1000);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      done();
      reject(new Error(`could not start ${inv.java}: ${e.message}`));
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      done();
      if (killer) clearTimeout(killer);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({
        output: Buffer.concat(chunks).toString('utf8'),
        exitCode: code,
        ...(timedOut && limit !== undefined ? { timedOutAfterSeconds: limit } : {}),
        wallSeconds,
      });
    });
  });
}
