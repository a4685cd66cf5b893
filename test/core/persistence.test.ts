import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/core/database.js';
import { decodeSnapshot, encodeSnapshot, SnapshotEncoder } from '../../src/wire/snapshot-codec.js';
import { decodeTxn, encodeTxn } from '../../src/wire/txn-codec.js';
import { OPEN_ACL_UNSAFE } from '../../src/core/acl.js';
import { CreateMode, OpCode, Perms, type Request } from '../../src/wire/protocol.js';
import { JuteError } from '../../src/wire/jute.js';
import { Harness, enc } from './harness.js';

/** Everything observable about a database, in a comparable form. */
export function dump(db: Database): unknown {
  const nodes: Record<string, unknown> = {};
  for (const [path, n] of db.tree.nodes) {
    nodes[path] = {
      data: n.data === null ? null : Buffer.from(n.data).toString('hex'),
      acl: db.tree.aclOf(n),
      stat: [n.czxid, n.mzxid, n.ctime, n.mtime, n.version, n.cversion, n.aversion, n.ephemeralOwner, n.pzxid],
      children: n.children === null ? [] : [...n.children].sort(),
    };
  }
  return {
    zxid: db.lastZxid,
    sessions: [...db.sessions].map(([id, t]) => `${id}:${t}`).sort(),
    nodes,
    ephemerals: [...db.tree.ephemerals].map(([id, s]) => `${id}:${[...s].sort().join(',')}`).sort(),
    containers: [...db.tree.containers].sort(),
    ttls: [...db.tree.ttls].sort(),
    dataSize: db.tree.dataSize,
  };
}

const names = ['a', 'b', 'c'];
const pathArb = fc
  .array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 })
  .map((segs) => '/' + segs.join('/'));
// small values and values of a few size classes (the tree reuses their slots)
const dataArb = fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 250, maxLength: 600 }));
const aclArb = fc.constantFrom(OPEN_ACL_UNSAFE, [{ perms: Perms.READ | Perms.WRITE, id: { scheme: 'world', id: 'anyone' } }]);

const writeArb: fc.Arbitrary<Request> = fc.oneof(
  fc.record({
    type: fc.constantFrom(OpCode.create, OpCode.create2),
    path: pathArb,
    data: dataArb,
    acl: aclArb,
    flags: fc.constantFrom(CreateMode.PERSISTENT, CreateMode.EPHEMERAL, CreateMode.PERSISTENT_SEQUENTIAL, CreateMode.EPHEMERAL_SEQUENTIAL),
  }) as fc.Arbitrary<Request>,
  fc.record({ type: fc.constant(OpCode.createContainer), path: pathArb, data: dataArb, acl: aclArb, flags: fc.constant(CreateMode.CONTAINER) }) as fc.Arbitrary<Request>,
  fc.record({ type: fc.constant(OpCode.delete), path: pathArb, version: fc.constantFrom(-1, 0, 1) }) as fc.Arbitrary<Request>,
  fc.record({ type: fc.constant(OpCode.setData), path: pathArb, data: dataArb, version: fc.constantFrom(-1, 0, 1) }) as fc.Arbitrary<Request>,
  fc.record({ type: fc.constant(OpCode.setACL), path: pathArb, acl: aclArb, version: fc.constant(-1) }) as fc.Arbitrary<Request>,
);
const multiArb: fc.Arbitrary<Request> = fc
  .array(writeArb.filter((r) => r.type !== OpCode.setACL), { maxLength: 4 })
  .map((ops) => ({ type: OpCode.multi, ops }) as Request);

type Step = { conn: number; req: Request } | { close: number } | { advance: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ conn: fc.nat(2), req: fc.oneof({ weight: 4, arbitrary: writeArb }, { weight: 1, arbitrary: multiArb }) }) },
  { weight: 1, arbitrary: fc.record({ close: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ advance: fc.constantFrom(1000, 20000) }) },
);

function run(steps: Step[]): Harness {
  const h = new Harness();
  const conns = [h.session(), h.session(), h.session()];
  for (const s of steps) {
    if ('req' in s) {
      if (!h.closed.has(conns[s.conn]!)) h.send(conns[s.conn]!, s.req);
    } else if ('close' in s) {
      const c = conns[s.close]!;
      if (!h.closed.has(c)) h.send(c, { type: OpCode.closeSession });
      conns[s.close] = h.session();
    } else {
      h.advance(s.advance);
    }
  }
  return h;
}

describe('transaction and snapshot encoding', () => {
  it('every logged transaction survives encode/decode unchanged', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const h = run(steps);
        for (const t of h.log) expect(decodeTxn(encodeTxn(t))).toEqual(t);
      }),
      { numRuns: 100 },
    );
  });

  it('replaying the log rebuilds the same database; so does a snapshot plus the rest of the log', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.nat(), (steps, cutSeed) => {
        const h = run(steps);
        const fromLog = new Database();
        for (const t of h.log) fromLog.apply(decodeTxn(encodeTxn(t)));
        expect(dump(fromLog)).toEqual(dump(h.db));

        const cut = h.log.length === 0 ? 0 : cutSeed % h.log.length;
        const partial = new Database();
        for (const t of h.log.slice(0, cut)) partial.apply(t);
        const chunks = encodeSnapshot(partial);
        const restored = decodeSnapshot(Buffer.concat(chunks));
        expect(dump(restored)).toEqual(dump(partial));
        for (const t of h.log.slice(cut)) restored.apply(t);
        expect(dump(restored)).toEqual(dump(h.db));
      }),
      { numRuns: 100 },
    );
  });

  it('a snapshot keeps the values it was taken with while the tree changes before it is written', () => {
    const h = new Harness();
    const c = h.session();
    const big = (b: number): Uint8Array => new Uint8Array(1000).fill(b);
    h.send(c, { type: OpCode.create, path: '/a', data: big(1), acl: OPEN_ACL_UNSAFE, flags: 0 });
    h.send(c, { type: OpCode.create, path: '/b', data: enc('small'), acl: OPEN_ACL_UNSAFE, flags: 0 });
    const before = dump(h.db);
    const chunks = encodeSnapshot(h.db);
    h.send(c, { type: OpCode.setData, path: '/a', data: big(2), version: -1 });
    h.send(c, { type: OpCode.delete, path: '/b', version: -1 });
    h.send(c, { type: OpCode.create, path: '/c', data: big(3), acl: OPEN_ACL_UNSAFE, flags: 0 });
    expect(dump(h.db)).not.toEqual(before);
    expect(dump(decodeSnapshot(Buffer.concat(chunks)))).toEqual(before);
  });

  it('a snapshot taken a slice at a time while transactions go on holds the database as it was when it began', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 5, maxLength: 40 }),
        fc.array(fc.record({ step: stepArb, slice: fc.nat(2) }), { minLength: 5, maxLength: 30 }),
        (before, during) => {
          const h = run(before);
          const expected = dump(h.db);
          const logged = h.log.length;
          const encoder = new SnapshotEncoder(h.db);
          const chunks: Uint8Array[] = [];
          let done = false;
          const conns = [h.session(), h.session()];
          for (const { step, slice } of during) {
            if ('req' in step) h.send(conns[step.conn % 2]!, step.req);
            else if ('advance' in step) h.advance(step.advance);
            if (!done) {
              done = encoder.step(slice);
              chunks.push(...encoder.take());
            }
          }
          if (!done) expect(encoder.step(Infinity)).toBe(true);
          chunks.push(...encoder.take());
          expect(h.db.tree.captures).toEqual([]);
          const restored = decodeSnapshot(Buffer.concat(chunks));
          expect(dump(restored)).toEqual(expected);
          for (const t of h.log.slice(logged)) restored.apply(t);
          expect(dump(restored)).toEqual(dump(h.db));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('snapshots that overlap each hold the database as it was when they began', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 4 })), { maxLength: 40 }), fc.integer({ min: 1, max: 20 }), (ops, later) => {
        const h = new Harness();
        const c = h.session();
        for (let i = 0; i < 6; i++) h.send(c, { type: OpCode.create, path: `/n${i}`, data: enc('0'), acl: OPEN_ACL_UNSAFE, flags: 0 });
        const first = new SnapshotEncoder(h.db);
        const atFirst = dump(h.db);
        let second: SnapshotEncoder | null = null;
        let atSecond: unknown = null;
        const chunks: [Uint8Array[], Uint8Array[]] = [[], []];
        ops.forEach(([n, v], i) => {
          if (i === later % (ops.length + 1)) {
            second = new SnapshotEncoder(h.db);
            atSecond = dump(h.db);
          }
          if (v === '') h.send(c, { type: OpCode.delete, path: `/n${n}`, version: -1 });
          else if (h.db.tree.get(`/n${n}`)) h.send(c, { type: OpCode.setData, path: `/n${n}`, data: enc(v), version: -1 });
          else h.send(c, { type: OpCode.create, path: `/n${n}`, data: enc(v), acl: OPEN_ACL_UNSAFE, flags: 0 });
          first.step(1);
          chunks[0].push(...first.take());
          if (second) {
            (second as SnapshotEncoder).step(2);
            chunks[1].push(...(second as SnapshotEncoder).take());
          }
        });
        first.step(Infinity);
        chunks[0].push(...first.take());
        expect(dump(decodeSnapshot(Buffer.concat(chunks[0])))).toEqual(atFirst);
        if (second) {
          (second as SnapshotEncoder).step(Infinity);
          chunks[1].push(...(second as SnapshotEncoder).take());
          expect(dump(decodeSnapshot(Buffer.concat(chunks[1])))).toEqual(atSecond);
        }
        expect(h.db.tree.captures).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a snapshot that follows no changes is caught out by one: the tree must report them', () => {
    const h = new Harness();
    const c = h.session();
    h.send(c, { type: OpCode.create, path: '/a', data: enc('1'), acl: OPEN_ACL_UNSAFE, flags: 0 });
    h.send(c, { type: OpCode.create, path: '/b', data: enc('2'), acl: OPEN_ACL_UNSAFE, flags: 0 });
    const expected = dump(h.db);
    const encoder = new SnapshotEncoder(h.db);
    h.db.tree.captures.length = 0; // what a tree that forgot to report changes would leave
    encoder.step(1);
    h.send(c, { type: OpCode.setData, path: '/b', data: enc('3'), version: -1 });
    encoder.step(Infinity);
    expect(dump(decodeSnapshot(Buffer.concat(encoder.take())))).not.toEqual(expected);
  });

  it('rejects damaged transactions and snapshots with a JuteError', () => {
    const h = new Harness();
    const c = h.session();
    h.send(c, { type: OpCode.create, path: '/x', data: enc('data'), acl: OPEN_ACL_UNSAFE, flags: 0 });
    const bytes = encodeTxn(h.log[h.log.length - 1]!);
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeTxn(bytes.subarray(0, cut))).toThrow(JuteError);
    }
    expect(() => decodeTxn(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(JuteError);
    const snap = Buffer.concat(encodeSnapshot(h.db));
    for (let cut = 0; cut < snap.length; cut += 7) {
      expect(() => decodeSnapshot(snap.subarray(0, cut))).toThrow(JuteError);
    }
  });
});
