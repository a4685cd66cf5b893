// A member's own trace (traceDir in zoo.cfg): its spec steps and the
// messages it sends and receives, appended to <traceDir>/member-<id>.ndjson
// in the format src/trace/events.ts describes. A step logs only the
// variables it changed, on one line with the messages received before it
// and sent after it. Lines are buffered and written with one system call
// before the transport writes to a peer's socket and before a connection is
// opened or closed (MemberServer), so a step is on file before any message
// it sent can have arrived anywhere, and a process killed at any point
// leaves whole lines.

import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ServerId } from '../core/zab/messages.js';
import type { SpecEvent, SpecPost } from '../core/zab/trace.js';
import { JsonOut } from '../trace/compiled-codec.js';
import { type MemberStepLine, type WireMessage, memberLine, postChange, writeMemberLine } from '../trace/events.js';

// performance.now() reads the same monotonic clock as hrtime, from this
// process's start, without allocating a bigint for every line. The offset
// is taken from the narrowest of a few hrtime readings around it (the
// first call of performance.now() takes a while: it sets itself up).
const clockOrigin = ((): number => {
  let best = { width: Infinity, origin: 0 };
  for (let i = 0; i < 50; i++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    const width = Number(after - before);
    if (width < best.width) best = { width, origin: Number((before + after) / 2n) / 1000 - now * 1000 };
  }
  return best.origin;
})();

/** Microseconds of the host's monotonic clock, which every process on it shares. */
export function traceClock(): number {
  return Math.floor(clockOrigin + performance.now() * 1000);
}

export function memberTracePath(traceDir: string, myid: ServerId): string {
  return path.join(traceDir, `member-${myid}.ndjson`);
}

export class MemberTraceFile {
  /** lines not yet written, each ending in a newline */
  private readonly pending = new JsonOut();
  /** the last step's line and its time, which takes the messages sent after it until the next line or write */
  private line: MemberStepLine | null = null;
  private lineTime = 0;
  /** the time of the last line written (or of the header) */
  private lastTime: number;
  /** messages received since the last step, for the next one's line */
  private received: WireMessage[] | undefined = undefined;
  /** the numbers this process gave the channels it used (see src/trace/events.ts) */
  private readonly channels = new Map<string, number>();
  /** this process's variables after its last step */
  private post: SpecPost | null = null;
  private fd: number;

  private constructor(
    fd: number,
    /** whether an earlier process of this member wrote to the file */
    readonly restarted: boolean,
    startTime: number,
  ) {
    this.fd = fd;
    this.lastTime = startTime;
  }

  /** Microseconds since the last line's time, for a line of time `t`. */
  private since(t: number): number {
    const dt = Math.max(0, t - this.lastTime);
    this.lastTime += dt;
    return dt;
  }

  /** Opens (appends to) the member's trace file and writes the header of this process. */
  static open(traceDir: string, myid: ServerId, servers: readonly ServerId[], voters: readonly ServerId[]): MemberTraceFile {
    mkdirSync(traceDir, { recursive: true });
    const fd = openSync(memberTracePath(traceDir, myid), 'a');
    const t = traceClock();
    const file = new MemberTraceFile(fd, fstatSync(fd).size > 0, t);
    writeMemberLine({ member: 'verikeeper-zab-member', srv: myid, servers: [...servers], voters: [...voters], pid: process.pid, t }, file.pending);
    file.flush();
    return file;
  }

  step(event: SpecEvent): void {
    this.endLine();
    const post = event.post;
    this.lineTime = traceClock();
    this.line = {
      dt: 0,
      recv: this.received,
      // one shape for every step, which keeps writing them fast
      step: { action: event.action, srv: event.srv, peer: event.peer, value: event.value, msg: event.msg, post: postChange(this.post, post) },
      send: undefined,
    };
    this.received = undefined;
    this.post = post;
  }

  /** Message `n` of `channel` ("kind:host:port>host:port", the sender's view) went out or came in. */
  wire(dir: 'send' | 'recv', channel: string, n: number): void {
    let c = this.channels.get(channel);
    if (c === undefined) {
      c = this.channels.size + 1;
      this.channels.set(channel, c);
      writeMemberLine({ channel: c, id: channel }, this.pending);
    }
    const m: WireMessage = [c, n];
    if (dir === 'recv') (this.received ??= []).push(m);
    else if (this.line) (this.line.send ??= []).push(m);
    else writeMemberLine({ dt: this.since(traceClock()), send: m }, this.pending);
  }

  private endLine(): void {
    const line = this.line;
    if (line === null) return;
    this.line = null;
    line.dt = this.since(this.lineTime);
    writeMemberLine(line, this.pending);
  }

  flush(): void {
    this.endLine();
    const out = this.pending;
    if (out.pos === 0 || this.fd < 0) return;
    let done = 0;
    while (done < out.pos) done += writeSync(this.fd, out.buf, done, out.pos - done);
    out.pos = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.endLine();
    for (const m of this.received ?? []) writeMemberLine({ dt: this.since(traceClock()), recv: m }, this.pending);
    this.received = undefined;
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
