// The replicated state: the znode tree and the table of live sessions, changed
// only by `apply` in zxid order. Recovery rebuilds it from a snapshot plus the
// transaction log; every member of an ensemble applies the same transactions.
// A transaction that does not apply cleanly (out of order, or a tree error
// after prep approved it) is a broken invariant: it throws, it never becomes
// a reply that would let replicas drift apart.

import { type Stat, OpCode } from '../wire/protocol.js';
import { invariant } from './invariant.js';
import { DataTree, TreeError, statOf } from './tree.js';
import type { Txn, TxnBody, TxnHeader } from './txn.js';

/** The outcome of applying one transaction (or one operation of a multi). */
export interface ApplyResult {
  /** opcode the result answers (`error` for a failed operation) */
  type: number;
  err: number;
  path?: string;
  stat?: Stat;
  multi?: ApplyResult[];
}

export class Database {
  readonly tree = new DataTree();
  /** live sessions and their negotiated timeouts */
  readonly sessions = new Map<bigint, number>();

  get lastZxid(): number {
    return this.tree.lastProcessedZxid;
  }

  apply(txn: Txn): ApplyResult {
    const { hdr, body } = txn;
    invariant(
      hdr.zxid > this.tree.lastProcessedZxid || this.tree.lastProcessedZxid === 0,
      () => `transaction 0x${hdr.zxid.toString(16)} applied out of order after 0x${this.tree.lastProcessedZxid.toString(16)}`,
    );
    const result = this.applyBody(hdr, hdr.type, body);
    this.tree.lastProcessedZxid = hdr.zxid;
    return result;
  }

  private applyBody(hdr: TxnHeader, type: number, body: TxnBody): ApplyResult {
    const tree = this.tree;
    try {
      switch (body.kind) {
        case 'create': {
          const n = tree.createNode(body.path, body.data, body.acl, body.ephemeralOwner, body.parentCVersion, hdr.zxid, hdr.time);
          return { type, err: 0, path: body.path, stat: statOf(n) };
        }
        case 'delete':
          tree.deleteNode(body.path, hdr.zxid);
          return { type, err: 0, path: body.path };
        case 'setData': {
          const n = tree.setData(body.path, body.data, body.version, hdr.zxid, hdr.time);
          return { type, err: 0, path: body.path, stat: statOf(n) };
        }
        case 'setACL': {
          const n = tree.setAcl(body.path, body.acl, body.version);
          return { type, err: 0, path: body.path, stat: statOf(n) };
        }
        case 'check': {
          const n = tree.get(body.path);
          return { type, err: 0, path: body.path, ...(n ? { stat: statOf(n) } : {}) };
        }
        case 'multi':
          return { type, err: 0, multi: body.ops.map((op) => this.applyBody(hdr, op.type, op.body)) };
        case 'createSession':
          this.sessions.set(hdr.sessionId, body.timeout);
          return { type, err: 0 };
        case 'closeSession': {
          const owned = tree.ephemerals.get(hdr.sessionId);
          if (owned) for (const path of [...owned]) tree.deleteNode(path, hdr.zxid);
          this.sessions.delete(hdr.sessionId);
          return { type, err: 0 };
        }
        case 'error':
          return { type: OpCode.error, err: body.err };
      }
    } catch (e) {
      // prep checked everything against the same state: reaching this is a bug
      invariant(!(e instanceof TreeError), () => `transaction 0x${hdr.zxid.toString(16)} does not apply: ${(e as Error).message}`);
      throw e;
    }
  }
}
