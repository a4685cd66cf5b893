import { describe, expect, it } from 'vitest';
import { parseTlcOutput } from '../../src/tlc/tlc-output.js';
import { formatCounterexample, parseAssignments, parseStateMessage } from '../../src/tlc/trace.js';
import { fixture } from './fixtures.js';

describe('parseStateMessage', () => {
  it('reads the action and every variable, joining values TLC broke over lines', () => {
    const step = parseStateMessage(
      '4: <Accept line 126, col 5 to line 127, col 25 of module Paxos>\n' +
        '/\\ promised = (a1 :> 1 @@ a2 :> 0)\n' +
        '/\\ msgs = { [type |-> "1a", bal |-> 0],\n  [type |-> "1a", bal |-> 1] }',
    );
    expect(step).toEqual({
      kind: 'state',
      index: 4,
      action: 'Accept',
      module: 'Paxos',
      vars: { promised: '(a1 :> 1 @@ a2 :> 0)', msgs: '{ [type |-> "1a", bal |-> 0], [type |-> "1a", bal |-> 1] }' },
    });
  });

  it('reads a state of a spec with a single variable (no /\\ bullets)', () => {
    expect(parseAssignments('x = 3\n')).toEqual({ x: '3' });
  });

  it('reads the end of a lasso and stuttering', () => {
    expect(parseStateMessage('2: Back to state: <Back line 6, col 9 to line 6, col 38 of module L>')).toEqual({
      kind: 'back-to',
      index: 2,
      action: 'Back',
      module: 'L',
    });
    expect(parseStateMessage('3: Stuttering')).toEqual({ kind: 'stuttering', index: 3 });
  });
});

describe('formatCounterexample', () => {
  it('lists one line per step with only the variables the step changed', () => {
    const report = parseTlcOutput(fixture('temporal.out'));
    expect(formatCounterexample(report.trace)).toEqual([
      '1. Init: seen = {}; owner = [a |-> 0, b |-> 0]; x = 0; log = <<>>',
      // An empty sequence prints like an empty function, so it is replaced, not appended to.
      '2. Inc: seen += {0}; x = 1; log = <<0>>',
      '3. Claim: owner.a = 1',
      '4. Next: seen = {}',
      '5. Claim: owner.b = 1',
      '6. (stuttering: nothing changes from here on)',
    ]);
  });

  it('narrows a function to the entries that changed and a set to the elements added', () => {
    const trace = [
      { kind: 'state', index: 1, action: 'Init', vars: { f: '(a1 :> -1 @@ a2 :> -1)', s: '{1}' } },
      { kind: 'state', index: 2, action: 'Step', vars: { f: '(a1 :> -1 @@ a2 :> 4)', s: '{1, 2}' } },
      { kind: 'state', index: 3, action: 'Drop', vars: { f: '(a1 :> -1 @@ a2 :> 4)', s: '{2}' } },
      { kind: 'back-to', index: 2, action: 'Loop' },
    ] as const;
    expect(formatCounterexample(trace)).toEqual([
      '1. Init: f = (a1 :> -1 @@ a2 :> -1); s = {1}',
      '2. Step: f[a2] = 4; s += {2}',
      '3. Drop: s -= {1}',
      '   Loop leads back to state 2: the behaviour repeats from there forever',
    ]);
  });

  it('says so when a step changed nothing it can see', () => {
    const trace = [
      { kind: 'state', index: 1, action: 'Init', vars: { x: '1' } },
      { kind: 'state', index: 2, action: 'Noop', vars: { x: '1' } },
    ] as const;
    expect(formatCounterexample(trace)[1]).toBe('2. Noop: (no variable changed)');
  });
});
