import { describe, expect, it } from 'vitest';
import { summarizeCfg } from '../../src/tlc/cfg.js';

describe('summarizeCfg', () => {
  it('collects invariants and properties under every spelling of the keywords, skipping comments', () => {
    const cfg = summarizeCfg(
      [
        '\\* PROPERTY Commented',
        'CONSTANTS Acceptor = {a1, a2} Value = {v1}',
        '(* INVARIANT AlsoCommented (* nested *) *)',
        'INVARIANT TypeOK',
        'INVARIANTS Safety',
        '  Agreement',
        'PROPERTY Refines',
        'PROPERTIES Live1 Live2',
        'SYMMETRY Sym',
      ].join('\n'),
    );
    expect(cfg).toEqual({
      invariants: ['TypeOK', 'Safety', 'Agreement'],
      properties: ['Refines', 'Live1', 'Live2'],
      setsCheckDeadlock: false,
    });
  });

  it('notices CHECK_DEADLOCK', () => {
    expect(summarizeCfg('INIT Init NEXT Next\nCHECK_DEADLOCK FALSE').setsCheckDeadlock).toBe(true);
  });
});
