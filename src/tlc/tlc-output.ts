// Reads the output of one TLC run (in -tool mode) into a report: what TLC
// concluded, its statistics, the counterexample and the action coverage.

import { type ActionCoverage, parseCoverageLine } from './coverage.js';
import { Code, isAccompanyingMessage, isConfigurationError } from './message-codes.js';
import { Severity, type ToolMessage, splitToolOutput } from './tool-messages.js';
import { type TraceStep, parseStateMessage } from './trace.js';

export type TlcResult =
  /** Exhaustive: TLC explored every state. Simulation: no error within the budget. */
  | { readonly kind: 'pass' }
  | { readonly kind: 'invariant'; readonly name: string; readonly initial: boolean }
  | {
      readonly kind: 'property';
      /** The property's name when TLC says it, else undefined. */
      readonly name?: string;
      /** Where TLC says the violated formula is (`line 6, col 17 to ... of module M`). */
      readonly location?: string;
      readonly temporal: boolean;
    }
  | { readonly kind: 'deadlock' }
  | { readonly kind: 'parse-error'; readonly message: string }
  | { readonly kind: 'semantic-error'; readonly message: string }
  | { readonly kind: 'config-error'; readonly message: string }
  | { readonly kind: 'evaluation-error'; readonly message: string }
  /** The runner stopped TLC at its wall-clock limit. */
  | { readonly kind: 'timeout'; readonly seconds: number }
  /** The output stops before TLC says it has finished, or contradicts itself. */
  | { readonly kind: 'incomplete'; readonly message: string };

export type TlcMode = 'exhaustive' | 'depth-first' | 'simulation' | 'unknown';

export interface TlcReport {
  readonly version?: string;
  readonly mode: TlcMode;
  readonly result: TlcResult;
  readonly statesGenerated?: number;
  readonly distinctStates?: number;
  readonly statesLeftOnQueue?: number;
  readonly depth?: number;
  /** The time TLC itself reports in its last line. */
  readonly tlcSeconds?: number;
  readonly trace: readonly TraceStep[];
  /** The last coverage report TLC printed (it prints one per interval and one at the end). */
  readonly coverage: readonly ActionCoverage[];
  readonly warnings: readonly string[];
  /** The modules SANY processed, in order (standard modules included). */
  readonly modules: readonly string[];
}

export interface RunFacts {
  /** The exit code of the TLC process, when it exited by itself. */
  readonly exitCode?: number | null;
  /** Set when the runner stopped TLC because it ran past its time limit. */
  readonly timedOutAfterSeconds?: number;
}

const num = (s: string): number => Number(s.replace(/,/g, ''));

/** `Finished in 638ms`, `Finished in 06s`, `Finished in 01min 02s`, `Finished in 01h 02min 03s`. */
export function parseFinishedSeconds(body: string): number | undefined {
  const m = /Finished in (.*?) at/.exec(body);
  if (!m) return undefined;
  const text = m[1] as string;
  let total = 0;
  let matched = false;
  for (const part of text.matchAll(/(\d+)(ms|h|min|s)\b/g)) {
    matched = true;
    const n = Number(part[1]);
    total += part[2] === 'ms' ? n / 1000 : part[2] === 'h' ? n * 3600 : part[2] === 'min' ? n * 60 : n;
  }
  return matched ? total : undefined;
}

/** The SANY error text from the loose output: from the first error line on, without file paths. */
function sanyErrorText(loose: string): string {
  const lines = loose.split(/\r?\n/).filter((l) => !/^(Parsing file|Semantic processing of module) /.test(l));
  const start = lines.findIndex((l) =>
    /\*\*\*Parse Error\*\*\*|Lexical error|Semantic errors:|\*\*\* Errors|Fatal errors|Could not (parse|find)/.test(l),
  );
  const relevant = (start >= 0 ? lines.slice(start) : lines).map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  return relevant.slice(0, 20).join('\n');
}

function classifyError(messages: readonly ToolMessage[], loose: string): TlcResult | undefined {
  const parsing = messages.find((m) => m.code === Code.parsingFailed || m.code === Code.parsingFailed2);
  if (parsing) {
    const text = sanyErrorText(loose) || parsing.body;
    return /Semantic errors:/.test(loose) && !/\*\*\*Parse Error\*\*\*|Lexical error/.test(loose)
      ? { kind: 'semantic-error', message: text }
      : { kind: 'parse-error', message: text };
  }
  const config = messages.find((m) => isConfigurationError(m.code));
  if (config) return { kind: 'config-error', message: config.body.trim() };
  const primary = messages.find((m) => m.severity === Severity.Error && !isAccompanyingMessage(m.code));
  if (!primary) return undefined;
  // An exception wrapper (code 1000) may carry its text in the message it encloses.
  const next = messages[messages.indexOf(primary) + 1];
  const body = primary.body.trim() || (next !== undefined && next.severity !== Severity.State ? next.body.trim() : '');
  switch (primary.code) {
    case Code.invariantViolated:
    case Code.invariantViolatedInitial: {
      const m = /Invariant (\S+) is violated/.exec(body);
      return { kind: 'invariant', name: m ? (m[1] as string) : body, initial: primary.code === Code.invariantViolatedInitial };
    }
    case Code.propertyViolatedInitial: {
      const m = /Property (.*?) is violated/.exec(body);
      const what = m ? (m[1] as string) : body;
      return /^[A-Za-z_][A-Za-z0-9_!]*$/.test(what)
        ? { kind: 'property', name: what, temporal: false }
        : { kind: 'property', location: what, temporal: false };
    }
    case Code.actionPropertyViolated: {
      const m = /Action property (.*?) is violated/.exec(body);
      return { kind: 'property', location: m ? (m[1] as string) : body, temporal: false };
    }
    case Code.temporalPropertyViolated:
      return { kind: 'property', temporal: true };
    case Code.deadlock:
      return { kind: 'deadlock' };
    default: {
      const nested = messages.find((m) => m.code === Code.nestedExpression);
      return { kind: 'evaluation-error', message: nested ? `${body}\n${nested.body.trim()}` : body };
    }
  }
}

export function parseTlcOutput(text: string, facts: RunFacts = {}): TlcReport {
  const { messages, loose } = splitToolOutput(text);
  let version: string | undefined;
  let mode: TlcMode = 'unknown';
  let statesGenerated: number | undefined;
  let distinctStates: number | undefined;
  let statesLeftOnQueue: number | undefined;
  let depth: number | undefined;
  let tlcSeconds: number | undefined;
  let finished = false;
  let success = false;
  const trace: TraceStep[] = [];
  let coverage: ActionCoverage[] = [];
  const warnings: string[] = [];

  for (const m of messages) {
    const body = m.body;
    switch (m.code) {
      case Code.version:
        version = /TLC2 Version (\S+)/.exec(body)?.[1] ?? body.trim();
        break;
      case Code.modeModelCheck:
        mode = 'exhaustive';
        break;
      case Code.modeDepthFirst:
        mode = 'depth-first';
        break;
      case Code.modeSimulate:
        mode = 'simulation';
        break;
      case Code.stats:
      case Code.statsDepthFirst:
      case Code.statsSimulation:
      case Code.progress:
      case Code.progressSimulation: {
        const g = /([\d,]+) states generated/.exec(body);
        const d = /(-?[\d,]+) distinct states found/.exec(body);
        const q = /(-?[\d,]+) states left on queue/.exec(body);
        if (g) statesGenerated = num(g[1] as string);
        if (d && num(d[1] as string) >= 0) distinctStates = num(d[1] as string);
        if (q && num(q[1] as string) >= 0) statesLeftOnQueue = num(q[1] as string);
        break;
      }
      case Code.searchDepth: {
        const d = /is (\d+)\./.exec(body);
        if (d) depth = Number(d[1]);
        break;
      }
      case Code.finished:
        finished = true;
        tlcSeconds = parseFinishedSeconds(body);
        break;
      case Code.success:
        success = true;
        break;
      case Code.statePrint:
      case Code.stuttering:
      case Code.backToState: {
        const step = parseStateMessage(body);
        if (step) trace.push(step);
        break;
      }
      case Code.coverageStart:
        coverage = [];
        break;
      case Code.coverageNext: {
        const c = parseCoverageLine(body);
        if (c) coverage.push(c);
        break;
      }
      default:
        if (m.severity === Severity.Warning && m.code !== Code.gcWarning) warnings.push(body.trim());
    }
  }

  let result: TlcResult | undefined = classifyError(messages, loose);
  if (facts.timedOutAfterSeconds !== undefined) {
    result = { kind: 'timeout', seconds: facts.timedOutAfterSeconds };
  } else if (result === undefined) {
    if (!finished) {
      result = { kind: 'incomplete', message: 'the output ends before TLC reports that it finished' };
    } else if (success || mode === 'simulation') {
      result = { kind: 'pass' };
    } else {
      result = { kind: 'incomplete', message: 'TLC finished without reporting success or an error' };
    }
    if (result.kind === 'pass' && facts.exitCode !== undefined && facts.exitCode !== null && facts.exitCode !== 0) {
      result = { kind: 'incomplete', message: `TLC reported no error but exited with code ${facts.exitCode}` };
    }
  }
  return {
    ...(version !== undefined ? { version } : {}),
    mode,
    result,
    ...(statesGenerated !== undefined ? { statesGenerated } : {}),
    ...(distinctStates !== undefined ? { distinctStates } : {}),
    ...(statesLeftOnQueue !== undefined ? { statesLeftOnQueue } : {}),
    ...(depth !== undefined ? { depth } : {}),
    ...(tlcSeconds !== undefined ? { tlcSeconds } : {}),
    trace,
    coverage,
    warnings,
    modules: [...loose.matchAll(/^Semantic processing of module (\S+)/gm)].map((m) => m[1] as string),
  };
}
