// The seam between the client-facing side and the write path, exercised the
// way a follower uses it: writes, syncs and re-attachments leave, and their
// answers come back later, from elsewhere; transactions the member never
// prepared are applied through the same entry.

import { describe, expect, it } from 'vitest';
import { Database } from '../../src/core/database.js';
import { type ClientEffect, Outbox } from '../../src/core/effects.js';
import type { SessionAuthority, WritePath } from '../../src/core/frontend.js';
import { InvariantViolation } from '../../src/core/invariant.js';
import { Prep } from '../../src/core/prep.js';
import { Replica } from '../../src/core/replica.js';
import { sessionPassword } from '../../src/core/sessions.js';
import type { Txn } from '../../src/core/txn.js';
import { CreateMode, type Id, OpCode, type Request } from '../../src/wire/protocol.js';
import { OPEN_ACL_UNSAFE } from '../../src/core/acl.js';
import { enc } from './harness.js';

/** A write path and session authority that only record what is asked of them, like a follower's. */
class Remote implements WritePath, SessionAuthority {
  readonly writes: Array<{ sessionId: bigint; cxid: number; req: Request }> = [];
  readonly creates: bigint[] = [];
  readonly syncs: bigint[] = [];
  readonly revalidations: bigint[] = [];
  readonly live = new Set<bigint>();
  private next = 0x42n;
  write(sessionId: bigint, cxid: number, req: Request, _ids: readonly Id[]): void {
    this.writes.push({ sessionId, cxid, req });
  }
  createSession(sessionId: bigint): void {
    this.creates.push(sessionId);
  }
  closeSession(): void {}
  sync(sessionId: bigint): void {
    this.syncs.push(sessionId);
  }
  newSessionId(): bigint {
    return this.next++;
  }
  touch(sessionId: bigint): boolean {
    return this.live.has(sessionId);
  }
  revalidate(sessionId: bigint): void {
    this.revalidations.push(sessionId);
  }
}

const KEY = new Uint8Array(32).fill(7);

const handshake = (sessionId = 0n, passwd: Uint8Array = new Uint8Array(16)) =>
  ({ protocolVersion: 0, lastZxidSeen: 0, timeOut: 10000, sessionId, passwd }) as const;

function member() {
  const db = new Database();
  const remote = new Remote();
  const out = new Outbox<ClientEffect>();
  const replica = new Replica(db, remote, remote, out, { minSessionTimeout: 4000, maxSessionTimeout: 40000, sessionKey: KEY });
  // the "leader": prepares what the member forwards, against its own copy
  const leaderDb = new Database();
  const prep = new Prep(leaderDb.tree, { extendedTypesEnabled: false });
  const commit = (txn: Txn) => {
    leaderDb.apply(txn);
    prep.applied(txn.hdr.zxid);
    replica.apply(txn);
    replica.caughtUp();
  };
  const fe = replica.frontend;
  /** Opens `conn` with a new session, established by its committed createSession. */
  const session = (conn: number): bigint => {
    fe.open(conn, '10.0.0.1');
    fe.connect(conn, handshake(), 0);
    const id = remote.creates[remote.creates.length - 1]!;
    commit(prep.createSession(id, 10000, 0));
    remote.live.add(id);
    return id;
  };
  return { db, remote, out, replica, prep, commit, fe, session };
}

describe('a member whose writes are decided elsewhere', () => {
  it('establishes a session and answers a write only when their transactions are applied', () => {
    const m = member();
    m.fe.open(1, '10.0.0.1');
    m.fe.connect(1, handshake(), 0);
    expect(m.out.take()).toEqual([]);
    const id = m.remote.creates[0]!;
    m.commit(m.prep.createSession(id, 10000, 0));
    m.remote.live.add(id);
    expect(m.out.take()).toMatchObject([{ kind: 'connected', conn: 1, response: { sessionId: id } }]);

    m.fe.request(1, 1, { type: OpCode.create, path: '/a', data: enc('x'), acl: OPEN_ACL_UNSAFE, flags: CreateMode.PERSISTENT }, 0);
    m.fe.request(1, 2, { type: OpCode.exists, path: '/a', watch: false }, 0);
    expect(m.out.take()).toEqual([]); // the read waits behind the write of its session
    const w = m.remote.writes[0]!;
    m.commit(m.prep.write(w.sessionId, w.cxid, w.req, [], 0));
    const effects = m.out.take();
    expect(effects.map((e) => e.kind === 'reply' && [e.xid, e.err])).toEqual([[1, 0], [2, 0]]);
  });

  it('applies transactions of other members’ clients through the same entry, firing watches here', () => {
    const m = member();
    m.session(1);
    m.fe.request(1, 1, { type: OpCode.exists, path: '/b', watch: true }, 0);
    m.out.take();
    m.commit(m.prep.write(0x999n, 7, { type: OpCode.create, path: '/b', data: null, acl: OPEN_ACL_UNSAFE, flags: 0 }, [], 0));
    expect(m.out.take()).toMatchObject([{ kind: 'notify', conn: 1, event: { path: '/b' } }]);
    expect(m.db.tree.get('/b')).toBeDefined();
  });

  it('answers a sync after the leader gives its point and that point is applied here', () => {
    const m = member();
    const id = m.session(1);
    m.out.take();
    m.fe.request(1, 5, { type: OpCode.sync, path: '/' }, 0);
    m.fe.request(1, 6, { type: OpCode.exists, path: '/', watch: false }, 0);
    expect(m.remote.syncs).toEqual([id]);
    // someone else's write is outstanding at the leader: the sync point is after it
    const other = m.prep.write(0x999n, 1, { type: OpCode.create, path: '/c', data: null, acl: OPEN_ACL_UNSAFE, flags: 0 }, [], 0);
    m.fe.synced(id, other.hdr.zxid);
    expect(m.out.take()).toEqual([]);
    m.commit(other);
    expect(m.out.take().map((e) => e.kind === 'reply' && e.xid)).toEqual([5, 6]);
  });

  it('re-attaches a session only when the authority says it lives', () => {
    const m = member();
    const id = 0x77n;
    m.fe.open(1, '10.0.0.1');
    m.fe.connect(1, handshake(id, sessionPassword(id, KEY)), 0);
    m.fe.request(1, 1, { type: OpCode.exists, path: '/', watch: false }, 0);
    expect(m.remote.revalidations).toEqual([id]);
    expect(m.out.take()).toEqual([]);
    m.remote.live.add(id);
    m.fe.revalidated(id, true);
    expect(m.out.take().map((e) => e.kind)).toEqual(['connected', 'reply']);

    m.fe.open(2, '10.0.0.2');
    m.fe.connect(2, handshake(0x78n, sessionPassword(0x78n, KEY)), 0);
    m.fe.revalidated(0x78n, false);
    expect(m.out.take()).toMatchObject([{ kind: 'connected', response: { sessionId: 0n } }, { kind: 'close', conn: 2 }]);
    // a wrong password never reaches the authority
    m.fe.open(3, '10.0.0.3');
    m.fe.connect(3, handshake(id, new Uint8Array(16)), 0);
    expect(m.remote.revalidations).toEqual([id, 0x78n]);
    expect(m.out.take().map((e) => e.kind)).toEqual(['connected', 'close']);
  });

  it('abandons every connection and what it waited for when it stops serving, and refuses new ones until it serves', () => {
    const m = member();
    const id = m.session(1);
    m.fe.request(1, 1, { type: OpCode.setData, path: '/', data: null, version: -1 }, 0);
    m.out.take();
    m.fe.abandon('the leader is gone');
    expect(m.out.take()).toEqual([{ kind: 'close', conn: 1, reason: 'the leader is gone' }]);
    m.fe.closed(1);
    m.fe.open(2, '10.0.0.1');
    m.fe.connect(2, handshake(id, sessionPassword(id, KEY)), 0);
    expect(m.out.take()).toEqual([{ kind: 'close', conn: 2, reason: 'not serving: the leader is gone' }]);
    expect(m.remote.revalidations).toEqual([]);
    m.fe.serve();
    m.fe.open(3, '10.0.0.1');
    m.fe.connect(3, handshake(id, sessionPassword(id, KEY)), 0);
    expect(m.remote.revalidations).toEqual([id]);
  });

  it('crashes on a transaction out of order or one that does not apply, instead of answering an error', () => {
    const m = member();
    const a = m.prep.write(1n, 1, { type: OpCode.create, path: '/x', data: null, acl: OPEN_ACL_UNSAFE, flags: 0 }, [], 0);
    const b = m.prep.write(1n, 2, { type: OpCode.create, path: '/y', data: null, acl: OPEN_ACL_UNSAFE, flags: 0 }, [], 0);
    m.replica.apply(b);
    expect(() => m.replica.apply(a)).toThrow(InvariantViolation);
    // /y's create once more, in order: prep approved it against a tree that no longer holds
    expect(() => m.replica.apply({ hdr: { ...b.hdr, zxid: b.hdr.zxid + 1 }, body: b.body })).toThrow(InvariantViolation);
  });
});
