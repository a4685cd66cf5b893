// A member's own trace (traceDir in zoo.cfg): its spec steps and the
// messages it sends and receives, appended to <traceDir>/member-<id>.ndjson
// in the format src/trace/events.ts describes. Lines are buffered and
// written with one system call before the transport writes to a peer's
// socket and before a connection is opened or closed (MemberServer), so a
// step is on file before any
// message it sent can have arrived anywhere, and a process killed at any
// point leaves whole lines.

import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ServerId } from '../core/zab/messages.js';
import type { SpecEvent } from '../core/zab/trace.js';
import { memberLine } from '../trace/events.js';

/** Microseconds of the host's monotonic clock, which every process on it shares. */
export function traceClock(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function memberTracePath(traceDir: string, myid: ServerId): string {
  return path.join(traceDir, `member-${myid}.ndjson`);
}

export class MemberTraceFile {
  private lines: string[] = [];
  private fd: number;

  private constructor(
    fd: number,
    /** whether an earlier process of this member wrote to the file */
    readonly restarted: boolean,
  ) {
    this.fd = fd;
  }

  /** Opens (appends to) the member's trace file and writes the header of this process. */
  static open(traceDir: string, myid: ServerId, servers: readonly ServerId[], voters: readonly ServerId[]): MemberTraceFile {
    mkdirSync(traceDir, { recursive: true });
    const fd = openSync(memberTracePath(traceDir, myid), 'a');
    const file = new MemberTraceFile(fd, fstatSync(fd).size > 0);
    file.lines.push(memberLine({ member: 'verikeeper-zab-member', srv: myid, servers: [...servers], voters: [...voters], pid: process.pid, t: traceClock() }));
    file.flush();
    return file;
  }

  step(event: SpecEvent): void {
    this.lines.push(memberLine({ t: traceClock(), step: event }));
  }

  wire(dir: 'send' | 'recv', id: string): void {
    this.lines.push(dir === 'send' ? memberLine({ t: traceClock(), send: id }) : memberLine({ t: traceClock(), recv: id }));
  }

  flush(): void {
    if (this.lines.length === 0 || this.fd < 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Whoever kills a member's process says so in its trace (the process cannot). */
export function appendCrash(traceDir: string, myid: ServerId, t: number): void {
  const fd = openSync(memberTracePath(traceDir, myid), 'a');
  try {
    writeSync(fd, memberLine({ t, crash: true }) + '\n');
  } finally {
    closeSync(fd);
  }
}
