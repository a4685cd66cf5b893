import { describe, expect, it } from 'vitest';
import { traceCfg, traceModule } from '../../src/tlc/trace-check.js';
import { traceValues, zabSetup } from '../../src/trace/zab-check.js';
import type { Trace } from '../../src/trace/events.js';

describe('the module TLC checks a trace with', () => {
  it('defines the events once and binds the trace constant to a name for them', () => {
    const m = traceModule('TraceRun1', 'TraceZab', [{ action: 'Crash', srv: 1 }], { TraceValues: { $set: ['a'] } });
    expect(m).toContain('EXTENDS TraceZab, TLC');
    expect(m).toContain('TraceEvents == <<\n    [action |-> "Crash", srv |-> 1]\n>>');
    expect(m).toContain('TheTrace == TraceEvents');
    expect(m).toContain('TraceValues == {"a"}');
    expect(traceCfg('progress', ['CONSTANT Value <- TraceValues'])).toBe(
      'CONSTANT TraceLog <- TheTrace\nCONSTANT Value <- TraceValues\nINIT CheckedInit\nNEXT CheckedNext\n',
    );
  });

  it('binds Value to the values the run proposed, each once', () => {
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
    const trace = {
      header: { trace: 'verikeeper-zab', servers: [1, 2, 3], voters: [1, 2, 3], source: 'test' },
      events: [
        { action: 'LeaderProcessRequest', srv: 1, value: '1.1', post },
        { action: 'FlushLog', srv: 1, post },
        { action: 'LeaderProcessRequest', srv: 1, value: '1.2', post },
        { action: 'LeaderProcessRequest', srv: 1, value: '1.1', post },
      ],
    } as unknown as Trace;
    expect(traceValues(trace)).toEqual({ $set: ['1.1', '1.2'] });
    const setup = zabSetup({ java: 'java', javaOptions: [], jar: 'tlc.jar', specDir: 'spec', workDir: 'work', timeoutSeconds: 1 }, trace);
    expect(setup.cfgLines).toContain('CONSTANT Value <- TraceValues');
    expect(setup.definitions).toEqual({ TraceValues: { $set: ['1.1', '1.2'] } });
  });
});
