// Member traces merged into one: each member's steps keep their order, a
// step that took a message follows the step that sent it whatever the
// clocks say, a crash between two processes of a member is put in after
// everything that took its messages, and traces that cannot be ordered or
// do not fit together are refused by name.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpecAction, SpecEvent, SpecPost } from '../../src/core/zab/trace.js';
import { type MemberHeader, type MemberIncarnation, type MemberLine, TraceFormatError, readMemberTrace } from '../../src/trace/events.js';
import { mergeMemberTraces } from '../../src/trace/merge.js';
import { MemberTraceFile, appendCrash, memberTracePath, traceClock } from '../../src/server/member-trace.js';

const SERVERS = [1, 2, 3];

function post(over: Partial<SpecPost> = {}): SpecPost {
  return {
    state: 'LOOKING',
    zabState: 'ELECTION',
    clock: 1,
    vote: { leader: 3, zxid: [0, 0], epoch: 0 },
    last: [0, 0],
    durable: [0, 0],
    committed: [0, 0],
    accepted: 0,
    current: 0,
    ...over,
  };
}

function step(srv: number, action: SpecAction, peer?: number, p: Partial<SpecPost> = {}): SpecEvent {
  return { action, srv, ...(peer !== undefined ? { peer } : {}), post: post(p) };
}

function header(srv: number, t = 0): MemberHeader {
  return { member: 'verikeeper-zab-member', srv, servers: SERVERS, voters: SERVERS, pid: 100 + srv, t };
}

function member(srv: number, ...parts: MemberLine[][]): { name: string; parts: MemberIncarnation[] } {
  return { name: `member-${srv}`, parts: parts.map((lines, k) => ({ header: header(srv, k), lines })) };
}

const order = (events: readonly SpecEvent[]): string[] => events.map((e) => `${e.srv}:${e.action}`);

describe('merging member traces', () => {
  it('puts a receive after its send when the receiver’s clock is behind', () => {
    const r = mergeMemberTraces(
      [
        member(1, [
          { t: 1000, step: step(1, 'FLENotificationTimeout') },
          { t: 1001, send: 'e:a>b#1' },
        ]),
        // member 2's clock runs 900 µs behind: its receipt is logged "before" the send
        member(2, [
          { t: 50, step: step(2, 'FLENotificationTimeout') },
          { t: 200, recv: 'e:a>b#1' },
          { t: 201, step: step(2, 'FLEReceiveNotification', 1) },
          { t: 300, step: step(2, 'FLEDecide') },
        ]),
      ],
      'test',
    );
    expect(order(r.trace.events)).toEqual(['2:FLENotificationTimeout', '1:FLENotificationTimeout', '2:FLEReceiveNotification', '2:FLEDecide']);
    expect(r.matched).toBe(1);
    expect(r.unmatched).toBe(0);
    expect(r.trace.header).toEqual({ trace: 'verikeeper-zab', servers: SERVERS, voters: SERVERS, source: 'test' });
  });

  it('follows the clock where nothing orders the steps', () => {
    const r = mergeMemberTraces(
      [
        member(1, [{ t: 10, step: step(1, 'FLENotificationTimeout') }, { t: 30, step: step(1, 'FLEDecide') }]),
        member(2, [{ t: 20, step: step(2, 'FLENotificationTimeout') }, { t: 40, step: step(2, 'FLEDecide') }]),
      ],
      'test',
    );
    expect(order(r.trace.events)).toEqual(['1:FLENotificationTimeout', '2:FLENotificationTimeout', '1:FLEDecide', '2:FLEDecide']);
  });

  it('orders nothing by a message that no member logged as sent, or that the next step did not take', () => {
    const r = mergeMemberTraces(
      [
        member(1, [{ t: 500, step: step(1, 'FlushLog') }, { t: 501, send: 'q:a>b#1' }]),
        member(2, [
          { t: 10, recv: 'q:x>y#7' },
          { t: 11, step: step(2, 'LearnerProcessCOMMIT', 1) },
          // a PING, say: the next step is not a receipt from 1
          { t: 600, recv: 'q:a>b#1' },
          { t: 601, step: step(2, 'FlushLog') },
        ]),
      ],
      'test',
    );
    expect(r.unmatched).toBe(1);
    expect(r.matched).toBe(0);
    expect(order(r.trace.events)).toEqual(['2:LearnerProcessCOMMIT', '1:FlushLog', '2:FlushLog']);
  });

  it('puts a crash between two processes of a member, after every receipt of what the first sent', () => {
    const r = mergeMemberTraces(
      [
        member(
          3,
          [
            { t: 100, step: step(3, 'LeaderCommit', undefined, { state: 'LEADING', zabState: 'BROADCAST', clock: 4, last: [1, 2], durable: [1, 2], committed: [1, 2], accepted: 1, current: 1 }) },
            { t: 101, send: 'q:l>f#9' },
            { t: 150, crash: true },
          ],
          [{ t: 900, step: step(3, 'Restart', undefined, { clock: 1, last: [1, 2], durable: [1, 2], committed: [0, 0], accepted: 1, current: 1 }) }],
        ),
        member(1, [
          { t: 120, step: step(1, 'FlushLog') },
          // TCP delivered the COMMIT after the leader died
          { t: 200, recv: 'q:l>f#9' },
          { t: 201, step: step(1, 'LearnerProcessCOMMIT', 3) },
          { t: 300, step: step(1, 'LearnerTimeout') },
        ]),
      ],
      'test',
    );
    expect(r.crashes).toBe(1);
    expect(order(r.trace.events)).toEqual(['3:LeaderCommit', '1:FlushLog', '1:LearnerProcessCOMMIT', '3:Crash', '1:LearnerTimeout', '3:Restart']);
    const crash = r.trace.events[3]!;
    // what the restarted member had, with the clock and vote from before the crash
    expect(crash.post).toEqual(post({ state: 'LOOKING', zabState: 'DOWN', clock: 4, last: [1, 2], durable: [1, 2], committed: [0, 0], accepted: 1, current: 1 }));
  });

  it('drops what members logged after the run ended', () => {
    const r = mergeMemberTraces(
      [
        member(1, [{ t: 10, step: step(1, 'FLEDecide') }, { t: 99, step: step(1, 'ConnectionClosed', 2) }]),
        member(2, [{ t: 20, step: step(2, 'FLEDecide') }]),
      ],
      'test',
      50,
    );
    expect(order(r.trace.events)).toEqual(['1:FLEDecide', '2:FLEDecide']);
  });

  it('refuses traces that cannot be ordered, naming the steps that wait', () => {
    const merge = (): unknown =>
      mergeMemberTraces(
        [
          member(1, [
            { t: 1, recv: 'e:b>a#1' },
            { t: 2, step: step(1, 'FLEReceiveNotification', 2) },
            { t: 3, send: 'e:a>b#1' },
          ]),
          member(2, [
            { t: 1, recv: 'e:a>b#1' },
            { t: 2, step: step(2, 'FLEReceiveNotification', 1) },
            { t: 3, send: 'e:b>a#1' },
          ]),
        ],
        'test',
      );
    expect(merge).toThrow(TraceFormatError);
    expect(merge).toThrow(/member 1 at FLEReceiveNotification \(after 2:FLEReceiveNotification\)/);
  });

  it('refuses traces of different ensembles, two of one member, and a restart that is not one', () => {
    const other = { name: 'member-2', parts: [{ header: { ...header(2), servers: [1, 2] }, lines: [] }] };
    expect(() => mergeMemberTraces([member(1, []), other], 'test')).toThrow(/not member 2 of \[1,2,3\]/);
    expect(() => mergeMemberTraces([member(1, []), member(1, [])], 'test')).toThrow(/a second trace of member 1/);
    expect(() =>
      mergeMemberTraces([member(1, [{ t: 1, step: step(1, 'FLEDecide') }], [{ t: 5, step: step(1, 'FLEDecide') }])], 'test'),
    ).toThrow(/process 2 of member 1 begins with FLEDecide, not Restart/);
    expect(() => mergeMemberTraces([member(1, [{ t: 1, crash: true }, { t: 2, step: step(1, 'FLEDecide') }])], 'test')).toThrow(
      /logged after it was killed/,
    );
  });
});

describe('member trace files', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hold a header per process, the steps and the messages, and a crash appended by whoever killed it', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'member-trace-'));
    const first = MemberTraceFile.open(dir, 2, SERVERS, SERVERS);
    expect(first.restarted).toBe(false);
    first.step(step(2, 'FLEDecide'));
    first.wire('send', 'e:a>b', 1);
    first.flush();
    // nothing is lost if the process dies now: the lines are in the file
    const written = readMemberTrace(readFileSync(memberTracePath(dir, 2), 'utf8'));
    expect(written[0]!.lines.map((l) => Object.keys(l).sort().join(','))).toEqual(['step,t', 'send,t']);
    appendCrash(dir, 2, 12345);
    const second = MemberTraceFile.open(dir, 2, SERVERS, SERVERS);
    expect(second.restarted).toBe(true);
    second.wire('recv', 'e:b>a', 1);
    second.close();
    const parts = readMemberTrace(readFileSync(memberTracePath(dir, 2), 'utf8'), 'member-2');
    expect(parts.map((p) => p.lines.length)).toEqual([3, 1]);
    expect(parts[0]!.lines[2]).toEqual({ t: 12345, crash: true });
    expect(parts[1]!.header.pid).toBe(process.pid);
  });

  it('time lines by the host clock every process shares (hrtime), to the microsecond', () => {
    for (let i = 0; i < 1000; i++) {
      const before = Number(process.hrtime.bigint() / 1000n);
      const t = traceClock();
      const after = Number(process.hrtime.bigint() / 1000n);
      expect(t).toBeGreaterThanOrEqual(before - 1);
      expect(t).toBeLessThanOrEqual(after + 1);
    }
  });

  it('log only the variables a step changed, and read back whole steps', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'member-trace-'));
    const f = MemberTraceFile.open(dir, 3, SERVERS, SERVERS);
    const first = step(3, 'FLEDecide', undefined, { state: 'LEADING', zabState: 'DISCOVERY' });
    const second = step(3, 'LeaderProcessRequest', undefined, { state: 'LEADING', zabState: 'DISCOVERY', last: [1, 1] });
    const third = step(3, 'LeaderProcessACK', 1, { state: 'LEADING', zabState: 'DISCOVERY', last: [1, 1] });
    f.step(first);
    f.wire('recv', 'q:b>a', 1);
    f.step(second);
    f.wire('send', 'q:a>b', 1);
    f.wire('send', 'q:a>c', 1);
    f.wire('recv', 'q:b>a', 2);
    f.step(third);
    f.wire('recv', 'q:b>a', 3);
    f.close();
    const text = readFileSync(memberTracePath(dir, 3), 'utf8');
    // a step's line holds the messages received before it and sent after it, by channel and number
    const onFile = text.trim().split('\n').slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(onFile.map((l) => l['id'] ?? [l['recv'], l['send']])).toEqual([
      'q:b>a',
      [undefined, undefined],
      'q:a>b',
      'q:a>c',
      [[[1, 1]], [[2, 1], [3, 1]]],
      [[[1, 2]], undefined],
      [[1, 3], undefined],
    ]);
    // on file a line's time is the time since the line before; read back, the host's clock again
    const [part] = readMemberTrace(text);
    const times = part!.lines.map((l) => l.t);
    expect(times.every((t, i) => t >= (i === 0 ? part!.header.t : times[i - 1]!))).toBe(true);
    expect(times.at(-1)! - part!.header.t).toBe(onFile.reduce((sum, l) => sum + ((l['dt'] as number | undefined) ?? 0), 0));
    const read = readMemberTrace(text)[0]!.lines.map((l) => ('step' in l ? l.step.action : 'send' in l ? `send ${l.send}` : 'recv' in l ? `recv ${l.recv}` : 'crash'));
    expect(read).toEqual(['FLEDecide', 'recv q:b>a#1', 'LeaderProcessRequest', 'send q:a>b#1', 'send q:a>c#1', 'recv q:b>a#2', 'LeaderProcessACK', 'recv q:b>a#3']);
    expect(onFile.filter((l) => 'step' in l).map((l) => (l['step'] as { post: object }).post)).toEqual([first.post, { last: [1, 1] }, {}]);
    expect(readMemberTrace(text)[0]!.lines.flatMap((l) => ('step' in l ? [l.step] : []))).toEqual([first, second, third]);
    // a process's first step carries every variable; a trace whose first step does not is refused
    const lines = text.split('\n').filter((l) => !l.includes('"channel"'));
    expect(() => readMemberTrace([lines[0], lines[2]].join('\n'), 'm')).toThrow(/m line 2: .*first step.*state, zabState, clock/);
  });

  it('refuse a step that is not one, when written and when read', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'member-trace-'));
    const f = MemberTraceFile.open(dir, 1, SERVERS, SERVERS);
    // checked when its line is done: here, when it is to be written
    f.step({ ...step(1, 'FLEDecide'), action: 'Teleport' as SpecAction });
    expect(() => f.flush()).toThrow(TraceFormatError);
    f.step(step(1, 'FLEDecide', undefined, { clock: -1 }));
    expect(() => f.close()).toThrow(/member trace step: .*clock/);
    expect(() => readMemberTrace('{"t":1,"step":{}}\n', 'm')).toThrow(/m line 1: a line before the first header/);
    expect(() => readMemberTrace(`${JSON.stringify(header(1))}\n{"t":1,"send":3}\n`, 'm')).toThrow(/m line 2/);
    expect(() => readMemberTrace(`${JSON.stringify(header(1))}\nnot json\n`, 'm')).toThrow(/m line 2: not JSON/);
    expect(() => readMemberTrace(`${JSON.stringify(header(1))}\n{"dt":1,"send":[2,1]}\n`, 'm')).toThrow(/m line 2: channel 2 was not named/);
  });
});
