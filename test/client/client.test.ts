import { afterEach, describe, expect, it } from 'vitest';
import { Op, ZkClient, ZkError, type WatchedEvent } from '../../src/client/client.js';
import { CreateMode, ErrorCode, EventType, KeeperState, OpCode, type Stat } from '../../src/wire/protocol.js';
import { FakeServer, type Handler } from './fake-server.js';

const stat: Stat = {
  czxid: 1,
  mzxid: 2,
  ctime: 3,
  mtime: 4,
  version: 5,
  cversion: 6,
  aversion: 7,
  ephemeralOwner: 0n,
  dataLength: 0,
  numChildren: 0,
  pzxid: 8,
};

/** Answers every request with a plausible success. */
const okHandler: Handler = ({ request }) => {
  switch (request.type) {
    case OpCode.getData:
      return { response: { kind: 'data', data: Buffer.from(request.path), stat } };
    case OpCode.exists:
    case OpCode.setData:
      return { response: { kind: 'stat', stat } };
    case OpCode.create:
      return { response: { kind: 'create', path: request.path } };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return { response: { kind: 'create2', path: request.path, stat } };
    case OpCode.getChildren:
      return { response: { kind: 'children', children: ['a', 'b'] } };
    case OpCode.addWatch:
      return { response: { kind: 'error', err: 0 } };
    default:
      return {};
  }
};

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

const servers: FakeServer[] = [];
const clients: ZkClient[] = [];

async function setup(
  handler: Handler = okHandler,
  opts: Parameters<typeof FakeServer.start>[1] = {},
  clientOpts: Partial<Parameters<typeof ZkClient.connect>[0]> = {},
): Promise<{ server: FakeServer; client: ZkClient; events: WatchedEvent[] }> {
  const server = await FakeServer.start(handler, opts);
  servers.push(server);
  const events: WatchedEvent[] = [];
  const client = await ZkClient.connect({
    connectString: server.address,
    sessionTimeout: 4000,
    watcher: (e) => events.push(e),
    ...clientOpts,
  });
  clients.push(client);
  return { server, client, events };
}

function until(cond: () => boolean, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error('condition not reached in time'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.removeAllListeners().destroy();
  for (const s of servers.splice(0)) await s.stop();
});

describe('ZkClient against a scripted server', () => {
  it('performs the handshake: long form, session id, password, negotiated timeout', async () => {
    const { server, client, events } = await setup(okHandler, { maxTimeout: 3000 }, { canBeReadOnly: true });
    const c = server.connections[0]!.connect!;
    expect(c).toMatchObject({ protocolVersion: 0, lastZxidSeen: 0, timeOut: 4000, sessionId: 0n, readOnly: true });
    expect(c.passwd).toEqual(new Uint8Array(16));
    expect(client.sessionId).toBe(0x100n);
    expect(client.sessionPasswd).toEqual(Uint8Array.from({ length: 16 }, (_, i) => i + 1));
    expect(client.negotiatedTimeout).toBe(3000);
    expect(client.state).toBe('CONNECTED');
    expect(events).toEqual([{ type: EventType.None, state: KeeperState.SyncConnected, path: null, zxid: -1 }]);
  });

  it('reports a read-only server', async () => {
    const { client, events } = await setup(okHandler, { readOnly: true }, { canBeReadOnly: true });
    expect(client.state).toBe('CONNECTEDREADONLY');
    expect(client.readOnly).toBe(true);
    expect(events[0]!.state).toBe(KeeperState.ConnectedReadOnly);
  });

  it('pipelines many requests, matches replies by xid and batches writes', async () => {
    const { server, client } = await setup();
    const paths = Array.from({ length: 500 }, (_, i) => `/n${i}`);
    const results = await Promise.all(paths.map((p) => client.getData(p)));
    expect(results.map((r) => Buffer.from(r.data!).toString())).toEqual(paths);
    const xids = server.requests.map((r) => r.header.xid);
    expect(xids).toEqual(xids.map((_, i) => xids[0]! + i));
    expect(server.connections[0]!.dataEvents).toBeLessThan(50);
  });

  it('answers in order even when the server delays replies', async () => {
    const held: Array<() => void> = [];
    const { client } = await setup(({ header, request }, conn) => {
      held.push(() => conn.reply(header.xid, okHandler({ header, request }, conn)!));
      return undefined;
    });
    const a = client.getData('/a');
    const b = client.getData('/b');
    await until(() => held.length === 2);
    held.forEach((f) => f());
    expect(Buffer.from((await a).data!).toString()).toBe('/a');
    expect(Buffer.from((await b).data!).toString()).toBe('/b');
  });

  it('turns error replies into ZkErrors as ZooKeeper words them', async () => {
    const { client } = await setup(({ request }) =>
      request.type === OpCode.setData ? { err: ErrorCode.BadVersion } : { err: ErrorCode.NoNode },
    );
    const e = await client.getData('/x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ZkError);
    expect(e).toMatchObject({ code: -101, codeName: 'NoNode', path: '/x', message: 'KeeperErrorCode = NoNode for /x' });
    expect(await client.exists('/x')).toBeNull();
    await expect(client.setData('/x', 'v', 3)).rejects.toMatchObject({ codeName: 'BadVersion' });
  });

  it('chooses the create opcode from the mode and returns Stat with create2', async () => {
    const { server, client } = await setup();
    expect(await client.create('/p', 'd')).toBe('/p');
    expect(await client.create2('/q', null, { mode: CreateMode.EPHEMERAL })).toEqual({ path: '/q', stat });
    await client.create('/t', 'd', { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 5000 });
    await client.create('/c', 'd', { mode: CreateMode.CONTAINER });
    const sent = server.requests.map((r) => r.request);
    expect(sent.map((r) => r.type)).toEqual([OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer]);
    expect(sent[0]).toMatchObject({ path: '/p', data: utf8('d'), flags: 0 });
    expect(sent[2]).toMatchObject({ flags: CreateMode.PERSISTENT_WITH_TTL, ttl: 5000 });
  });

  it('multi: all results, or a ZkError of the first failure carrying every result', async () => {
    let fail = false;
    const { server, client } = await setup(() => ({
      response: {
        kind: 'multi',
        results: fail
          ? [
              { type: OpCode.error, err: 0 },
              { type: OpCode.error, err: ErrorCode.NodeExists },
            ]
          : [{ type: OpCode.create, path: '/a' }, { type: OpCode.delete }],
      },
    }));
    expect(await client.multi([Op.create('/a'), Op.delete('/b')])).toEqual([
      { type: OpCode.create, path: '/a' },
      { type: OpCode.delete },
    ]);
    fail = true;
    const e = (await client.multi([Op.create('/a'), Op.create('/b')]).catch((x: unknown) => x)) as ZkError;
    expect(e.codeName).toBe('NodeExists');
    expect(e.results).toHaveLength(2);
    expect(await client.multi([])).toEqual([]);
    expect(await client.multiRead([])).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it('delivers notifications with their zxid', async () => {
    const { server, client, events } = await setup();
    const seen: WatchedEvent[] = [];
    client.on('watch', (e: WatchedEvent) => seen.push(e));
    server.connections[0]!.notify({ type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: '/w' }, 42);
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual({ type: EventType.NodeDataChanged, state: 3, path: '/w', zxid: 42 });
    expect(events.at(-1)).toEqual(seen[0]);
  });

  it('addAuth resolves on acceptance; AuthFailed ends the session', async () => {
    let accept = true;
    // auth packets are left for the test to answer
    const { server, client, events } = await setup((req, conn) => (req.header.xid === -4 ? undefined : okHandler(req, conn)));
    const conn = server.connections[0]!;
    const answerAuth = async (): Promise<void> => {
      await until(() => conn.received.some((r) => r.header.xid === -4 && !answered.has(r)));
      for (const r of conn.received) {
        if (r.header.xid === -4 && !answered.has(r)) {
          answered.add(r);
          conn.reply(-4, { err: accept ? 0 : ErrorCode.AuthFailed });
        }
      }
    };
    const answered = new Set<unknown>();
    const first = client.addAuth('digest', 'u:p');
    await answerAuth();
    await first;
    expect(conn.received.find((r) => r.header.xid === -4)!.request).toEqual({
      type: OpCode.auth,
      authType: 0,
      scheme: 'digest',
      auth: utf8('u:p'),
    });
    accept = false;
    const second = client.addAuth('digest', 'bad');
    await answerAuth();
    await expect(second).rejects.toMatchObject({ codeName: 'AuthFailed' });
    expect(client.state).toBe('AUTH_FAILED');
    expect(events.at(-1)!.state).toBe(KeeperState.AuthFailed);
    await expect(client.getData('/x')).rejects.toMatchObject({ codeName: 'AuthFailed' });
  });

  it('pings every third of the negotiated timeout', async () => {
    const { server } = await setup(okHandler, { maxTimeout: 600 });
    await new Promise((r) => setTimeout(r, 700));
    const pings = server.connections[0]!.received.filter((r) => r.header.xid === -2);
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings.length).toBeLessThanOrEqual(4);
    expect(pings[0]!.header.type).toBe(OpCode.ping);
  });

  it('drops a silent connection after two thirds of the timeout and reconnects', async () => {
    const { server, events } = await setup(okHandler, { maxTimeout: 600, answerPings: false });
    // the second connection is accepted before its handshake is answered
    await until(() => server.connections.length === 2 && events.length === 3, 3000);
    expect(events.map((e) => e.state)).toEqual([KeeperState.SyncConnected, KeeperState.Disconnected, KeeperState.SyncConnected]);
  });

  it('reconnects the same session: fails what was in flight, re-sends credentials and watches', async () => {
    const { server, client, events } = await setup(({ request, header }) => {
      if (request.type === OpCode.exists) return { err: ErrorCode.NoNode, zxid: 77 };
      if (request.type === OpCode.sync) return undefined; // never answered
      if (request.type === OpCode.setWatches || request.type === OpCode.setWatches2) return {};
      if (header.xid === -4) return undefined;
      return { ...okHandler({ header, request }, server.connections[0]!)!, zxid: 77 };
    });
    const conn0 = server.connections[0]!;
    const authDone = client.addAuth('digest', 'u:p');
    await until(() => conn0.received.some((r) => r.header.xid === -4));
    conn0.reply(-4, {});
    await authDone;
    await client.getData('/d', true);
    await client.exists('/e', true);
    await client.getChildren('/c', true);
    await client.addWatch('/p', 0);
    await client.addWatch('/r', 1);
    const stuck = client.sync('/s');
    await until(() => conn0.received.some((r) => r.request.type === OpCode.sync));
    conn0.drop();
    await expect(stuck).rejects.toMatchObject({ codeName: 'ConnectionLoss' });
    await until(() => server.connections.length === 2 && client.state === 'CONNECTED');
    const conn1 = server.connections[1]!;
    expect(conn1.connect).toMatchObject({ sessionId: client.sessionId, lastZxidSeen: 77 });
    expect(conn1.connect!.passwd).toEqual(client.sessionPasswd);
    await until(() => conn1.received.length >= 2);
    expect(conn1.received[0]!.request).toMatchObject({ type: OpCode.auth, scheme: 'digest' });
    expect(conn1.received[1]!.header).toEqual({ xid: -8, type: OpCode.setWatches2 });
    expect(conn1.received[1]!.request).toEqual({
      type: OpCode.setWatches2,
      relativeZxid: 77,
      dataWatches: ['/d'],
      existWatches: ['/e'],
      childWatches: ['/c'],
      persistentWatches: ['/p'],
      persistentRecursiveWatches: ['/r'],
    });
    expect(events.map((e) => e.state)).toEqual([KeeperState.SyncConnected, KeeperState.Disconnected, KeeperState.SyncConnected]);
    // the session goes on
    expect(Buffer.from((await client.getData('/after')).data!).toString()).toBe('/after');
  });

  it('forgets one-shot watches that fired, and sends setWatches (v1) without persistent ones', async () => {
    const { server, client, events } = await setup();
    await client.getData('/a', true);
    await client.getData('/b', true);
    server.connections[0]!.notify({ type: EventType.NodeDataChanged, state: 3, path: '/a' }, 9);
    await until(() => events.some((e) => e.path === '/a'));
    server.connections[0]!.drop();
    await until(() => server.connections.length === 2 && server.connections[1]!.received.length >= 1);
    expect(server.connections[1]!.received[0]!.request).toMatchObject({
      type: OpCode.setWatches,
      dataWatches: ['/b'],
      existWatches: [],
      childWatches: [],
    });
  });

  it('requests made while reconnecting go out once connected', async () => {
    const { server, client } = await setup();
    const later = new Promise<{ data: Uint8Array | null }>((resolve, reject) => {
      client.on('state', (e: WatchedEvent) => {
        if (e.state !== KeeperState.Disconnected) return;
        expect(client.state).toBe('CONNECTING');
        client.getData('/later').then(resolve, reject);
      });
    });
    server.connections[0]!.drop();
    expect(Buffer.from((await later).data!).toString()).toBe('/later');
    expect(server.connections).toHaveLength(2);
  });

  it('a server that says the session expired ends the client', async () => {
    const expired = new Set<bigint>();
    const { server, client, events } = await setup(okHandler, { expired });
    expired.add(client.sessionId);
    server.connections[0]!.drop();
    await until(() => client.state === 'CLOSED');
    expect(events.at(-1)!.state).toBe(KeeperState.Expired);
    await expect(client.getData('/x')).rejects.toMatchObject({ codeName: 'SessionExpired' });
  });

  it('an out-of-order reply drops the connection', async () => {
    const { server, client } = await setup(({ header }, conn) => {
      conn.reply(header.xid + 1000, {});
      return undefined;
    });
    await expect(client.delete('/x')).rejects.toMatchObject({ codeName: 'ConnectionLoss' });
    await until(() => server.connections.length === 2);
  });

  it('send: raw requests under any opcode, resolving with the header whatever the error', async () => {
    const { server, client } = await setup();
    const res = await client.send(999, { type: OpCode.sync, path: '/z' });
    expect(res).toEqual({ header: { xid: 1, zxid: 1, err: ErrorCode.Unimplemented } });
    expect(server.connections[0]!.unknown).toEqual([{ xid: 1, type: 999 }]);
    expect(await client.send(OpCode.getData, { type: OpCode.getData, path: '/q', watch: false })).toMatchObject({
      header: { xid: 2, err: 0 },
      response: { kind: 'data', data: utf8('/q') },
    });
  });

  it('close sends closeSession, then everything fails with SessionExpired', async () => {
    const { server, client, events } = await setup();
    await client.close();
    expect(server.requests.at(-1)!.header.type).toBe(OpCode.closeSession);
    expect(client.state).toBe('CLOSED');
    expect(events.at(-1)!.state).toBe(KeeperState.Closed);
    await expect(client.getData('/x')).rejects.toMatchObject({ codeName: 'SessionExpired' });
    await client.close();
  });

  it('the first connect fails with ConnectionLoss when nothing listens', async () => {
    const server = await FakeServer.start(okHandler);
    const address = server.address;
    await server.stop();
    await expect(ZkClient.connect({ connectString: address, connectTimeout: 300 })).rejects.toMatchObject({
      codeName: 'ConnectionLoss',
    });
  });
});
