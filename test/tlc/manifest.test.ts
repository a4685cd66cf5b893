import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checksDeadlock, countsForCoverage, decodeManifest } from '../../src/tlc/manifest.js';

const entry = {
  name: 'Paxos_3acc_2val',
  spec: 'MCPaxos.tla',
  cfg: 'MCPaxos.cfg',
  expect: 'pass',
  class: 'ci',
};
const decode = (models: unknown[]) => decodeManifest(JSON.stringify({ models }));

describe('decodeManifest', () => {
  it('accepts every field of the format and fills the defaults', () => {
    const full = {
      ...entry,
      name: 'Sim',
      expect: { violates: 'Agreement' },
      class: 'full',
      mode: { simulate: { depth: 50, seconds: 120 } },
      checkDeadlock: false,
      timeoutSeconds: 300,
      coverage: false,
    };
    const r = decode([entry, full]);
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) {
      const [a, b] = r.right.models;
      expect(checksDeadlock(a!)).toBe(true);
      expect(countsForCoverage(a!)).toBe(true);
      expect(checksDeadlock(b!)).toBe(false);
      expect(countsForCoverage(b!)).toBe(false);
      expect(b!.mode).toEqual({ simulate: { depth: 50, seconds: 120 } });
    }
  });

  it.each([
    ['an unknown class', { ...entry, class: 'nightly' }],
    ['an expectation that is neither pass nor a violation', { ...entry, expect: 'fail' }],
    ['a zero depth', { ...entry, mode: { simulate: { depth: 0, seconds: 10 } } }],
    ['a fractional timeout', { ...entry, timeoutSeconds: 1.5 }],
    ['a path out of spec/', { ...entry, spec: '../MCPaxos.tla' }],
    ['a cfg that is not a .cfg', { ...entry, cfg: 'MCPaxos.tla' }],
    ['a missing field', { name: 'x', spec: 'A.tla', cfg: 'A.cfg', class: 'ci' }],
    ['a misspelt optional field', { ...entry, checkDeadlok: false }],
  ])('refuses %s', (_what, bad) => {
    expect(E.isLeft(decode([bad]))).toBe(true);
  });

  it('refuses two models with one name, and text that is not JSON', () => {
    expect(E.isLeft(decode([entry, entry]))).toBe(true);
    expect(E.isLeft(decodeManifest('{ models: [] }'))).toBe(true);
  });

  it('accepts the manifest in spec/', () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'spec', 'models.json'), 'utf8');
    const r = decodeManifest(text);
    expect(E.isRight(r) ? [] : r.left).toEqual([]);
  });
});
