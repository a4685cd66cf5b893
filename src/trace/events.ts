// Trace files: one spec step per line (NDJSON), each checked against its
// codec when it is written and when it is read, so that a trace TLC sees
// is a trace the implementation wrote. The first line is a header naming
// the ensemble (its servers and voters) and where the trace came from.
//
// A real member writes a trace of its own (member traces, below): its
// steps with the time, and a line for every message it sends or receives,
// named so that the sender's and the receiver's lines name the same
// message. src/trace/merge.ts puts the members' traces into one order that
// respects them.

import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { SPEC_ACTIONS, type SpecAction, type SpecEvent, type SpecPost } from '../core/zab/trace.js';
import { JsonOut, compileWriter } from './compiled-codec.js';

const Nat = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'Nat');
const Zxid = t.tuple([Nat, Nat]);
const PeerState = t.keyof({ LOOKING: null, FOLLOWING: null, LEADING: null, OBSERVING: null });
const Phase = t.keyof({ ELECTION: null, DISCOVERY: null, SYNCHRONIZATION: null, BROADCAST: null, DOWN: null });
const Action = t.keyof(Object.fromEntries(SPEC_ACTIONS.map((a) => [a, null])) as Record<SpecAction, null>);

const Vote = t.type({ leader: Nat, zxid: Zxid, epoch: Nat });

/** The spec's variables of one member (SpecPost). */
const postProps = {
  state: PeerState,
  zabState: Phase,
  clock: Nat,
  vote: t.exact(Vote),
  last: Zxid,
  durable: Zxid,
  committed: Zxid,
  accepted: Nat,
  current: Nat,
};
const POST_KEYS = Object.keys(postProps) as Array<keyof SpecPost>;

const stepArgs = t.partial({
  peer: Nat,
  value: t.string,
  msg: t.exact(t.intersection([Vote, t.type({ round: Nat, state: PeerState })])),
});

export const SpecEventCodec = t.exact(t.intersection([t.type({ action: Action, srv: Nat, post: t.exact(t.type(postProps)) }), stepArgs]));

export const TraceHeaderCodec = t.exact(
  t.intersection([
    t.type({
      trace: t.literal('verikeeper-zab'),
      servers: t.array(Nat),
      voters: t.array(Nat),
      /** how the run can be repeated, or what it was */
      source: t.string,
    }),
    t.partial({ seed: t.number, bug: t.string }),
  ]),
);

export type TraceHeader = t.TypeOf<typeof TraceHeaderCodec>;

export interface Trace {
  header: TraceHeader;
  events: SpecEvent[];
}

export class TraceFormatError extends Error {}

// ------------------------------------------------------------ member traces
//
// One file per member (member-<id>.ndjson in the trace directory), appended
// to by every process that runs the member:
//   {"member":"verikeeper-zab-member","srv":2,"servers":[1,2,3],"voters":[1,2,3],"pid":..,"t":..}
//       a process started (a later one: the member restarted)
//   {"channel":3,"id":"q:127.0.0.1:2888>127.0.0.1:41234"}
//       names a way messages go, before the first message that takes it
//   {"dt":..,"recv":[[3,17],..],"step":{...},"send":[[4,9],..]}
//       a step, as in a trace (SpecEvent), except that its post holds only
//       the variables the step changed (all of them in a process's first
//       step); recv: the messages that came in since the line before, send:
//       those that went out after the step and before the line after, each
//       as [channel, number]
//   {"dt":..,"send":[4,10]}  a message that went out when no step line was open
//   {"dt":..,"recv":[3,18]}  a message that came in after the process's last step
//   {"t":..,"crash":true}    written by whoever killed the process
// Times are microseconds of the host's monotonic clock, which every process
// on it shares: t in the header and a crash, dt (since the time of the line
// before, or the header) in the others, which keeps them short. A message's
// id is its channel's, "#", and its number on the channel (from 1). A
// channel is one direction of a connection: "e:" (election) or "q:"
// (quorum), then the sender's "host:port>host:port". Both ends compute the
// same ids without anything added to the wire. Read back (readMemberTrace),
// every line has its time t, a step line is its received messages, the
// step with its whole post, and its sent messages, each a line of its own,
// and messages are named by their ids.

export const MemberHeaderCodec = t.exact(
  t.type({
    member: t.literal('verikeeper-zab-member'),
    srv: Nat,
    servers: t.array(Nat),
    voters: t.array(Nat),
    pid: Nat,
    t: Nat,
  }),
);
export type MemberHeader = t.TypeOf<typeof MemberHeaderCodec>;

/** A step as a member trace holds it: post has the variables it changed. */
const MemberStepCodec = t.exact(t.intersection([t.type({ action: Action, srv: Nat, post: t.exact(t.partial(postProps)) }), stepArgs]));
export type MemberStep = Omit<SpecEvent, 'post'> & { post: Partial<SpecPost> };

/** A message: its channel's number and its own on the channel. */
const Message = t.tuple([Nat, Nat]);
export type WireMessage = [channel: number, n: number];
const ChannelLineCodec = t.exact(t.type({ channel: Nat, id: t.string }));
const StepLineCodec = t.exact(
  t.intersection([t.type({ dt: Nat, step: MemberStepCodec }), t.partial({ recv: t.array(Message), send: t.array(Message) })]),
);
const SendLineCodec = t.exact(t.type({ dt: Nat, send: Message }));
const RecvLineCodec = t.exact(t.type({ dt: Nat, recv: Message }));
const CrashLineCodec = t.exact(t.type({ t: Nat, crash: t.literal(true) }));
export const MemberLineCodec = t.union([StepLineCodec, ChannelLineCodec, SendLineCodec, RecvLineCodec, CrashLineCodec]);

export type MemberStepLine = { dt: number; recv?: WireMessage[] | undefined; step: MemberStep; send?: WireMessage[] | undefined };
/** A line of a member trace file. */
export type MemberFileLine =
  | MemberStepLine
  | { channel: number; id: string }
  | { dt: number; send: WireMessage }
  | { dt: number; recv: WireMessage }
  | { t: number; crash: true };
/** A line of a member trace as read: one message or one step, its post whole again. */
export type MemberLine = { t: number; step: SpecEvent } | { t: number; send: string } | { t: number; recv: string } | { t: number; crash: true };

// compiled: a leader writes a few lines for every client write
const headerJson = compileWriter(MemberHeaderCodec);
const stepJson = compileWriter(StepLineCodec);
const channelJson = compileWriter(ChannelLineCodec);
const sendJson = compileWriter(SendLineCodec);
const recvJson = compileWriter(RecvLineCodec);
const crashJson = compileWriter(CrashLineCodec);
const NEWLINE = 0x0a;

/** Writes a member trace line and its newline at out.pos, checked against its codec. */
export function writeMemberLine(line: MemberHeader | MemberFileLine, out: JsonOut): void {
  const [ok, codec, what] =
    'member' in line
      ? [headerJson(line, out), MemberHeaderCodec, 'member trace header']
      : 'step' in line
        ? [stepJson(line, out), StepLineCodec, 'member trace step']
        : 'channel' in line
          ? [channelJson(line, out), ChannelLineCodec, 'member trace channel']
          : 'crash' in line
            ? [crashJson(line, out), CrashLineCodec, 'member trace crash']
            : 'send' in line
              ? [sendJson(line, out), SendLineCodec, 'member trace send']
              : [recvJson(line, out), RecvLineCodec, 'member trace line'];
  if (ok) {
    out.room(1);
    out.buf[out.pos++] = NEWLINE;
    return;
  }
  // not what the codec says: io-ts names what is wrong
  decode(codec as t.Mixed, line, what);
  throw new TraceFormatError(`${what}: a number that is not finite in ${JSON.stringify(line)}`);
}

/** A member trace line as JSON (without its newline), checked against its codec. */
export function memberLine(line: MemberHeader | MemberFileLine): string {
  const out = new JsonOut(256);
  writeMemberLine(line, out);
  return out.buf.toString('utf8', 0, out.pos - 1);
}

function sameZxid(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** The variables of `post` that differ from `before` (all of them when there is no before); the others are undefined. */
export function postChange(before: SpecPost | null, post: SpecPost): Partial<SpecPost> {
  if (before === null) return post;
  const v = post.vote;
  const w = before.vote;
  return {
    state: post.state === before.state ? undefined : post.state,
    zabState: post.zabState === before.zabState ? undefined : post.zabState,
    clock: post.clock === before.clock ? undefined : post.clock,
    vote: v.leader === w.leader && v.epoch === w.epoch && sameZxid(v.zxid, w.zxid) ? undefined : v,
    last: sameZxid(post.last, before.last) ? undefined : post.last,
    durable: sameZxid(post.durable, before.durable) ? undefined : post.durable,
    committed: sameZxid(post.committed, before.committed) ? undefined : post.committed,
    accepted: post.accepted === before.accepted ? undefined : post.accepted,
    current: post.current === before.current ? undefined : post.current,
  };
}

export interface MemberIncarnation {
  header: MemberHeader;
  lines: MemberLine[];
}

/** A member's trace: one part per process that ran it, in order, one line per message or step, each step's post whole. */
export function readMemberTrace(text: string, name = 'member trace'): MemberIncarnation[] {
  const parts: MemberIncarnation[] = [];
  let post: SpecPost | null = null;
  let channels = new Map<number, string>();
  let now = 0;
  let n = 0;
  for (const raw of text.split('\n')) {
    n++;
    if (raw.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new TraceFormatError(`${name} line ${n}: not JSON (${(e as Error).message})`);
    }
    if (typeof v === 'object' && v !== null && 'member' in v) {
      const header = decode(MemberHeaderCodec, v, `${name} line ${n} (header)`);
      parts.push({ header, lines: [] });
      post = null;
      channels = new Map();
      now = header.t;
      continue;
    }
    const part = parts.at(-1);
    if (!part) throw new TraceFormatError(`${name} line ${n}: a line before the first header`);
    const line = decode(MemberLineCodec, v, `${name} line ${n}`) as MemberFileLine;
    const id = ([c, k]: WireMessage): string => {
      const channel = channels.get(c);
      if (channel === undefined) throw new TraceFormatError(`${name} line ${n}: channel ${c} was not named`);
      return `${channel}#${k}`;
    };
    if ('channel' in line) {
      if (channels.has(line.channel)) throw new TraceFormatError(`${name} line ${n}: channel ${line.channel} named twice`);
      channels.set(line.channel, line.id);
    } else if ('crash' in line) {
      part.lines.push(line);
    } else if ('send' in line && !('step' in line)) {
      now += line.dt;
      part.lines.push({ t: now, send: id(line.send) });
    } else if ('recv' in line && !('step' in line)) {
      now += line.dt;
      part.lines.push({ t: now, recv: id(line.recv) });
    } else {
      const whole = { ...post, ...line.step.post };
      const missing = POST_KEYS.filter((k) => whole[k] === undefined);
      if (missing.length > 0) {
        throw new TraceFormatError(`${name} line ${n}: the process's first step must log every variable; ${missing.join(', ')} missing`);
      }
      post = whole as SpecPost;
      now += line.dt;
      const { recv = [], send = [] } = line;
      for (const m of recv) part.lines.push({ t: now, recv: id(m) });
      part.lines.push({ t: now, step: { ...line.step, post } });
      for (const m of send) part.lines.push({ t: now, send: id(m) });
    }
  }
  if (parts.length === 0) throw new TraceFormatError(`${name} is empty`);
  return parts;
}

function decode<A>(codec: t.Type<A, unknown>, value: unknown, where: string): A {
  const r = codec.decode(value);
  if (isLeft(r)) throw new TraceFormatError(`${where}: ${PathReporter.report(r).join('; ')}`);
  return r.right;
}

/** The trace as NDJSON; every line is checked against its codec first. */
export function writeTrace(trace: Trace): string {
  const lines = [JSON.stringify(decode(TraceHeaderCodec, trace.header, 'header'))];
  trace.events.forEach((e, i) => lines.push(JSON.stringify(decode(SpecEventCodec, e, `event ${i + 1}`))));
  return lines.join('\n') + '\n';
}

/** Reads NDJSON written by writeTrace; a line that is not what the codec says is an error naming it. */
export function readTrace(text: string, name = 'trace'): Trace {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new TraceFormatError(`${name} is empty`);
  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new TraceFormatError(`${name} line ${n}: not JSON (${(e as Error).message})`);
    }
  };
  const header = decode(TraceHeaderCodec, parse(lines[0]!, 1), `${name} line 1 (header)`);
  const events = lines.slice(1).map((l, i) => decode(SpecEventCodec, parse(l, i + 2), `${name} line ${i + 2}`) as SpecEvent);
  return { header, events };
}
