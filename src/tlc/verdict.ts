// Compares what TLC concluded with what the manifest expects.

import type { CfgSummary } from './cfg.js';
import type { Expectation } from './manifest.js';
import type { TlcReport, TlcResult } from './tlc-output.js';
import { traceLength } from './trace.js';

export interface Verdict {
  readonly ok: boolean;
  /** What TLC concluded, in a few words. */
  readonly outcome: string;
  /** Why the outcome is not the expected one. */
  readonly reason?: string;
}

/** Reads a module's source by module name, or undefined when it is not one of ours. */
export type SourceLookup = (module: string) => string | undefined;

/** The name of the top-level definition that contains line `line` of `source`. */
export function enclosingDefinition(source: string, line: number): string | undefined {
  const lines = source.split(/\r?\n/);
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(\([^)]*\))?\s*==/.exec(lines[i] as string);
    if (m) return m[1];
  }
  return undefined;
}

/** The text of the top-level definition of `name` in `source`, up to the next definition. */
export function definitionText(source: string, name: string): string | undefined {
  const lines = source.split(/\r?\n/);
  const isDef = (l: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*\s*(\([^)]*\))?\s*==/.test(l);
  const start = lines.findIndex((l) => new RegExp(`^${name}\\s*(\\([^)]*\\))?\\s*==`).test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && (isDef(l) || /^(-{4,}|={4,})/.test(l)));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/**
 * Names the violated property. TLC names it for some violations; for an
 * action property it gives only the position of the violated formula, and
 * for a temporal property nothing. Then, in order: the cfg's only PROPERTY;
 * the cfg PROPERTY whose definition contains that position; the one cfg
 * PROPERTY whose definition refers to the definition containing it (a
 * refinement `P == Abstract!Spec` whose violated formula is in the
 * abstract module's Spec).
 */
export function resolvePropertyName(
  result: Extract<TlcResult, { kind: 'property' }>,
  cfg: CfgSummary,
  source: SourceLookup,
  modules: readonly string[],
): string | undefined {
  if (result.name !== undefined) return result.name;
  if (cfg.properties.length === 1) return cfg.properties[0];
  const at = result.location !== undefined ? /^line (\d+), col \d+ to .* of module (\S+)$/.exec(result.location) : null;
  if (!at) return undefined;
  const text = source(at[2] as string);
  const def = text !== undefined ? enclosingDefinition(text, Number(at[1])) : undefined;
  if (def === undefined) return undefined;
  if (cfg.properties.includes(def)) return def;
  const mentions = new RegExp(`\\b${def}\\b`);
  const referring = cfg.properties.filter((p) =>
    modules.some((mod) => {
      const src = source(mod);
      const body = src !== undefined ? definitionText(src, p) : undefined;
      return body !== undefined && mentions.test(body.replace(/^[^=]*==/, ''));
    }),
  );
  return referring.length === 1 ? referring[0] : undefined;
}

export function describeResult(result: TlcResult, propertyName: string | undefined, simulation: boolean): string {
  switch (result.kind) {
    case 'pass':
      return simulation ? 'no violation found' : 'pass';
    case 'invariant':
      return `violates ${result.name}${result.initial ? ' (initial state)' : ''}`;
    case 'property':
      if (propertyName !== undefined) return `violates ${propertyName}`;
      return result.temporal ? 'violates a temporal property' : `violates the property at ${result.location ?? '?'}`;
    case 'deadlock':
      return 'deadlock';
    case 'parse-error':
      return 'parse error';
    case 'semantic-error':
      return 'semantic error';
    case 'config-error':
      return 'configuration error';
    case 'evaluation-error':
      return 'evaluation error';
    case 'timeout':
      return `cut short after ${result.seconds} s`;
    case 'incomplete':
      return 'incomplete run';
  }
}

/** Checks made before running TLC: problems that make the model meaningless. */
export interface ModelLimits {
  readonly expect: Expectation;
  readonly mode?: { readonly simulate: { readonly depth: number; readonly seconds: number } };
  readonly timeoutSeconds?: number;
}

export function staticProblems(model: ModelLimits, cfg: CfgSummary): string[] {
  const problems: string[] = [];
  const expect = model.expect;
  if (cfg.setsCheckDeadlock) {
    problems.push('the cfg sets CHECK_DEADLOCK; say checkDeadlock in models.json instead, where the runner can see it');
  }
  if (expect !== 'pass' && ![...cfg.invariants, ...cfg.properties].includes(expect.violates)) {
    problems.push(`${expect.violates} is neither an INVARIANT nor a PROPERTY of the cfg, so it can never be violated`);
  }
  if (model.mode && model.timeoutSeconds !== undefined && model.timeoutSeconds <= model.mode.simulate.seconds) {
    problems.push('timeoutSeconds must exceed the simulation seconds, or every simulation run is cut short');
  }
  return problems;
}

export function judge(
  expect: Expectation,
  report: TlcReport,
  cfg: CfgSummary,
  source: SourceLookup,
  simulation: boolean,
): Verdict {
  const r = report.result;
  const propertyName = r.kind === 'property' ? resolvePropertyName(r, cfg, source, report.modules) : undefined;
  const outcome = describeResult(r, propertyName, simulation);
  const fail = (reason: string): Verdict => ({ ok: false, outcome, reason });
  const detail = 'message' in r ? `: ${r.message.split('\n')[0]}` : '';
  const violated = r.kind === 'invariant' ? r.name : r.kind === 'property' ? propertyName : undefined;

  if (expect === 'pass') {
    if (r.kind === 'pass') return { ok: true, outcome };
    if (violated !== undefined || r.kind === 'property') return fail(`unexpected violation (${outcome})`);
    if (r.kind === 'deadlock') return fail('unexpected deadlock (set checkDeadlock: false if the model is meant to stop)');
    return fail(`${outcome}${detail}`);
  }
  const want = expect.violates;
  if (r.kind === 'pass') {
    return fail(
      simulation
        ? `expected a violation of ${want}; the simulation found none within its budget`
        : `expected a violation of ${want}; TLC found none`,
    );
  }
  if (violated === want) {
    return traceLength(report.trace) > 0
      ? { ok: true, outcome }
      : fail(`violates ${want} but TLC printed no counterexample`);
  }
  if (r.kind === 'invariant' || r.kind === 'property') return fail(`expected a violation of ${want}, got: ${outcome}`);
  return fail(`expected a violation of ${want}, got: ${outcome}${detail}`);
}
