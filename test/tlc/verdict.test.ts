import { describe, expect, it } from 'vitest';
import { summarizeCfg } from '../../src/tlc/cfg.js';
import { parseTlcOutput } from '../../src/tlc/tlc-output.js';
import {
  enclosingDefinition,
  judge,
  resolvePropertyName,
  staticProblems,
  type SourceLookup,
} from '../../src/tlc/verdict.js';
import { fixture } from './fixtures.js';

const source: SourceLookup = (module) => {
  try {
    return fixture(`${module}.tla`);
  } catch {
    return undefined;
  }
};
const cfgOf = (name: string) => summarizeCfg(fixture(`${name}.cfg`));
const verdictOf = (out: string, cfg: string, expect: Parameters<typeof judge>[0], simulation = false) =>
  judge(expect, parseTlcOutput(fixture(`${out}.out`)), cfgOf(cfg), source, simulation);

describe('judge', () => {
  it('passes a pass that was expected, and fails a pass where a violation was expected', () => {
    expect(verdictOf('pass', 'pass', 'pass')).toEqual({ ok: true, outcome: 'pass' });
    const v = verdictOf('pass', 'pass', { violates: 'Monotone' });
    expect(v.ok).toBe(false);
    expect(v.reason).toBe('expected a violation of Monotone; TLC found none');
  });

  it('passes the expected violation and fails another one', () => {
    expect(verdictOf('invariant', 'invariant', { violates: 'XSmall' })).toEqual({
      ok: true,
      outcome: 'violates XSmall',
    });
    expect(verdictOf('invariant', 'invariant', { violates: 'Other' }).ok).toBe(false);
    expect(verdictOf('invariant', 'invariant', 'pass')).toMatchObject({
      ok: false,
      reason: 'unexpected violation (violates XSmall)',
    });
  });

  it('fails an unexpected deadlock, parse error, semantic error, evaluation error, timeout', () => {
    for (const out of ['deadlock', 'parse-error', 'semantic-error', 'evaluation']) {
      expect(verdictOf(out, 'pass', 'pass').ok, out).toBe(false);
      expect(verdictOf(out, 'invariant', { violates: 'XSmall' }).ok, out).toBe(false);
    }
    const timedOut = parseTlcOutput(fixture('timeout.out'), { timedOutAfterSeconds: 4 });
    expect(judge('pass', timedOut, cfgOf('timeout'), source, false)).toMatchObject({
      ok: false,
      outcome: 'cut short after 4 s',
    });
  });

  it('names a refinement violation through the property that instantiates the abstract spec', () => {
    expect(verdictOf('refinement', 'refinement', { violates: 'Refines' })).toEqual({
      ok: true,
      outcome: 'violates Refines',
    });
    expect(verdictOf('refinement', 'refinement', { violates: 'Monotone' }).ok).toBe(false);
  });

  it('names a temporal violation by the only PROPERTY of the cfg', () => {
    expect(verdictOf('temporal', 'temporal', { violates: 'Reaches' })).toEqual({
      ok: true,
      outcome: 'violates Reaches',
    });
  });

  it('reports a simulation that found nothing as such', () => {
    const v = verdictOf('simulation', 'simulation', { violates: 'Bounded' }, true);
    expect(v).toEqual({
      ok: false,
      outcome: 'no violation found',
      reason: 'expected a violation of Bounded; the simulation found none within its budget',
    });
    expect(verdictOf('simulation', 'simulation', 'pass', true).ok).toBe(true);
  });

  it('fails an expected violation that comes without a counterexample', () => {
    const report = parseTlcOutput(fixture('invariant.out'));
    expect(judge({ violates: 'XSmall' }, { ...report, trace: [] }, cfgOf('invariant'), source, false)).toMatchObject({
      ok: false,
      reason: 'violates XSmall but TLC printed no counterexample',
    });
  });
});

describe('resolvePropertyName', () => {
  const location = 'line 4, col 18 to line 4, col 42 of module FixtureAbstract';
  it('leaves a position unnamed when two properties could own it', () => {
    const cfg = { invariants: [], properties: ['Refines', 'AlsoSpec'], setsCheckDeadlock: false };
    const withTwo: SourceLookup = (m) =>
      m === 'Fixture' ? `${source('Fixture')}\nAlsoSpec == Abstract!Spec\n` : source(m);
    expect(
      resolvePropertyName({ kind: 'property', location, temporal: false }, cfg, withTwo, ['FixtureAbstract', 'Fixture']),
    ).toBeUndefined();
  });

  it('uses the definition containing the position when it is a cfg property', () => {
    const cfg = { invariants: [], properties: ['Spec', 'Other'], setsCheckDeadlock: false };
    expect(
      resolvePropertyName({ kind: 'property', location, temporal: false }, cfg, source, ['FixtureAbstract']),
    ).toBe('Spec');
  });
});

describe('enclosingDefinition', () => {
  it('finds the definition a line belongs to', () => {
    const text = fixture('Fixture.tla');
    const line = text.split('\n').findIndex((l) => l.includes("x' = x + 1")) + 1;
    expect(enclosingDefinition(text, line)).toBe('Inc');
  });
});

describe('staticProblems', () => {
  it('refuses a cfg that sets CHECK_DEADLOCK and an expected violation the cfg cannot produce', () => {
    const cfg = summarizeCfg('SPECIFICATION Spec\nINVARIANT Inv\nCHECK_DEADLOCK FALSE\n');
    expect(staticProblems({ expect: 'pass' }, cfg)).toHaveLength(1);
    expect(staticProblems({ expect: { violates: 'Missing' } }, summarizeCfg('INVARIANT Inv'))).toHaveLength(1);
    expect(staticProblems({ expect: { violates: 'Inv' } }, summarizeCfg('INVARIANT Inv'))).toEqual([]);
  });

  it('refuses a wall-clock limit that would cut every simulation short', () => {
    const sim = { simulate: { depth: 10, seconds: 60 } };
    expect(staticProblems({ expect: 'pass', mode: sim, timeoutSeconds: 60 }, summarizeCfg(''))).toHaveLength(1);
    expect(staticProblems({ expect: 'pass', mode: sim, timeoutSeconds: 90 }, summarizeCfg(''))).toEqual([]);
  });
});
