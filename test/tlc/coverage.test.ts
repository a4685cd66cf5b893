import { describe, expect, it } from 'vitest';
import { type RunCoverage, aggregateCoverage, parseCoverageLine } from '../../src/tlc/coverage.js';
import { parseTlcOutput } from '../../src/tlc/tlc-output.js';
import { fixture } from './fixtures.js';

const run = (model: string, text: string, simulation = false): RunCoverage => ({
  model,
  simulation,
  actions: parseTlcOutput(fixture(text)).coverage,
});

/** A run of module M whose actions are given as [name, distinct, generated]. */
const runOf = (model: string, simulation: boolean, ...actions: [string, number, number][]): RunCoverage => ({
  model,
  simulation,
  actions: actions.map(([action, distinct, generated]) => ({ module: 'M', action, distinct, generated })),
});

describe('parseCoverageLine', () => {
  it('reads a named action and an inline disjunct', () => {
    expect(parseCoverageLine('<Accept line 126, col 1 to line 126, col 6 of module Paxos>: 3:9')).toEqual({
      module: 'Paxos',
      action: 'Accept',
      distinct: 3,
      generated: 9,
    });
    expect(parseCoverageLine('<Next line 7, col 1 to line 7, col 4 of module N (7 10 7 24)>: 1:1')).toEqual({
      module: 'N',
      action: 'Next',
      position: '7:10',
      distinct: 1,
      generated: 1,
    });
  });

  it('ignores the expression lines under an action', () => {
    expect(parseCoverageLine('  line 19, col 8 to line 19, col 16 of module Fixture: 5')).toBeUndefined();
  });
});

describe('aggregateCoverage', () => {
  it('fails an action that fired in no run', () => {
    const summary = aggregateCoverage([run('pass', 'pass.out')]);
    expect(summary.actions.map((a) => a.key)).toEqual([
      'Fixture!Claim',
      'Fixture!Inc',
      'Fixture!Never',
      'Fixture!Next@39:9',
    ]);
    expect(summary.neverFired.map((a) => a.key)).toEqual(['Fixture!Never']);
  });

  it('counts an action fired when any run fired it', () => {
    // In invariant.out Claim generated states but found no new one.
    const alone = aggregateCoverage([run('inv', 'invariant.out')]);
    expect(alone.neverFired.map((a) => a.key)).toEqual(['Fixture!Claim', 'Fixture!Never', 'Fixture!Next@39:9']);
    const both = aggregateCoverage([run('inv', 'invariant.out'), run('temporal', 'temporal.out')]);
    expect(both.neverFired.map((a) => a.key)).toEqual(['Fixture!Never']);
    expect(both.actions.find((a) => a.key === 'Fixture!Claim')).toMatchObject({
      firedIn: ['temporal'],
      seenIn: ['inv', 'temporal'],
    });
  });

  it('counts the actions of a captured simulation run by the states they generated', () => {
    const summary = aggregateCoverage([run('sim', 'simulation.out', true)]);
    expect(summary.neverFired.map((a) => a.key)).toEqual(['Fixture!Never']);
  });

  it('counts generated states in simulation mode, where TLC reports no distinct states', () => {
    const actions: [string, number, number][] = [
      ['A', 0, 12],
      ['B', 0, 0],
    ];
    expect(aggregateCoverage([runOf('sim', true, ...actions)]).neverFired.map((a) => a.key)).toEqual(['M!B']);
    expect(aggregateCoverage([runOf('bfs', false, ...actions)]).neverFired.map((a) => a.key)).toEqual(['M!A', 'M!B']);
  });

  it('names a run that printed no coverage report', () => {
    const summary = aggregateCoverage([run('pass', 'pass.out'), runOf('silent', true)]);
    expect(summary.silentRuns).toEqual(['silent']);
    expect(aggregateCoverage([run('pass', 'pass.out')]).silentRuns).toEqual([]);
  });

  it('merges the same action listed twice in one run', () => {
    const summary = aggregateCoverage([runOf('m', false, ['A', 0, 3], ['A', 2, 3])]);
    expect(summary.actions).toHaveLength(1);
    expect(summary.neverFired).toEqual([]);
  });
});
