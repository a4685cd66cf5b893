// What a core asks of its shell, as data. A core never calls out: each step
// appends its effects to an outbox and the shell takes the batch when the
// step returns (etcd raft's `Ready` is the model), so that the real shell
// performs them, the simulator can hold, reorder, drop or crash around
// them, and a test can read them.

import { type ConnectResponse, OpCode, type Response, type WatcherEvent } from '../wire/protocol.js';
import type { Txn } from './txn.js';

export type ConnId = number;

/** Effects towards clients. */
export type ClientEffect =
  /** a reply; `response` is absent when err ≠ 0; `type` is the request's opcode */
  | { kind: 'reply'; conn: ConnId; xid: number; zxid: number; err: number; type: number; response: Response | undefined }
  /** a watch notification */
  | { kind: 'notify'; conn: ConnId; event: WatcherEvent; zxid: number }
  /** the handshake's answer (session 0 and timeout 0: the session is gone) */
  | { kind: 'connected'; conn: ConnId; response: ConnectResponse }
  /** close the connection after what was already sent; the shell reports it back as `closed` */
  | { kind: 'close'; conn: ConnId; reason: string };

/** Append a transaction to the log; the shell reports it durable later (`durable(zxid)`). */
export interface PersistEffect {
  kind: 'persist';
  txn: Txn;
}

/** Where a part of a core puts its effects. */
export interface Sink<E> {
  push(e: E): void;
}

/** A core's pending effects, in the order they were made. */
export class Outbox<E> implements Sink<E> {
  private items: E[] = [];

  push(e: E): void {
    this.items.push(e);
  }

  get size(): number {
    return this.items.length;
  }

  /** Everything made since the last take, oldest first; the outbox is empty afterwards. */
  take(): E[] {
    const out = this.items;
    if (out.length === 0) return out;
    this.items = [];
    return out;
  }
}

/**
 * `e` with copies of the node data it holds, for a shell that keeps an
 * effect beyond the core's next input (node data in effects are views of
 * the tree's values, valid only until then).
 */
export function detach<E extends ClientEffect | PersistEffect>(e: E): E {
  if (e.kind !== 'reply' || e.response === undefined) return e;
  const r = e.response;
  if (r.kind === 'data') return { ...e, response: { ...r, data: r.data === null ? null : r.data.slice() } };
  if (r.kind === 'multi') {
    return {
      ...e,
      response: { ...r, results: r.results.map((x) => (x.type === OpCode.getData && x.data !== null ? { ...x, data: x.data.slice() } : x)) },
    };
  }
  return e;
}
