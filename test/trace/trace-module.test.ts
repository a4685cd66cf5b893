import { describe, expect, it } from 'vitest';
import { matchedEvents, traceCfg, traceModule } from '../../src/tlc/trace-check.js';
import { batches, traceValues, zabSetup } from '../../src/trace/zab-check.js';
import type { Trace } from '../../src/trace/events.js';

const post = {
  state: 'LEADING',
  zabState: 'BROADCAST',
  clock: 1,
  vote: { leader: 1, zxid: [0, 0], epoch: 0 },
  last: [1, 1],
  durable: [0, 0],
  committed: [0, 0],
  accepted: 1,
  current: 1,
};

function trace(servers: number[], values: string[]): Trace {
  return {
    header: { trace: 'verikeeper-zab', servers, voters: servers.slice(0, 3), source: 'test' },
    events: [{ action: 'FlushLog', srv: 1, post }, ...values.map((value) => ({ action: 'LeaderProcessRequest', srv: 1, value, post }))],
  } as unknown as Trace;
}

describe('the module TLC checks traces with', () => {
  it('defines each trace once and binds the traces constant to a name for them', () => {
    const m = traceModule('TraceRun1', 'TraceZab', [[{ action: 'Crash', srv: 1 }], []], { TraceValues: { $set: ['a'] } });
    expect(m).toContain('EXTENDS TraceZab, TLC');
    expect(m).toContain('TraceEvents1 == <<\n    [action |-> "Crash", srv |-> 1]\n>>');
    expect(m).toContain('TraceEvents2 == <<>>');
    expect(m).toContain('TraceBatch == <<TraceEvents1, TraceEvents2>>');
    expect(m).toContain('TheTraces == TraceBatch');
    expect(m).toContain('TraceValues == {"a"}');
    expect(m).toContain('CheckedInit == TraceInit /\\ TLCSet(t, 0)');
    expect(traceCfg('progress', ['CONSTANT Value <- TraceValues'])).toBe(
      'CONSTANT Traces <- TheTraces\nCONSTANT Value <- TraceValues\nINIT CheckedInit\nNEXT CheckedNext\n',
    );
  });

  it('reads how many events of each trace some behaviour matched', () => {
    const out = ['<<"TRACE-MATCHED", 2, 1>>', '<<"TRACE-MATCHED", 1, 1>>', '<<"TRACE-MATCHED", 2, 2>>', '<<"TRACE-MATCHED", 2, 3>>'].join('\n');
    expect(matchedEvents(out, 3)).toEqual([1, 3, 0]);
  });

  it('binds Value to the values the runs proposed, each once', () => {
    const a = trace([1, 2, 3], ['1.1', '1.2', '1.1']);
    const b = trace([1, 2, 3], ['1.2', '2.1']);
    expect(traceValues([a])).toEqual({ $set: ['1.1', '1.2'] });
    const setup = zabSetup({ java: 'java', javaOptions: [], jar: 'tlc.jar', specDir: 'spec', workDir: 'work', timeoutSeconds: 1 }, [a, b]);
    expect(setup.cfgLines).toEqual(['CONSTANT Server = {1, 2, 3}', 'CONSTANT Voter = {1, 2, 3}', 'CONSTANT Value <- TraceValues']);
    expect(setup.definitions).toEqual({ TraceValues: { $set: ['1.1', '1.2', '2.1'] } });
  });

  it('checks together only traces with the same servers and voters, at most so many', () => {
    const three = trace([1, 2, 3], []);
    const four = trace([1, 2, 3, 4], []);
    expect(batches([three, four, three, three, four, three], 2)).toEqual([[0, 2], [1, 4], [3, 5]]);
    expect(batches([three, three], 1)).toEqual([[0], [1]]);
    expect(() => zabSetup({ java: 'java', javaOptions: [], jar: 'tlc.jar', specDir: 'spec', workDir: 'work', timeoutSeconds: 1 }, [three, four])).toThrow(
      /same servers/,
    );
  });
});
