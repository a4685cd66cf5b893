import { describe, expect, it } from 'vitest';
import { diffValues, parseTlaValue, showChange, showTlaValue } from '../../src/tlc/tla-value.js';

const changes = (name: string, a: string, b: string): string[] => diffValues(name, a, b).map(showChange);

describe('parseTlaValue', () => {
  it.each([
    '{}',
    '<<>>',
    '{1, 2}',
    '<<"a", "b,c">>',
    '[type |-> "1b", bal |-> -1, vval |-> NoValue]',
    '(a1 :> <<1, 2>> @@ a2 :> [x |-> {TRUE}])',
    '{[type |-> "2a", bal |-> 0, val |-> v1], [type |-> "2a", bal |-> 1, val |-> v2]}',
  ])('reads and prints %s back', (text) => {
    const v = parseTlaValue(text);
    expect(v).toBeDefined();
    expect(showTlaValue(v!)).toBe(text);
  });

  it('joins values spread over lines', () => {
    expect(showTlaValue(parseTlaValue('{ [a |-> 1],\n  [a |-> 2] }')!)).toBe('{[a |-> 1], [a |-> 2]}');
  });

  it('refuses text that is not a whole value', () => {
    expect(parseTlaValue('{1, 2')).toBeUndefined();
    expect(parseTlaValue('1 2')).toBeUndefined();
  });
});

describe('diffValues', () => {
  it('reports nothing for equal values, however they are laid out', () => {
    expect(changes('s', '{1,\n 2}', '{1, 2}')).toEqual([]);
  });

  it('narrows nested functions and records down to what changed', () => {
    expect(
      changes('votes', '(a1 :> (1 :> [bal |-> -1, val |-> none]))', '(a1 :> (1 :> [bal |-> 2, val |-> none]))'),
    ).toEqual(['votes[a1][1].bal = 2']);
  });

  it('prints a record whole when several fields changed', () => {
    expect(changes('r', '[bal |-> 1, val |-> v1]', '[bal |-> 2, val |-> v2]')).toEqual(['r = [bal |-> 2, val |-> v2]']);
  });

  it('shows appended sequence elements, and a new value otherwise', () => {
    expect(changes('log', '<<1>>', '<<1, 2, 3>>')).toEqual(['log += <<2, 3>>']);
    expect(changes('log', '<<1, 2>>', '<<1>>')).toEqual(['log = <<1>>']);
    expect(changes('log', '<<1, 2>>', '<<1, 3>>')).toEqual(['log[2] = 3']);
  });

  it('shows sets emptied as the empty set and other set changes as elements', () => {
    expect(changes('s', '{1, 2}', '{}')).toEqual(['s = {}']);
    expect(changes('s', '{1, 2}', '{2, 3}')).toEqual(['s += {3}', 's -= {1}']);
  });

  it('falls back to the whole value when a function gains a key or the text is unreadable', () => {
    expect(changes('f', '(a :> 1)', '(a :> 1 @@ b :> 2)')).toEqual(['f = (a :> 1 @@ b :> 2)']);
    expect(changes('x', 'foo bar', 'foo  baz')).toEqual(['x = foo  baz']);
  });
});
