// Counterexamples: the states TLC prints after a violation, and the
// step-by-step listing the runner writes for people to read.

import { diffValues, oneLine, showChange } from './tla-value.js';

export type TraceStep =
  | {
      readonly kind: 'state';
      readonly index: number;
      /** `Init` for the initial state, else the name of the action taken. */
      readonly action: string;
      /** The module that defines the action (absent for the initial state). */
      readonly module?: string;
      /** Every variable with its value as TLC printed it (one line). */
      readonly vars: Readonly<Record<string, string>>;
    }
  /** A lasso: the behaviour returns to state `index` by taking `action`. */
  | { readonly kind: 'back-to'; readonly index: number; readonly action?: string; readonly module?: string }
  /** The behaviour stutters forever from here on. */
  | { readonly kind: 'stuttering'; readonly index: number };

const ACTION_LABEL = /^<(\S+) line \d+, col \d+ to line \d+, col \d+ of module (\S+)>$/;

function actionOf(label: string): { action: string; module?: string } {
  const trimmed = label.trim();
  if (trimmed === '<Initial predicate>') return { action: 'Init' };
  const m = ACTION_LABEL.exec(trimmed);
  if (m) return { action: m[1] as string, module: m[2] as string };
  return { action: trimmed.replace(/^<|>$/g, '') };
}

/** Reads the body of a state message: `N: <label>` then `/\ var = value` lines. */
export function parseStateMessage(body: string): TraceStep | undefined {
  const nl = body.indexOf('\n');
  const head = nl < 0 ? body : body.slice(0, nl);
  const rest = nl < 0 ? '' : body.slice(nl + 1);
  const hm = /^(\d+): (.*)$/.exec(head.trim());
  if (!hm) return undefined;
  const index = Number(hm[1]);
  const label = hm[2] as string;
  if (label === 'Stuttering') return { kind: 'stuttering', index };
  const back = /^Back to state: (.*)$/.exec(label);
  if (back) return { kind: 'back-to', index, ...actionOf(back[1] as string) };
  return { kind: 'state', index, ...actionOf(label), vars: parseAssignments(rest) };
}

/**
 * Splits `/\ x = 1\n/\ y = {1,\n  2}` (or, with one variable, `x = 1`) into
 * variables and one-line values.
 */
export function parseAssignments(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const body = text.replace(/\s+$/, '');
  if (body === '') return vars;
  const chunks = /^\/\\ /.test(body) ? body.split(/^\/\\ /m).filter((c) => c.trim() !== '') : [body];
  for (const chunk of chunks) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*) = ([\s\S]*)$/.exec(chunk);
    if (m) vars[m[1] as string] = oneLine(m[2] as string);
  }
  return vars;
}

/** The number of states in a counterexample (a lasso's return is not a state). */
export function traceLength(trace: readonly TraceStep[]): number {
  return trace.filter((s) => s.kind === 'state').length;
}

/**
 * One line per step: the step number, the action, and only the variables
 * the action changed with their new values (the initial state lists all).
 */
export function formatCounterexample(trace: readonly TraceStep[]): string[] {
  const lines: string[] = [];
  let previous: Readonly<Record<string, string>> | undefined;
  const width = String(trace.reduce((n, s) => Math.max(n, s.index), 0)).length;
  const num = (i: number): string => String(i).padStart(width, ' ');
  for (const step of trace) {
    switch (step.kind) {
      case 'state': {
        const changes = Object.entries(step.vars).flatMap(([name, value]) =>
          previous === undefined
            ? [{ path: name, op: '=' as const, value }]
            : diffValues(name, previous[name] ?? '', value),
        );
        const what = changes.length === 0 ? '(no variable changed)' : changes.map(showChange).join('; ');
        lines.push(`${num(step.index)}. ${step.action}: ${what}`);
        previous = step.vars;
        break;
      }
      case 'back-to':
        lines.push(
          `${' '.repeat(width)}  ${step.action ?? 'a step'} leads back to state ${step.index}: the behaviour repeats from there forever`,
        );
        break;
      case 'stuttering':
        lines.push(`${num(step.index)}. (stuttering: nothing changes from here on)`);
        break;
    }
  }
  return lines;
}
