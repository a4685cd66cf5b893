import { describe, expect, it } from 'vitest';
import { decodeFaults } from '../../src/sim/faults-codec.js';

describe('fault schedules', () => {
  it('decode what a failure report prints', () => {
    const faults = [
      { at: 10, kind: 'crash', member: 1, downFor: 500 },
      { at: 20, kind: 'drop', client: 2 },
      { at: 30, kind: 'slowDisk', member: 1, for: 100 },
      { at: 40, kind: 'slowNet', for: 50 },
    ];
    expect(decodeFaults(JSON.stringify(faults))).toEqual(faults);
  });

  it('refuse what is not a schedule, naming what is wrong', () => {
    expect(() => decodeFaults('[{')).toThrow(/not JSON/);
    expect(() => decodeFaults('[{"at":1,"kind":"meteor"}]')).toThrow(/bad fault schedule/);
    expect(() => decodeFaults('[{"at":-1,"kind":"drop","client":0}]')).toThrow(/non-negative/);
    expect(() => decodeFaults('[{"at":1,"kind":"drop"}]')).toThrow(/client/);
    expect(() => decodeFaults('[{"at":1,"kind":"drop","client":0,"extra":true}]')).toThrow(/unknown field\(s\) extra/);
    expect(() => decodeFaults('{"at":1}')).toThrow(/bad fault schedule/);
  });
});

describe('ensemble fault schedules', () => {
  it('take partitions, snapshots and killed processes too, and refuse a partition in a standalone schedule', async () => {
    const { decodeEnsembleFaults } = await import('../../src/sim/faults-codec.js');
    const faults = [
      { at: 5, kind: 'partition', isolate: [1, 2], for: 300 },
      { at: 7, kind: 'snapshot', member: 2 },
      { at: 9, kind: 'crash', member: 3, downFor: 10 },
      { at: 11, kind: 'kill', member: 1, downFor: 20 },
    ];
    expect(decodeEnsembleFaults(JSON.stringify(faults))).toEqual(faults);
    expect(() => decodeFaults(JSON.stringify(faults))).toThrow(/bad fault schedule/);
    expect(() => decodeEnsembleFaults('[{"at":5,"kind":"partition","isolate":[-1],"for":3}]')).toThrow(/bad fault schedule/);
    expect(() => decodeFaults('[{"at":7,"kind":"snapshot","member":2}]')).toThrow(/bad fault schedule/);
  });
});
