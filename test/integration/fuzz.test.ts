// Bad input against a live server process: random bytes and mutated valid
// frames (bit flips, truncations, wrong and huge length prefixes, unknown
// opcodes, garbage before and after a valid handshake) on many connections
// at once, while a well-behaved client keeps writing and reading back its own
// nodes. The server must stay up, the good client must never fail or read
// anything but what it wrote, and every bad connection must get an answer or
// be closed: none may hang.

import fc from 'fast-check';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient, type WatchedEvent } from '../../src/client/client.js';
import { JuteReader } from '../../src/wire/jute.js';
import { ErrorCode, KeeperState, OpCode, Perms, type Request } from '../../src/wire/protocol.js';
import { encodeConnectRequest, readReplyHeader } from '../../src/wire/records.js';
import { encodeRequest } from '../../src/wire/requests.js';
import { request as anyRequest } from '../wire/arbitraries.js';
import { TestServer, reference } from './server.js';

const MAX_FRAME = 64 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await TestServer.start({ settings: { 'jute.maxbuffer': MAX_FRAME } });
});

afterAll(async () => {
  await server?.destroy();
});

// ------------------------------------------------------------ frames

const handshake = (): Buffer =>
  Buffer.from(encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0, timeOut: 1000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false }));

function frame(xid: number, type: number, req: Request): Buffer | null {
  try {
    return Buffer.from(encodeRequest({ xid, type }, req));
  } catch {
    return null; // a generated record the codec refuses to write
  }
}

type Mutation =
  | { kind: 'flip'; at: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; value: number }
  | { kind: 'append'; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('length' as const),
    value: fc.oneof(
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      fc.constantFrom(-1, 0, 1, 3, MAX_FRAME, MAX_FRAME + 1, 0x7fffffff, -0x80000000),
    ),
  }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

function mutate(b: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(b);
  switch (m.kind) {
    case 'flip':
      for (const at of m.at) out[at % out.length]! ^= 1 << (at % 8);
      return out;
    case 'truncate':
      return out.subarray(0, m.at % out.length);
    case 'length':
      out.writeInt32BE(m.value, 0);
      return out;
    case 'append':
      return Buffer.concat([out, m.bytes]);
  }
}

const KNOWN = new Set<number>(Object.values(OpCode));
const unknownOpcode = fc.integer({ min: -0x80000000, max: 0x7fffffff }).filter((t) => !KNOWN.has(t));

/** What one bad connection sends, in order. */
const badConnection: fc.Arbitrary<{ what: string; bytes: Buffer[] }> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ what: 'random bytes', bytes: [Buffer.from(b)] })),
  mutation.map((m) => ({ what: `handshake ${m.kind}`, bytes: [mutate(handshake(), m)] })),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.boolean()).map(([g, withHandshake]) => ({
    what: 'garbage before a handshake',
    bytes: withHandshake ? [Buffer.from(g), handshake()] : [Buffer.from(g)],
  })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((g) => ({ what: 'garbage after a handshake', bytes: [handshake(), Buffer.from(g)] })),
  fc
    .tuple(fc.integer({ min: 1, max: 1000 }), anyRequest, fc.option(mutation, { nil: null }))
    .map(([xid, req, m]) => {
      const f = frame(xid, req.type, req);
      if (f === null) return { what: 'request the codec refuses', bytes: [handshake()] };
      return { what: m === null ? `request ${req.type}` : `request ${req.type} ${m.kind}`, bytes: [handshake(), m === null ? f : mutate(f, m)] };
    }),
  fc.tuple(fc.integer({ min: 1, max: 1000 }), unknownOpcode, fc.uint8Array({ maxLength: 64 })).map(([xid, type, body]) => {
    const f = Buffer.alloc(12 + body.length);
    f.writeInt32BE(8 + body.length, 0);
    f.writeInt32BE(xid, 4);
    f.writeInt32BE(type, 8);
    f.set(body, 12);
    return { what: `unknown opcode ${type}`, bytes: [handshake(), f] };
  }),
);

type Outcome = 'answered' | 'closed' | 'closed after our end' | 'hang';

/**
 * Sends `bytes` on a new connection: 'closed' if the server closes it,
 * 'answered' if it sends something and keeps the connection, else the
 * connection is half-closed from our side and must then be closed by the
 * server ('closed after our end'), or it 'hang's.
 */
function probe(port: number, bytes: Buffer[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let answered = false;
    let closed = false;
    let ended = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (o: Outcome): void => {
      for (const t of timers) clearTimeout(t);
      s.destroy();
      resolve(o);
    };
    s.on('error', () => undefined);
    s.on('data', () => (answered = true));
    s.on('close', () => {
      closed = true;
      finish(ended ? 'closed after our end' : 'closed');
    });
    s.once('connect', () => {
      for (const b of bytes) s.write(b);
      timers.push(
        setTimeout(() => {
          if (closed) return;
          if (answered) return finish('answered');
          ended = true;
          s.end();
          timers.push(setTimeout(() => finish('hang'), 3000));
        }, 250),
      );
    });
  });
}

// ------------------------------------------------------------ the good client

interface GoodClient {
  stop(): Promise<{ rounds: number; failures: string[]; states: number[] }>;
}

/** Writes and reads back its own nodes, behind a digest ACL that the bad connections cannot pass. */
async function goodClient(connectString: string): Promise<GoodClient> {
  const states: number[] = [];
  const c = await ZkClient.connect({
    connectString,
    sessionTimeout: 10000,
    watcher: (e: WatchedEvent) => {
      if (e.path === null) states.push(e.state);
    },
  });
  await c.addAuth('digest', 'good:client');
  const acl = [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }];
  const paths = [0, 1, 2, 3].map((i) => `/good-${i}`);
  for (const p of paths) await c.create(p, '0', { acl });
  const failures: string[] = [];
  let rounds = 0;
  let running = true;
  const loop = (async () => {
    const versions = paths.map(() => 0);
    while (running) {
      await Promise.all(
        paths.map(async (p, i) => {
          try {
            const value = `${rounds}:${i}`;
            const stat = await c.setData(p, value, versions[i]!);
            if (stat.version !== versions[i]! + 1) failures.push(`${p}: version ${stat.version} after ${versions[i]}`);
            versions[i] = stat.version;
            const { data, stat: read } = await c.getData(p);
            const got = Buffer.from(data ?? new Uint8Array()).toString();
            if (got !== value || read.version !== stat.version) failures.push(`${p}: wrote ${value} v${stat.version}, read ${got} v${read.version}`);
          } catch (e) {
            failures.push(`${p}: ${(e as Error).message}`);
          }
        }),
      );
      rounds++;
      if (failures.length > 0) return;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await c.close();
      return { rounds, failures, states };
    },
  };
}

// ------------------------------------------------------------ the test

describe('fuzz: bad frames on many connections beside a good client', () => {
  it('keeps the server up and the good client right; every bad connection is answered or closed', async () => {
    const good = await goodClient(server.connectString);
    const outcomes = new Map<string, number>();
    const hangs: string[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(badConnection, { minLength: 1, maxLength: 12 }), async (conns) => {
          const results = await Promise.all(conns.map((c) => probe(server.port, c.bytes)));
          results.forEach((o, i) => {
            outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
            if (o === 'hang') hangs.push(`${conns[i]!.what}: ${conns[i]!.bytes.map((b) => b.toString('hex').slice(0, 80)).join(' | ')}`);
          });
          return !results.includes('hang') && server.running;
        }),
        { numRuns: 120, endOnFailure: true },
      );
    } finally {
      const g = await good.stop();
      expect(g.failures).toEqual([]);
      expect(g.rounds).toBeGreaterThan(10);
      expect(g.states.filter((s) => s !== KeeperState.SyncConnected && s !== KeeperState.Closed)).toEqual([]);
    }
    expect(hangs).toEqual([]);
    expect(server.running).toBe(true);
    expect(await server.fourLetter('ruok')).toBe('imok');
    // every kind of outcome but a hang was seen
    expect(outcomes.get('closed') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('answered') ?? 0).toBeGreaterThan(0);
    if (!reference) expect(server.log()).not.toMatch(/ ERROR /);
  });

  it('answers an unknown opcode with Unimplemented, then closes the connection', async () => {
    const r = await exchange(server.port, [handshake(), Buffer.from([0, 0, 0, 8, 0, 0, 0, 7, 0x12, 0x34, 0x56, 0x78])], 1);
    expect(r.replies).toEqual([{ xid: 7, err: ErrorCode.Unimplemented }]);
    expect(r.closed).toBe(true);
  });

  it('closes connections that never complete a handshake (ZooKeeper: after 10 s)', { timeout: 40000 }, async () => {
    const starts = [Buffer.alloc(0), Buffer.from([0, 0, 0]), handshake().subarray(0, 20), Buffer.from('ruo')];
    const t0 = Date.now();
    const closedAfter = await Promise.all(starts.map((b) => silentUntilClosed(server.port, b, 25000)));
    for (const ms of closedAfter) {
      expect(ms).not.toBeNull();
      expect(ms!).toBeGreaterThanOrEqual(5000);
    }
    expect(Date.now() - t0).toBeLessThan(25000);
    if (!reference) expect(server.log()).toMatch(/closing connection .*: no session request within 10000 ms/);
  });

  it('answers a request whose body does not parse with MarshallingError, then closes', async () => {
    // xid 8, getData, then 2 bytes where the path's 4-byte length should be
    const r = await exchange(server.port, [handshake(), Buffer.from([0, 0, 0, 10, 0, 0, 0, 8, 0, 0, 0, 4, 0xff, 0xff])], 1);
    expect(r.replies).toEqual([{ xid: 8, err: ErrorCode.MarshallingError }]);
    expect(r.closed).toBe(true);
  });
});

/**
 * Sends the frames, the first a handshake, and collects the headers of the
 * first `n` replies after the connect answer; `closed` tells whether the
 * server closed the connection within half a second after them.
 */
function exchange(port: number, frames: Buffer[], n: number): Promise<{ replies: Array<{ xid: number; err: number }>; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const replies: Array<{ xid: number; err: number }> = [];
    let connected = false;
    let done = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`only ${replies.length} replies: ${JSON.stringify(replies)}`));
    }, 5000);
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ replies, closed });
    };
    s.on('error', () => undefined);
    s.on('close', () => {
      if (replies.length >= n) finish(true);
    });
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const body = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + body.length);
        if (!connected) {
          connected = true;
          continue;
        }
        const h = readReplyHeader(new JuteReader(body));
        replies.push({ xid: h.xid, err: h.err });
        if (replies.length === n) setTimeout(() => finish(false), 500);
      }
    });
    s.once('connect', () => {
      for (const f of frames) s.write(f);
    });
  });
}

/** Sends `bytes`, then nothing: how long until the server closes the connection (null: not within `limitMs`). */
function silentUntilClosed(port: number, bytes: Buffer, limitMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(null);
    }, limitMs);
    s.on('error', () => undefined);
    s.once('connect', () => {
      if (bytes.length > 0) s.write(bytes);
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}
