// Trace validation with TLC: is a recorded execution a behaviour of the
// spec? Traces are handed to TLC as a generated module (the TLC the
// registries serve reads no JSON) that binds the trace spec's constant
// `Traces` to them, a sequence of traces, each a sequence of records. The
// trace spec picks one trace in its initial state (variable `t`) and keeps
// a cursor `l` over it; each of its steps is the action the current event
// names, constrained by the event's arguments and checked against the
// post-state it logged, and it fills in what the implementation cannot log.
// A behaviour replays one trace, so traces checked in one TLC run are
// checked each on its own: several share a run only to share TLC's start
// (the JVM, parsing the spec), which costs more than checking a trace.
//
// One TLC run decides: the generated module wraps the trace spec's next
// state relation so that TLC prints how many events of a trace some
// behaviour has matched whenever that number grows (a TLC register per
// trace holds the highest). Every event matched: accepted. Fewer: rejected,
// and the first event no behaviour matches is the one after the highest
// count; a second run, over that trace's events before it with the
// invariant `TraceNotFinished` (its violation is the state once they are
// consumed), gives the spec's state at that point. (Accepting by a violated
// invariant would have TLC print the whole behaviour, which costs more than
// checking it.) A run that fails (a trace the spec cannot even evaluate)
// is done again for each of its traces alone, so that the error is that
// trace's.
//
// Each trace's events are a definition of their own and the constant is
// bound to a definition that names them: TLC computes a module's constant
// definitions once, before it checks, but a constant bound by `<-` in the
// cfg evaluates the definition's body at every reference. Bound to the
// literal itself, each `Traces[t][l]` would build the traces again, which
// cost more than all the spec's steps.

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
  /**
   * the trace spec's module name: it declares CONSTANT Traces and VARIABLES
   * t (the trace replayed, chosen by TraceInit from DOMAIN Traces) and l
   * (its next event to match), and defines TraceInit, TraceNext (which
   * keeps t) and TraceNotFinished (l <= Len(Traces[t]))
   */
  traceSpec: string;
  /** more cfg lines: the spec's other constants, bound for these traces */
  cfgLines?: readonly string[];
  /**
   * constant definitions the generated module adds (values computed from the
   * traces, which cfgLines can bind with `<-`); TLC evaluates each once
   */
  definitions?: Readonly<Record<string, TlaJson>>;
  /** a folder for the generated modules and TLC's states (each run gets its own inside) */
  workDir: string;
  /** wall-clock limit of a TLC run per trace it checks, seconds */
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
      /** the spec's state once the events before it are consumed, when there are any */
      stateBefore?: Readonly<Record<string, string>>;
    }
  | { kind: 'error'; events: number; seconds: number; tlcRuns: number; message: string };

const INVARIANT = 'TraceNotFinished';
const MATCHED = 'TRACE-MATCHED';

/** The module TLC runs for `traces`. */
export function traceModule(
  name: string,
  traceSpec: string,
  traces: readonly (readonly TlaJson[])[],
  definitions: Readonly<Record<string, TlaJson>> = {},
): string {
  const defs = traces.map((events, k) => {
    const lines = events.map((e, i) => `    ${tlaLiteral(e, traces.length > 1 ? `trace ${k + 1}, event ${i + 1}` : `event ${i + 1}`)}`);
    return `TraceEvents${k + 1} == <<${lines.length > 0 ? `\n${lines.join(',\n')}\n` : ''}>>`;
  });
  return [
    `---- MODULE ${name} ----`,
    `EXTENDS ${traceSpec}, TLC`,
    ...defs,
    `TraceBatch == <<${traces.map((_, k) => `TraceEvents${k + 1}`).join(', ')}>>`,
    '\\* what Traces is bound to: a name, so that the traces are built once',
    'TheTraces == TraceBatch',
    ...Object.entries(definitions).map(([k, v]) => `${k} == ${tlaLiteral(v, k)}`),
    '\\* register t: the most events of trace t a behaviour has matched so far, printed as it grows',
    'CheckedInit == TraceInit /\\ TLCSet(t, 0)',
    'CheckedNext ==',
    '    /\\ TraceNext',
    `    /\\ IF l' - 1 > TLCGet(t) THEN TLCSet(t, l' - 1) /\\ PrintT(<<"${MATCHED}", t, l' - 1>>) ELSE TRUE`,
    '====',
    '',
  ].join('\n');
}

export function traceCfg(mode: 'progress' | 'state', extra: readonly string[] = []): string {
  return [
    'CONSTANT Traces <- TheTraces',
    ...extra,
    ...(mode === 'progress' ? ['INIT CheckedInit', 'NEXT CheckedNext'] : ['INIT TraceInit', 'NEXT TraceNext', `INVARIANT ${INVARIANT}`]),
    '',
  ].join('\n');
}

interface Attempt {
  report: TlcReport;
  output: string;
  seconds: number;
}

let runs = 0;

async function attempt(setup: TraceCheckSetup, traces: readonly (readonly TlaJson[])[], mode: 'progress' | 'state'): Promise<Attempt> {
  const dir = mkdtempSync(path.join(setup.workDir, 'trace-'));
  try {
    const name = `TraceRun${++runs}`;
    writeFileSync(path.join(dir, `${name}.tla`), traceModule(name, setup.traceSpec, traces, setup.definitions));
    writeFileSync(path.join(dir, `${name}.cfg`), traceCfg(mode, setup.cfgLines));
    const run = await runTlc({
      java: setup.java,
      // the generated module finds the trace spec and what it extends through TLA-Library
      javaOptions: [`-DTLA-Library=${path.resolve(setup.specDir)}`, ...setup.javaOptions],
      jar: path.resolve(setup.jar),
      specDir: dir,
      spec: `${name}.tla`,
      cfg: `${name}.cfg`,
      metadir: path.join(dir, 'states'),
      // one worker: TLC's registers, which count the events matched, are a worker's own
      workers: 1,
      checkDeadlock: false,
      coverage: false,
      ...(setup.timeoutSeconds !== undefined ? { timeoutSeconds: setup.timeoutSeconds * traces.length } : {}),
    });
    const report = parseTlcOutput(run.output, {
      exitCode: run.exitCode,
      ...(run.timedOutAfterSeconds !== undefined ? { timedOutAfterSeconds: run.timedOutAfterSeconds } : {}),
    });
    return { report, output: run.output, seconds: run.wallSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The most events of each of `count` traces a behaviour matched, as the progress run printed it. */
export function matchedEvents(output: string, count = 1): number[] {
  const most = new Array<number>(count).fill(0);
  for (const m of output.matchAll(new RegExp(`<<"${MATCHED}", (\\d+), (\\d+)>>`, 'g'))) {
    const k = Number(m[1]) - 1;
    if (k >= 0 && k < count) most[k] = Math.max(most[k]!, Number(m[2]));
  }
  return most;
}

/** The last state of an accepting run's counterexample (the state when the prefix is consumed). */
function lastState(trace: readonly TraceStep[]): Readonly<Record<string, string>> | undefined {
  for (let i = trace.length - 1; i >= 0; i--) {
    const s = trace[i]!;
    if (s.kind === 'state') return s.vars;
  }
  return undefined;
}

function failure(report: TlcReport): string | null {
  const r = report.result;
  if (r.kind === 'pass' || (r.kind === 'invariant' && r.name === INVARIANT)) return null;
  const message = 'message' in r ? r.message : r.kind === 'invariant' ? `invariant ${r.name} violated` : r.kind;
  return `TLC: ${message}`;
}

/**
 * Checks traces in one TLC run, each on its own; a rejection names the
 * first event the spec cannot match and the state before it. A trace's
 * `seconds` is its share of the run, by events, plus its own second run.
 */
export async function checkTraces(setup: TraceCheckSetup, traces: readonly (readonly TlaJson[])[]): Promise<TraceVerdict[]> {
  if (traces.length === 0) return [];
  mkdirSync(setup.workDir, { recursive: true });
  const whole = await attempt(setup, traces, 'progress');
  const err = failure(whole.report);
  if (err !== null && traces.length > 1) {
    const alone: TraceVerdict[] = [];
    for (const events of traces) alone.push(...(await checkTraces(setup, [events])));
    return alone;
  }
  const total = traces.reduce((n, events) => n + events.length, 0);
  const share = (events: readonly TlaJson[]): number => whole.seconds * (total > 0 ? events.length / total : 1 / traces.length);
  if (err !== null) return [{ kind: 'error', events: traces[0]!.length, seconds: whole.seconds, tlcRuns: 1, message: err }];
  const matched = matchedEvents(whole.output, traces.length);
  const verdicts: TraceVerdict[] = [];
  for (const [k, events] of traces.entries()) {
    const n = matched[k]!;
    if (n >= events.length) {
      verdicts.push({ kind: 'accepted', events: events.length, seconds: share(events), tlcRuns: 1 });
      continue;
    }
    let state: Readonly<Record<string, string>> | undefined;
    let tlcRuns = 1;
    let seconds = share(events);
    if (n > 0) {
      tlcRuns++;
      const prefix = await attempt(setup, [events.slice(0, n)], 'state');
      seconds += prefix.seconds;
      const r = prefix.report.result;
      if (r.kind === 'invariant' && r.name === INVARIANT) state = lastState(prefix.report.trace);
    }
    verdicts.push({
      kind: 'rejected',
      events: events.length,
      seconds,
      tlcRuns,
      firstUnmatched: n + 1,
      event: events[n]!,
      ...(state !== undefined ? { stateBefore: state } : {}),
    });
  }
  return verdicts;
}

/** Checks one trace; a rejection names the first event the spec cannot match and the state before it. */
export async function checkTrace(setup: TraceCheckSetup, events: readonly TlaJson[]): Promise<TraceVerdict> {
  const [verdict] = await checkTraces(setup, [events]);
  return verdict!;
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
