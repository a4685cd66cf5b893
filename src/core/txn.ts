// Transactions: what `prep` produces from a write request and what `apply`
// performs on the tree, in zxid order. Every write request becomes exactly
// one transaction (a failed one becomes an `error` transaction, which changes
// nothing but keeps its zxid and the order of replies), as in ZooKeeper.

import type { ACL } from '../wire/protocol.js';

export interface TxnHeader {
  /** the session that issued the request (the server's own for internal ones) */
  sessionId: bigint;
  /** the request's xid, to route the reply */
  cxid: number;
  zxid: number;
  /** wall-clock time (ms) at prep: becomes ctime/mtime */
  time: number;
  /** opcode of the request (create2, multi, closeSession, …) or `error` */
  type: number;
}

export type TxnBody =
  | {
      kind: 'create';
      path: string;
      data: Uint8Array | null;
      acl: ACL[];
      ephemeralOwner: bigint;
      parentCVersion: number;
    }
  | { kind: 'delete'; path: string }
  | { kind: 'setData'; path: string; data: Uint8Array | null; version: number }
  | { kind: 'setACL'; path: string; acl: ACL[]; version: number }
  | { kind: 'check'; path: string; version: number }
  | { kind: 'multi'; ops: MultiOp[] }
  | { kind: 'createSession'; timeout: number }
  | { kind: 'closeSession' }
  | { kind: 'error'; err: number };

/** One operation of a multi: the opcode it answers and its body (possibly `error`). */
export interface MultiOp {
  type: number;
  body: TxnBody;
}

export interface Txn {
  hdr: TxnHeader;
  body: TxnBody;
}
