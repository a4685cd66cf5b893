import { describe, expect, it } from 'vitest';
import { TlaLiteralError, tlaLiteral } from '../../src/trace/tla-literal.js';

describe('TLA+ literals of trace values', () => {
  it('writes integers, strings, booleans, sequences, records and sets', () => {
    expect(tlaLiteral({ action: 'Go', n: 3, ok: true, path: <const>[1, 2], who: { $set: [1, 2] } })).toBe(
      '[action |-> "Go", n |-> 3, ok |-> TRUE, path |-> <<1, 2>>, who |-> {1, 2}]',
    );
    expect(tlaLiteral('a "quoted" \\ line\nnext')).toBe('"a \\"quoted\\" \\\\ line\\nnext"');
    expect(tlaLiteral([])).toBe('<<>>');
  });

  it('refuses what TLC could not hold, naming where it is', () => {
    expect(() => tlaLiteral({ zxid: 2 ** 32 })).toThrow(new TlaLiteralError('value.zxid is 4294967296, not an integer TLC can hold'));
    expect(() => tlaLiteral([1, 1.5])).toThrow(/value\[2\] is 1\.5/);
    expect(() => tlaLiteral({ 'bad-name': 1 })).toThrow(/field 'bad-name'/);
    expect(() => tlaLiteral({ a: null })).toThrow(/value\.a is null/);
    expect(() => tlaLiteral({})).toThrow(/empty record/);
  });
});
