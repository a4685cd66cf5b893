// Watches of every kind against a real server: one-shot data, exist and
// child watches through node-zookeeper-client; persistent and recursive
// watches, removeWatches and checkWatches through our client (the library
// has no addWatch); and watches set again on a new connection (setWatches)
// after the server was killed and restarted, firing for what changed while
// the client was away.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient, type WatchedEvent } from '../../src/client/client.js';
import { AddWatchMode, ErrorCode, EventType, KeeperState, WatcherType } from '../../src/wire/protocol.js';
import { Nzk, oneEvent, plain, type ZkEvent } from './nzk.js';
import { Proxy } from './proxy.js';
import { TestServer, eventually, sleep } from './server.js';

let server: TestServer;
let a: Nzk;
let b: Nzk;

beforeAll(async () => {
  server = await TestServer.start();
  a = await Nzk.connect(server.connectString);
  b = await Nzk.connect(server.connectString);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.destroy();
});

/** How long to wait for an event that must not come. */
const QUIET_MS = 300;

const ev = (e: ZkEvent): [number, string] => [e.getType(), e.getPath()];

describe('one-shot watches (node-zookeeper-client)', () => {
  it('a data watch fires once, for a change by another session', async () => {
    await b.create('/dw', 'v0');
    const w = oneEvent();
    expect((await a.getData('/dw', w.watcher)).data!.toString()).toBe('v0');
    await b.setData('/dw', 'v1');
    expect(ev(await w.next())).toEqual([EventType.NodeDataChanged, '/dw']);
    await b.setData('/dw', 'v2');
    await sleep(QUIET_MS);
    expect(w.events).toHaveLength(1);

    const del = oneEvent();
    await a.getData('/dw', del.watcher);
    await b.remove('/dw');
    expect(ev(await del.next())).toEqual([EventType.NodeDeleted, '/dw']);
  });

  it('an exists watch fires on create, data change and delete', async () => {
    const created = oneEvent();
    expect(await a.exists('/ew', created.watcher)).toBeNull();
    await b.create('/ew', 'x');
    expect(ev(await created.next())).toEqual([EventType.NodeCreated, '/ew']);

    const changed = oneEvent();
    expect(await a.exists('/ew', changed.watcher)).not.toBeNull();
    await b.setData('/ew', 'y');
    expect(ev(await changed.next())).toEqual([EventType.NodeDataChanged, '/ew']);

    const deleted = oneEvent();
    await a.exists('/ew', deleted.watcher);
    await b.remove('/ew');
    expect(ev(await deleted.next())).toEqual([EventType.NodeDeleted, '/ew']);
  });

  it('a child watch fires for a child created or deleted and for the node deleted, not for data', async () => {
    await b.create('/cw');
    const w1 = oneEvent();
    await a.getChildren('/cw', w1.watcher);
    await b.setData('/cw', 'data does not fire a child watch');
    await sleep(QUIET_MS);
    expect(w1.events).toHaveLength(0);
    await b.create('/cw/kid', 'x');
    expect(ev(await w1.next())).toEqual([EventType.NodeChildrenChanged, '/cw']);

    const w2 = oneEvent();
    await a.getChildren('/cw', w2.watcher);
    await b.setData('/cw/kid', 'neither does a child data change');
    await b.create('/cw/kid/grandchild');
    await sleep(QUIET_MS);
    expect(w2.events).toHaveLength(0);
    await b.remove('/cw/kid/grandchild');
    await b.remove('/cw/kid');
    expect(ev(await w2.next())).toEqual([EventType.NodeChildrenChanged, '/cw']);

    const w3 = oneEvent();
    await a.getChildren('/cw', w3.watcher);
    await b.remove('/cw');
    expect(ev(await w3.next())).toEqual([EventType.NodeDeleted, '/cw']);
  });

  it('a session sees the event of its own write before the reply to it', async () => {
    await a.create('/order', 'x');
    const seen: string[] = [];
    await a.getData('/order', () => seen.push('event'));
    await a.setData('/order', 'y').then(() => seen.push('reply'));
    expect(seen).toEqual(['event', 'reply']);
  });

  it('watches of several sessions on one node all fire', async () => {
    await a.create('/many', 'x');
    const wa = oneEvent();
    const wb = oneEvent();
    await a.exists('/many', wa.watcher);
    await b.getData('/many', wb.watcher);
    await a.setData('/many', 'y');
    expect(ev(await wa.next())).toEqual([EventType.NodeDataChanged, '/many']);
    expect(ev(await wb.next())).toEqual([EventType.NodeDataChanged, '/many']);
  });
});

describe('persistent watches and watch removal (our client)', () => {
  let c: ZkClient;
  const events: WatchedEvent[] = [];
  const eventsFor = (prefix: string): Array<[number, string | null]> =>
    events.filter((e) => e.path !== null && e.path.startsWith(prefix)).map((e) => [e.type, e.path]);

  beforeAll(async () => {
    c = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000, watcher: (e) => events.push(e) });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('a persistent watch fires for every change of the node and of its children list', async () => {
    await c.addWatch('/pw', AddWatchMode.Persistent);
    await b.create('/pw', 'a');
    await b.setData('/pw', 'b');
    await b.setData('/pw', 'c');
    await b.create('/pw/kid');
    await b.create('/pw/kid/grandchild');
    await b.setData('/pw/kid', 'not watched');
    await b.remove('/pw/kid/grandchild');
    await b.remove('/pw/kid');
    await b.remove('/pw');
    await b.create('/pw', 'again');
    const want: Array<[number, string]> = [
      [EventType.NodeCreated, '/pw'],
      [EventType.NodeDataChanged, '/pw'],
      [EventType.NodeDataChanged, '/pw'],
      [EventType.NodeChildrenChanged, '/pw'],
      [EventType.NodeChildrenChanged, '/pw'],
      [EventType.NodeDeleted, '/pw'],
      [EventType.NodeCreated, '/pw'],
    ];
    await eventually('all persistent watch events', () => eventsFor('/pw').length >= want.length);
    await sleep(QUIET_MS);
    expect(eventsFor('/pw')).toEqual(want);
    await c.checkWatches('/pw', WatcherType.Persistent);
  });

  it('a persistent recursive watch fires for the whole subtree, without child events', async () => {
    await c.addWatch('/rec', AddWatchMode.PersistentRecursive);
    await b.create('/rec');
    await b.create('/rec/a', 'x');
    await b.create('/rec/a/b', 'x');
    await b.setData('/rec/a/b', 'y');
    await b.remove('/rec/a/b');
    await b.create('/recursion-is-not-a-prefix-match');
    const want: Array<[number, string]> = [
      [EventType.NodeCreated, '/rec'],
      [EventType.NodeCreated, '/rec/a'],
      [EventType.NodeCreated, '/rec/a/b'],
      [EventType.NodeDataChanged, '/rec/a/b'],
      [EventType.NodeDeleted, '/rec/a/b'],
    ];
    await eventually('all recursive watch events', () => eventsFor('/rec').length >= want.length);
    await sleep(QUIET_MS);
    expect(eventsFor('/rec')).toEqual(want);
    await c.checkWatches('/rec', WatcherType.PersistentRecursive);
    await expect(c.checkWatches('/rec', WatcherType.Persistent)).rejects.toMatchObject({ code: ErrorCode.NoWatcher });
  });

  it('removeWatches takes a watch away: no event after it, NoWatcher when there is none', async () => {
    await b.create('/rm', 'x');
    await c.getData('/rm', true);
    await c.getChildren('/rm', true);
    await c.checkWatches('/rm', WatcherType.Data);
    await c.checkWatches('/rm', WatcherType.Children);
    await c.removeWatches('/rm', WatcherType.Data);
    await expect(c.checkWatches('/rm', WatcherType.Data)).rejects.toMatchObject({ code: ErrorCode.NoWatcher });
    await expect(c.removeWatches('/rm', WatcherType.Data)).rejects.toMatchObject({ code: ErrorCode.NoWatcher });
    await b.setData('/rm', 'y');
    await c.checkWatches('/rm', WatcherType.Children);
    await c.removeWatches('/rm', WatcherType.Any);
    await expect(c.checkWatches('/rm', WatcherType.Children)).rejects.toMatchObject({ code: ErrorCode.NoWatcher });
    await b.create('/rm/kid');
    await c.addWatch('/rm', AddWatchMode.Persistent);
    await c.removeWatches('/rm', WatcherType.Persistent);
    await b.setData('/rm', 'z');
    await sleep(QUIET_MS);
    expect(eventsFor('/rm').filter(([t]) => t !== EventType.DataWatchRemoved && t !== EventType.ChildWatchRemoved)).toEqual([]);
    await expect(c.removeWatches('/nowhere', WatcherType.Any)).rejects.toMatchObject({ code: ErrorCode.NoWatcher });
  });
});

describe('watches set again after a server crash (setWatches)', () => {
  it('fire for changes made while the client was away and stay set for later ones', async () => {
    const proxy = await Proxy.start(() => ({ host: server.host, port: server.port }));
    const away = await Nzk.connect(proxy.connectString, { sessionTimeout: 10000 });
    try {
      await b.create('/rw');
      await b.create('/rw/changed', 'v0');
      await b.create('/rw/deleted', 'v0');
      await b.create('/rw/kids');
      await b.create('/rw/same', 'v0');
      const changed = oneEvent();
      const deleted = oneEvent();
      const created = oneEvent();
      const kids = oneEvent();
      const same = oneEvent();
      await away.getData('/rw/changed', changed.watcher);
      await away.exists('/rw/deleted', deleted.watcher);
      expect(await away.exists('/rw/created', created.watcher)).toBeNull();
      await away.getChildren('/rw/kids', kids.watcher);
      await away.getData('/rw/same', same.watcher);
      const session = away.sessionId;

      proxy.block();
      await server.kill();
      await server.restart();
      const b2 = await Nzk.connect(server.connectString);
      try {
        await b2.setData('/rw/changed', 'v1');
        await b2.remove('/rw/deleted');
        await b2.create('/rw/created');
        await b2.create('/rw/kids/new');
        const statesBefore = away.states.length;
        proxy.unblock();
        await away.waitForState('SYNC_CONNECTED', 15000, statesBefore);
        expect(away.sessionId).toBe(session);
        expect(ev(await changed.next())).toEqual([EventType.NodeDataChanged, '/rw/changed']);
        expect(ev(await deleted.next())).toEqual([EventType.NodeDeleted, '/rw/deleted']);
        expect(ev(await created.next())).toEqual([EventType.NodeCreated, '/rw/created']);
        expect(ev(await kids.next())).toEqual([EventType.NodeChildrenChanged, '/rw/kids']);
        await sleep(QUIET_MS);
        expect(same.events).toHaveLength(0);
        await b2.setData('/rw/same', 'v1');
        expect(ev(await same.next())).toEqual([EventType.NodeDataChanged, '/rw/same']);
        expect(await away.get('/rw/changed')).toBe('v1');
      } finally {
        await b2.close();
      }
    } finally {
      await away.close();
      await proxy.close();
    }
    // the clients of this file connected before the crash come back to the same sessions
    a = await reconnected(a);
    b = await reconnected(b);
  });

  it('set persistent watches again (setWatches2)', async () => {
    const proxy = await Proxy.start(() => ({ host: server.host, port: server.port }));
    const events: WatchedEvent[] = [];
    const c = await ZkClient.connect({ connectString: proxy.connectString, sessionTimeout: 10000, watcher: (e) => events.push(e) });
    try {
      await c.addWatch('/rw2', AddWatchMode.PersistentRecursive);
      await c.addWatch('/rw2-flat', AddWatchMode.Persistent);
      proxy.block();
      await eventually('the client sees the disconnect', () => events.some((e) => e.state === KeeperState.Disconnected));
      await b.create('/rw2', 'while away');
      proxy.unblock();
      await eventually('reconnected', () => c.state === 'CONNECTED');
      await c.sync('/');
      await b.create('/rw2/kid');
      await b.create('/rw2-flat');
      await b.setData('/rw2-flat', 'x');
      const got = (): Array<[number, string | null]> => events.filter((e) => e.type !== EventType.None).map((e) => [e.type, e.path]);
      await eventually('events after the reconnect', () => got().length >= 3);
      await sleep(QUIET_MS);
      // a persistent watch is set again as it is: what changed while away does not fire it
      expect(got()).toEqual([
        [EventType.NodeCreated, '/rw2/kid'],
        [EventType.NodeCreated, '/rw2-flat'],
        [EventType.NodeDataChanged, '/rw2-flat'],
      ]);
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});

/** A client of this file after the server restart: the same session, connected again. */
async function reconnected(z: Nzk): Promise<Nzk> {
  const id = z.sessionId;
  await eventually('the client is connected again', async () => (await z.exists('/')) !== null, 15000);
  expect(z.sessionId).toBe(id);
  expect(plain((await z.exists('/'))!).numChildren).toBeGreaterThan(0);
  return z;
}

describe('watch bookkeeping in wchc', () => {
  it('lists the watches of each session and forgets those of a closed one', async () => {
    const z = await Nzk.connect(server.connectString);
    await b.create('/wchc-node', 'x');
    await z.getData('/wchc-node', () => undefined);
    const hex = '0x' + BigInt.asUintN(64, z.sessionId).toString(16);
    const before = await server.fourLetter('wchc');
    expect(before).toContain(hex);
    expect(before.slice(before.indexOf(hex))).toContain('/wchc-node');
    await z.close();
    await eventually('the closed session has no watches', async () => !(await server.fourLetter('wchc')).includes(hex));
  });
});
