import { describe, expect, it } from 'vitest';
import { parseFinishedSeconds, parseTlcOutput } from '../../src/tlc/tlc-output.js';
import { traceLength } from '../../src/tlc/trace.js';
import { fixture } from './fixtures.js';

describe('parseTlcOutput on captured TLC outputs', () => {
  it('reads a passing exhaustive run: statistics, depth, time, coverage', () => {
    const r = parseTlcOutput(fixture('pass.out'), { exitCode: 0 });
    expect(r.result).toEqual({ kind: 'pass' });
    expect(r.mode).toBe('exhaustive');
    expect(r.version).toBe('2.18');
    expect(r.statesGenerated).toBe(33);
    expect(r.distinctStates).toBe(23);
    expect(r.statesLeftOnQueue).toBe(0);
    expect(r.depth).toBe(6);
    expect(r.tlcSeconds).toBeCloseTo(0.576);
    expect(r.trace).toEqual([]);
    expect(r.coverage).toEqual([
      { module: 'Fixture', action: 'Inc', distinct: 5, generated: 5 },
      { module: 'Fixture', action: 'Claim', distinct: 8, generated: 18 },
      { module: 'Fixture', action: 'Never', distinct: 0, generated: 0 },
      { module: 'Fixture', action: 'Next', position: '39:9', distinct: 9, generated: 9 },
    ]);
    expect(r.modules).toEqual(['Naturals', 'Sequences', 'FixtureAbstract', 'Fixture']);
  });

  it('reads an invariant violation with its name and counterexample', () => {
    const r = parseTlcOutput(fixture('invariant.out'), { exitCode: 12 });
    expect(r.result).toEqual({ kind: 'invariant', name: 'XSmall', initial: false });
    expect(traceLength(r.trace)).toBe(3);
    expect(r.trace[0]).toEqual({
      kind: 'state',
      index: 1,
      action: 'Init',
      vars: { seen: '{}', owner: '[a |-> 0, b |-> 0]', x: '0', log: '<<>>' },
    });
    expect(r.trace[2]).toMatchObject({ kind: 'state', index: 3, action: 'Inc', module: 'Fixture' });
  });

  it('reads a deadlock', () => {
    const r = parseTlcOutput(fixture('deadlock.out'), { exitCode: 11 });
    expect(r.result).toEqual({ kind: 'deadlock' });
    expect(traceLength(r.trace)).toBe(2);
  });

  it('reads an action-property violation, which TLC names only by position', () => {
    const r = parseTlcOutput(fixture('refinement.out'), { exitCode: 12 });
    expect(r.result).toEqual({
      kind: 'property',
      location: 'line 4, col 18 to line 4, col 42 of module FixtureAbstract',
      temporal: false,
    });
    expect(traceLength(r.trace)).toBeGreaterThan(1);
  });

  it('reads a temporal-property violation ending in stuttering', () => {
    const r = parseTlcOutput(fixture('temporal.out'), { exitCode: 13 });
    expect(r.result).toEqual({ kind: 'property', temporal: true });
    expect(r.trace.at(-1)).toEqual({ kind: 'stuttering', index: 6 });
    expect(traceLength(r.trace)).toBe(5);
  });

  it.each([
    ['a parse error', 'parse-error.out', 150, 'parse-error', 'Encountered'],
    ['a semantic error, apart from a parse error', 'semantic-error.out', 150, 'semantic-error', 'Unknown operator'],
    ['an evaluation error inside an exception wrapper', 'evaluation.out', 255, 'evaluation-error', 'Head to the empty sequence'],
  ])('reads %s as a failure with its message', (_what, file, exitCode, kind, text) => {
    const r = parseTlcOutput(fixture(file), { exitCode });
    expect(r.result.kind).toBe(kind);
    expect('message' in r.result ? r.result.message : '').toContain(text);
  });

  it('reads configuration errors: an undefined invariant, a missing cfg file', () => {
    const undefinedInvariant = parseTlcOutput(fixture('undefined-invariant.out'), { exitCode: 151 });
    expect(undefinedInvariant.result.kind).toBe('config-error');
    const missing = parseTlcOutput(fixture('missing-cfg.out'), { exitCode: 151 });
    expect(missing.result.kind).toBe('config-error');
    expect(missing.result.kind === 'config-error' && missing.result.message).toContain('File not found');
  });

  it('reads a simulation run as a simulation, without distinct states', () => {
    const r = parseTlcOutput(fixture('simulation.out'), { exitCode: 0 });
    expect(r.mode).toBe('simulation');
    expect(r.result).toEqual({ kind: 'pass' });
    expect(r.statesGenerated).toBe(18650);
    expect(r.distinctStates).toBeUndefined();
    // Coverage in simulation mode: states generated, never distinct ones.
    expect(r.coverage.find((c) => c.action === 'Inc')).toEqual({
      module: 'Fixture',
      action: 'Inc',
      distinct: 0,
      generated: 7065,
    });
  });

  it('reports a run the runner stopped as cut short, never as a pass', () => {
    const text = fixture('timeout.out');
    expect(parseTlcOutput(text, { exitCode: null, timedOutAfterSeconds: 4 }).result).toEqual({
      kind: 'timeout',
      seconds: 4,
    });
    // Even without being told, an output that stops before TLC finished is not a pass.
    expect(parseTlcOutput(text, { exitCode: null }).result.kind).toBe('incomplete');
  });

  it('does not take an exhaustive run that finished without saying "no error" as a pass', () => {
    const text = fixture('pass.out').replace(/@!@!@STARTMSG 2193:0 @!@!@[\s\S]*?@!@!@ENDMSG 2193 @!@!@\n/, '');
    expect(text).not.toContain('No error has been found');
    expect(parseTlcOutput(text, { exitCode: 0 }).result.kind).toBe('incomplete');
  });

  it('does not take a clean-looking output with a failing exit code as a pass', () => {
    expect(parseTlcOutput(fixture('pass.out'), { exitCode: 1 }).result.kind).toBe('incomplete');
  });

  it('keeps only the last coverage report when TLC printed several', () => {
    const text = fixture('pass.out');
    const block = text.slice(text.indexOf('@!@!@STARTMSG 2201:0'), text.indexOf('@!@!@ENDMSG 2202 @!@!@'));
    const earlier = block.replace(/: (\d+):(\d+)\n/g, ': 0:0\n');
    const r = parseTlcOutput(earlier + '@!@!@ENDMSG 2202 @!@!@\n' + text);
    expect(r.coverage.find((c) => c.action === 'Inc')?.distinct).toBe(5);
  });
});

describe('parseFinishedSeconds', () => {
  it.each([
    ['Finished in 638ms at (2026-11-23 02:20:55)', 0.638],
    ['Finished in 06s at (2026-11-23 02:25:21)', 6],
    ['Finished in 01min 02s at (2026-11-23)', 62],
    ['Finished in 01h 02min 03s at (2026-11-23)', 3723],
  ])('%s', (line, seconds) => {
    expect(parseFinishedSeconds(line)).toBeCloseTo(seconds);
  });
});
