// Trace validation with TLC: is a recorded execution a behaviour of the
// spec? The trace is handed to TLC as a generated module (the TLC the
// registries serve reads no JSON) that binds the trace spec's constant
// `TraceLog` to the events, as a sequence of records. The trace spec keeps a
// cursor over them; each of its steps is the action the current event
// names, constrained by the event's arguments and checked against the
// post-state it logged, and it fills in what the implementation cannot log.
// Its invariant `TraceNotFinished` says the cursor has not passed the last
// event: TLC reporting it violated means some behaviour consumed the whole
// trace — accepted. TLC finishing without that means none did — rejected;
// the runner then finds the longest prefix that is accepted (by bisection,
// rerunning TLC on prefixes), which names the first event the spec could
// not match and gives the spec's state just before it.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tlaLiteral, type TlaJson } from '../trace/tla-literal.js';
import { parseTlcOutput, type TlcReport } from './tlc-output.js';
import { runTlc } from './run-tlc.js';
import type { TraceStep } from './trace.js';

export interface TraceCheckSetup {
  java: string;
  javaOptions: readonly string[];
  jar: string;
  /** where the trace spec and the modules it extends are */
  specDir: string;
  /** the trace spec's module name (it declares CONSTANT TraceLog and defines TraceInit, TraceNext, TraceNotFinished) */
  traceSpec: string;
  /** more cfg lines: the spec's other constants, bound for this trace */
  cfgLines?: readonly string[];
  /** a folder for the generated modules and TLC's states (each run gets its own inside) */
  workDir: string;
  /** wall-clock limit of one TLC run, seconds */
  timeoutSeconds?: number;
}

export type TraceVerdict =
  | { kind: 'accepted'; events: number; seconds: number; tlcRuns: number }
  | {
      kind: 'rejected';
      events: number;
      seconds: number;
      tlcRuns: number;
      /** 1-based index of the first event no behaviour of the spec matches */
      firstUnmatched: number;
      event: TlaJson;
      /** the spec's state after the longest accepted prefix (TLC's last state of it), when there is one */
      stateBefore?: Readonly<Record<string, string>>;
    }
  | { kind: 'error'; events: number; seconds: number; tlcRuns: number; message: string };

const INVARIANT = 'TraceNotFinished';

/** The module TLC runs for `events`. */
export function traceModule(name: string, traceSpec: string, events: readonly TlaJson[]): string {
  const lines = events.map((e, i) => `    ${tlaLiteral(e, `event ${i + 1}`)}`);
  return `---- MODULE ${name} ----\nEXTENDS ${traceSpec}\nTheTrace == <<\n${lines.join(',\n')}\n>>\n====\n`;
}

export function traceCfg(extra: readonly string[] = []): string {
  return ['CONSTANT TraceLog <- TheTrace', ...extra, 'INIT TraceInit', 'NEXT TraceNext', `INVARIANT ${INVARIANT}`, ''].join('\n');
}

interface Attempt {
  outcome: 'accepted' | 'rejected' | 'error';
  report: TlcReport;
  message?: string;
}

let runs = 0;

async function attempt(setup: TraceCheckSetup, events: readonly TlaJson[]): Promise<Attempt> {
  const dir = mkdtempSync(path.join(setup.workDir, 'trace-'));
  try {
    const name = `TraceRun${++runs}`;
    writeFileSync(path.join(dir, `${name}.tla`), traceModule(name, setup.traceSpec, events));
    writeFileSync(path.join(dir, `${name}.cfg`), traceCfg(setup.cfgLines));
    const run = await runTlc({
      java: setup.java,
      // the generated module finds the trace spec and what it extends through TLA-Library
      javaOptions: [`-DTLA-Library=${path.resolve(setup.specDir)}`, ...setup.javaOptions],
      jar: path.resolve(setup.jar),
      specDir: dir,
      spec: `${name}.tla`,
      cfg: `${name}.cfg`,
      metadir: path.join(dir, 'states'),
      workers: 1,
      checkDeadlock: false,
      ...(setup.timeoutSeconds !== undefined ? { timeoutSeconds: setup.timeoutSeconds } : {}),
    });
    const report = parseTlcOutput(run.output, {
      exitCode: run.exitCode,
      ...(run.timedOutAfterSeconds !== undefined ? { timedOutAfterSeconds: run.timedOutAfterSeconds } : {}),
    });
    const r = report.result;
    if (r.kind === 'invariant' && r.name === INVARIANT) return { outcome: 'accepted', report };
    if (r.kind === 'pass') return { outcome: 'rejected', report };
    const message = 'message' in r ? r.message : r.kind === 'invariant' ? `invariant ${r.name} violated` : r.kind;
    return { outcome: 'error', report, message: `TLC: ${message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The last state of an accepting run's counterexample (the state when the prefix is consumed). */
function lastState(trace: readonly TraceStep[]): Readonly<Record<string, string>> | undefined {
  for (let i = trace.length - 1; i >= 0; i--) {
    const s = trace[i]!;
    if (s.kind === 'state') return s.vars;
  }
  return undefined;
}

/** Checks one trace; a rejection names the first event the spec cannot match. */
export async function checkTrace(setup: TraceCheckSetup, events: readonly TlaJson[]): Promise<TraceVerdict> {
  mkdirSync(setup.workDir, { recursive: true });
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  let tlcRuns = 1;
  const whole = await attempt(setup, events);
  if (whole.outcome === 'accepted') return { kind: 'accepted', events: events.length, seconds: seconds(), tlcRuns };
  if (whole.outcome === 'error') return { kind: 'error', events: events.length, seconds: seconds(), tlcRuns, message: whole.message! };
  // the longest accepted prefix: lo is accepted (0, the empty trace, always is), hi is not
  let lo = 0;
  let hi = events.length;
  let state: Readonly<Record<string, string>> | undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    tlcRuns++;
    const a = await attempt(setup, events.slice(0, mid));
    if (a.outcome === 'error') return { kind: 'error', events: events.length, seconds: seconds(), tlcRuns, message: a.message! };
    if (a.outcome === 'accepted') {
      lo = mid;
      state = lastState(a.report.trace);
    } else {
      hi = mid;
    }
  }
  if (lo > 0 && state === undefined) {
    tlcRuns++;
    const a = await attempt(setup, events.slice(0, lo));
    if (a.outcome === 'accepted') state = lastState(a.report.trace);
  }
  return {
    kind: 'rejected',
    events: events.length,
    seconds: seconds(),
    tlcRuns,
    firstUnmatched: lo + 1,
    event: events[lo]!,
    ...(state !== undefined ? { stateBefore: state } : {}),
  };
}

/** Runs `jobs` at most `parallel` at a time, in order of their results' positions. */
export async function inParallel<T, R>(items: readonly T[], parallel: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await run(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
  return out;
}
