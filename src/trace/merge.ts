// One trace from the traces the members of a real ensemble wrote (their
// format: src/trace/events.ts). The order respects causality: each member's
// steps stay in its order, and a step that took a message comes after the
// step that sent it (matched by the message ids both ends logged, so it
// holds whatever the members' clocks say). Among the orders that respect
// that, the merge follows the time each step was logged; members on one
// host share the clock, so the result is then the order things happened.
//
// A member whose process was killed and started again did not log its
// crash. The merge puts the spec's Crash between its two processes: after
// the last step of the first, and after every step elsewhere that took a
// message from it (TCP delivers what was sent before a process died; the
// spec's Crash loses it, so those receptions must come first). The spec
// variables after the crash are those the restarted member started with
// (the Restart step changes neither its log nor its epochs), with the
// election clock and vote it had. A member killed and never restarted
// needs no Crash: nothing after it depends on it.
//
// A run ends when its members are stopped; what they log while the others
// go away is not part of it: `until` (the time the first was told to stop)
// cuts every member's trace there.

import type { ServerId } from '../core/zab/messages.js';
import type { SpecEvent } from '../core/zab/trace.js';
import { type MemberIncarnation, type Trace, TraceFormatError } from './events.js';
import { isReceive } from './view.js';


interface Node {
  event: SpecEvent;
  t: number;
  /** steps elsewhere that must come first */
  after: Node[];
  placed: boolean;
}

export interface MemberTraceInput {
  name: string;
  parts: MemberIncarnation[];
}

export interface MergeResult {
  trace: Trace;
  /** messages received whose sending step was matched */
  matched: number;
  /** messages received whose id no member logged as sent (a killed process's last lines, or nothing to order) */
  unmatched: number;
  /** Crash steps put in between two processes of a member */
  crashes: number;
}

export function mergeMemberTraces(inputs: readonly MemberTraceInput[], source: string, until = Infinity): MergeResult {
  if (inputs.length === 0) throw new TraceFormatError('no member traces to merge');
  const first = inputs[0]!.parts[0]!.header;
  const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  const chains = new Map<ServerId, Node[]>();
  const sentBy = new Map<string, Node>();
  const received: Array<{ id: string; node: Node }> = [];
  const crashes: Array<{ crash: Node; srv: ServerId; from: number; to: number }> = [];
  let crashCount = 0;
  for (const input of inputs) {
    const srv = input.parts[0]!.header.srv;
    if (chains.has(srv)) throw new TraceFormatError(`${input.name}: a second trace of member ${srv}`);
    const chain: Node[] = [];
    chains.set(srv, chain);
    input.parts.forEach((part, k) => {
      const h = part.header;
      if (h.srv !== srv || !same(h.servers, first.servers) || !same(h.voters, first.voters)) {
        throw new TraceFormatError(`${input.name}: process ${k + 1} names member ${h.srv} of servers [${h.servers}] (voters [${h.voters}]), not member ${srv} of [${first.servers}] ([${first.voters}])`);
      }
      const start = chain.length;
      let last: Node | null = null;
      let pending: string[] = [];
      let killedAt: number | null = null;
      for (const line of part.lines) {
        if (line.t > until) break;
        if (killedAt !== null) throw new TraceFormatError(`${input.name}: process ${k + 1} logged after it was killed`);
        if ('step' in line) {
          if (line.step.srv !== srv) throw new TraceFormatError(`${input.name}: a step of member ${line.step.srv}`);
          last = { event: line.step, t: line.t, after: [], placed: false };
          chain.push(last);
          for (const id of pending) received.push({ id, node: last });
          pending = [];
        } else if ('send' in line) {
          if (last) sentBy.set(line.send, last);
        } else if ('recv' in line) {
          pending.push(line.recv);
        } else {
          killedAt = line.t;
        }
      }
      const next = input.parts[k + 1];
      if (!next || !last) return;
      // the member started again: it crashed in between
      const restart = next.lines.find((l): l is Extract<typeof l, { step: SpecEvent }> => 'step' in l)?.step;
      if (!restart) return;
      if (restart.action !== 'Restart') {
        throw new TraceFormatError(`${input.name}: process ${k + 2} of member ${srv} begins with ${restart.action}, not Restart`);
      }
      const before = last.event.post;
      const after = restart.post;
      const crash: Node = {
        event: {
          action: 'Crash',
          srv,
          post: {
            state: 'LOOKING',
            zabState: 'DOWN',
            clock: before.clock,
            vote: before.vote,
            last: after.last,
            durable: after.durable,
            committed: after.committed,
            accepted: after.accepted,
            current: after.current,
          },
        },
        t: killedAt ?? last.t,
        after: [],
        placed: false,
      };
      chain.push(crash);
      crashes.push({ crash, srv, from: start, to: chain.length - 1 });
      crashCount++;
    });
  }

  // a step that took a message comes after the step that sent it
  let matched = 0;
  let unmatched = 0;
  const takers = new Map<Node, Node[]>();
  for (const { id, node } of received) {
    const sender = sentBy.get(id);
    if (!sender) {
      unmatched++;
      continue;
    }
    // only a step that takes a message from the sender is ordered by it
    if (!isReceive(node.event) || node.event.peer !== sender.event.srv) continue;
    node.after.push(sender);
    matched++;
    const list = takers.get(sender) ?? [];
    list.push(node);
    takers.set(sender, list);
  }
  // a Crash comes after every step that took a message from the process that crashed
  for (const c of crashes) {
    const chain = chains.get(c.srv)!;
    for (let i = c.from; i < c.to; i++) for (const taker of takers.get(chain[i]!) ?? []) c.crash.after.push(taker);
  }

  const events: SpecEvent[] = [];
  const heads = new Map<ServerId, number>([...chains.keys()].map((s) => [s, 0]));
  const total = [...chains.values()].reduce((n, c) => n + c.length, 0);
  while (events.length < total) {
    let best: Node | null = null;
    for (const [srv, i] of heads) {
      const node = chains.get(srv)![i];
      if (!node || !node.after.every((n) => n.placed)) continue;
      if (!best || node.t < best.t || (node.t === best.t && node.event.srv < best.event.srv)) best = node;
    }
    if (!best) {
      const stuck = [...heads].flatMap(([srv, i]) => {
        const node = chains.get(srv)![i];
        return node ? [`member ${srv} at ${node.event.action} (after ${node.after.filter((n) => !n.placed).map((n) => `${n.event.srv}:${n.event.action}`).join(', ')})`] : [];
      });
      throw new TraceFormatError(`the member traces cannot be ordered: each next step waits for another (${stuck.join('; ')})`);
    }
    best.placed = true;
    events.push(best.event);
    heads.set(best.event.srv, heads.get(best.event.srv)! + 1);
  }
  return {
    trace: { header: { trace: 'verikeeper-zab', servers: [...first.servers], voters: [...first.voters], source }, events },
    matched,
    unmatched,
    crashes: crashCount,
  };
}
