// Trace validation with TLC: is a recorded execution a behaviour of the
// spec? The trace is handed to TLC as a generated module (the TLC the
// registries serve reads no JSON) that binds the trace spec's constant
// `TraceLog` to the events, as a sequence of records. The trace spec keeps a
// cursor `l` over them; each of its steps is the action the current event
// names, constrained by the event's arguments and checked against the
// post-state it logged, and it fills in what the implementation cannot log.
//
// One TLC run decides: the generated module wraps the trace spec's next
// state relation so that TLC prints how many events some behaviour has
// matched whenever that number grows (a TLC register holds the highest).
// Every event matched: accepted. Fewer: rejected, and the first event no
// behaviour matches is the one after the highest count; a second run, over
// the events before it with the invariant `TraceNotFinished` (its violation
// is the state once they are consumed), gives the spec's state at that
// point. (Accepting by a violated invariant would have TLC print the whole
// behaviour, which costs more than checking it.)
//
// The events are a definition of their own (`TraceEvents`) and the constant
// is bound to a definition that names it: TLC computes a module's constant
// definitions once, before it checks, but a constant bound by `<-` in the
// cfg evaluates the definition's body at every reference. Bound to the
// literal itself, each `TraceLog[l]` would build the whole trace again,
// which cost more than all the spec's steps.

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
   * the trace spec's module name: it declares CONSTANT TraceLog and VARIABLE
   * l (the next event to match), and defines TraceInit, TraceNext and
   * TraceNotFinished (l <= Len(TraceLog))
   */
  traceSpec: string;
  /** more cfg lines: the spec's other constants, bound for this trace */
  cfgLines?: readonly string[];
  /**
   * constant definitions the generated module adds (values computed from the
   * trace, which cfgLines can bind with `<-`); TLC evaluates each once
   */
  definitions?: Readonly<Record<string, TlaJson>>;
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
      /** the spec's state once the events before it are consumed, when there are any */
      stateBefore?: Readonly<Record<string, string>>;
    }
  | { kind: 'error'; events: number; seconds: number; tlcRuns: number; message: string };

const INVARIANT = 'TraceNotFinished';
const MATCHED = 'TRACE-MATCHED';

/** The module TLC runs for `events`. */
export function traceModule(
  name: string,
  traceSpec: string,
  events: readonly TlaJson[],
  definitions: Readonly<Record<string, TlaJson>> = {},
): string {
  const lines = events.map((e, i) => `    ${tlaLiteral(e, `event ${i + 1}`)}`);
  return [
    `---- MODULE ${name} ----`,
    `EXTENDS ${traceSpec}, TLC`,
    `TraceEvents == <<\n${lines.join(',\n')}\n>>`,
    '\\* what TraceLog is bound to: a name, so that the events are built once',
    'TheTrace == TraceEvents',
    ...Object.entries(definitions).map(([k, v]) => `${k} == ${tlaLiteral(v, k)}`),
    '\\* register 1: the most events a behaviour has matched so far, printed as it grows',
    'CheckedInit == TraceInit /\\ TLCSet(1, 0)',
    'CheckedNext ==',
    '    /\\ TraceNext',
    `    /\\ IF l' - 1 > TLCGet(1) THEN TLCSet(1, l' - 1) /\\ PrintT(<<"${MATCHED}", l' - 1>>) ELSE TRUE`,
    '====',
    '',
  ].join('\n');
}

export function traceCfg(mode: 'progress' | 'state', extra: readonly string[] = []): string {
  return [
    'CONSTANT TraceLog <- TheTrace',
    ...extra,
    ...(mode === 'progress' ? ['INIT CheckedInit', 'NEXT CheckedNext'] : ['INIT TraceInit', 'NEXT TraceNext', `INVARIANT ${INVARIANT}`]),
    '',
  ].join('\n');
}

interface Attempt {
  report: TlcReport;
  output: string;
}

let runs = 0;

async function attempt(setup: TraceCheckSetup, events: readonly TlaJson[], mode: 'progress' | 'state'): Promise<Attempt> {
  const dir = mkdtempSync(path.join(setup.workDir, 'trace-'));
  try {
    const name = `TraceRun${++runs}`;
    writeFileSync(path.join(dir, `${name}.tla`), traceModule(name, setup.traceSpec, events, setup.definitions));
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
      workers: 1,
      checkDeadlock: false,
      coverage: false,
      ...(setup.timeoutSeconds !== undefined ? { timeoutSeconds: setup.timeoutSeconds } : {}),
    });
    const report = parseTlcOutput(run.output, {
      exitCode: run.exitCode,
      ...(run.timedOutAfterSeconds !== undefined ? { timedOutAfterSeconds: run.timedOutAfterSeconds } : {}),
    });
    return { report, output: run.output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The most events a behaviour matched, as the progress run printed it. */
export function matchedEvents(output: string): number {
  let most = 0;
  for (const m of output.matchAll(new RegExp(`<<"${MATCHED}", (\\d+)>>`, 'g'))) most = Math.max(most, Number(m[1]));
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

/** Checks one trace; a rejection names the first event the spec cannot match and the state before it. */
export async function checkTrace(setup: TraceCheckSetup, events: readonly TlaJson[]): Promise<TraceVerdict> {
  mkdirSync(setup.workDir, { recursive: true });
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const whole = await attempt(setup, events, 'progress');
  const err = failure(whole.report);
  if (err !== null) return { kind: 'error', events: events.length, seconds: seconds(), tlcRuns: 1, message: err };
  const matched = matchedEvents(whole.output);
  if (matched >= events.length) return { kind: 'accepted', events: events.length, seconds: seconds(), tlcRuns: 1 };
  let state: Readonly<Record<string, string>> | undefined;
  let tlcRuns = 1;
  if (matched > 0) {
    tlcRuns++;
    const prefix = await attempt(setup, events.slice(0, matched), 'state');
    const r = prefix.report.result;
    if (r.kind === 'invariant' && r.name === INVARIANT) state = lastState(prefix.report.trace);
  }
  return {
    kind: 'rejected',
    events: events.length,
    seconds: seconds(),
    tlcRuns,
    firstUnmatched: matched + 1,
    event: events[matched]!,
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
