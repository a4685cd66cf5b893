// Our client against a real server: a verikeeper process started here, or
// any server at VERIKEEPER_TEST_SERVER=host:port (Apache ZooKeeper, for
// comparison).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ids, Op, ZkClient, ZkError, type WatchedEvent } from '../../src/client/client.js';
import { TestServer } from './server.js';
import { AddWatchMode, CreateMode, ErrorCode, EventType, OpCode, Perms, WatcherType } from '../../src/wire/protocol.js';

let server = process.env.VERIKEEPER_TEST_SERVER;
let started: TestServer | undefined;
const root = `/vk-client-e2e-${process.pid}-${Date.now()}`;
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());

async function deleteAll(c: ZkClient, path: string): Promise<void> {
  const children = await c.getChildren(path).catch((e: unknown) => {
    if (e instanceof ZkError && e.code === ErrorCode.NoNode) return null;
    throw e;
  });
  if (children === null) return;
  for (const child of children) await deleteAll(c, `${path}/${child}`);
  await c.delete(path).catch(() => undefined);
}

function nextEvent(events: WatchedEvent[], pred: (e: WatchedEvent) => boolean, ms = 5000): Promise<WatchedEvent> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      const e = events.find(pred);
      if (e !== undefined) resolve(e);
      else if (Date.now() - t0 > ms) reject(new Error('no such event'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('client end to end', () => {
  let c: ZkClient;
  const events: WatchedEvent[] = [];

  beforeAll(async () => {
    if (server === undefined) {
      started = await TestServer.start();
      server = started.connectString;
    }
    c = await ZkClient.connect({ connectString: server!, sessionTimeout: 10000, watcher: (e) => events.push(e) });
    await c.create(root);
  });

  afterAll(async () => {
    if (c !== undefined) {
      await deleteAll(c, root);
      await c.close();
    }
    await started?.destroy();
  });

  it('negotiates a session', () => {
    expect(c.state).toBe('CONNECTED');
    expect(c.sessionId).not.toBe(0n);
    expect(c.sessionPasswd.length).toBe(16);
    expect(c.negotiatedTimeout).toBeGreaterThan(0);
  });

  it('create, getData, setData with versions, delete', async () => {
    const p = `${root}/basic`;
    expect(await c.create(p, 'v0')).toBe(p);
    await expect(c.create(p, 'again')).rejects.toMatchObject({ code: ErrorCode.NodeExists, path: p });
    const { data, stat } = await c.getData(p);
    expect(text(data)).toBe('v0');
    expect(stat).toMatchObject({ version: 0, dataLength: 2, numChildren: 0, ephemeralOwner: 0n });
    expect(stat.czxid).toBe(stat.mzxid);
    const s1 = await c.setData(p, 'v1', 0);
    expect(s1.version).toBe(1);
    expect(s1.mzxid).toBeGreaterThan(stat.mzxid);
    await expect(c.setData(p, 'v2', 0)).rejects.toMatchObject({ codeName: 'BadVersion' });
    await c.create(`${p}/child`);
    await expect(c.delete(p)).rejects.toMatchObject({ codeName: 'NotEmpty' });
    await expect(c.delete(`${p}/child`, 5)).rejects.toMatchObject({ codeName: 'BadVersion' });
    await c.delete(`${p}/child`, 0);
    await c.delete(p);
    expect(await c.exists(p)).toBeNull();
    await expect(c.getData(p)).rejects.toMatchObject({ codeName: 'NoNode' });
    await expect(c.create(`${root}/missing/child`)).rejects.toMatchObject({ codeName: 'NoNode' });
    await expect(c.create('bad-path')).rejects.toMatchObject({ codeName: 'BadArguments' });
  });

  it('create2, sequential names, null and empty data', async () => {
    const p = `${root}/seq`;
    const { path, stat } = await c.create2(p, null);
    expect(path).toBe(p);
    expect(stat.dataLength).toBe(0);
    expect((await c.getData(p)).data?.length ?? 0).toBe(0);
    const a = await c.create(`${p}/n-`, '', { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    const b = await c.create(`${p}/n-`, '', { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    expect(a).toBe(`${p}/n-0000000000`);
    expect(b).toBe(`${p}/n-0000000001`);
    expect((await c.getChildren(p)).sort()).toEqual(['n-0000000000', 'n-0000000001']);
    const { children, stat: ps } = await c.getChildren2(p);
    expect(children).toHaveLength(2);
    expect(ps.numChildren).toBe(2);
    expect(ps.cversion).toBe(2);
    expect(await c.getAllChildrenNumber(p)).toBe(2);
  });

  it('ephemerals belong to their session and go with it', async () => {
    const other = await ZkClient.connect({ connectString: server!, sessionTimeout: 10000 });
    const p = `${root}/eph`;
    await other.create(p, 'x', { mode: CreateMode.EPHEMERAL });
    const s = await c.exists(p, true);
    expect(s!.ephemeralOwner).toBe(other.sessionId);
    expect(await other.getEphemerals(root)).toEqual([p]);
    await expect(other.create(`${p}/kid`)).rejects.toMatchObject({ codeName: 'NoChildrenForEphemerals' });
    await other.close();
    const e = await nextEvent(events, (x) => x.path === p);
    expect(e.type).toBe(EventType.NodeDeleted);
    expect(await c.exists(p)).toBeNull();
  });

  it('one-shot watches: data, exists, children', async () => {
    const p = `${root}/w`;
    expect(await c.exists(p, true)).toBeNull();
    await c.create(p, 'a');
    const created = await nextEvent(events, (e) => e.path === p && e.type === EventType.NodeCreated);
    expect(created.zxid).toBeGreaterThan(0);
    await c.getData(p, true);
    await c.getChildren(p, true);
    await c.setData(p, 'b');
    await nextEvent(events, (e) => e.path === p && e.type === EventType.NodeDataChanged);
    await c.create(`${p}/k`);
    await nextEvent(events, (e) => e.path === p && e.type === EventType.NodeChildrenChanged);
    await expect(c.checkWatches(p, WatcherType.Data)).rejects.toMatchObject({ codeName: 'NoWatcher' });
  });

  it('persistent recursive watches, checkWatches and removeWatches', async () => {
    const p = `${root}/pw`;
    await c.create(p);
    await c.addWatch(p, AddWatchMode.PersistentRecursive);
    await c.checkWatches(p, WatcherType.PersistentRecursive);
    await c.create(`${p}/a`);
    await c.create(`${p}/a/b`);
    await nextEvent(events, (e) => e.path === `${p}/a/b` && e.type === EventType.NodeCreated);
    await c.removeWatches(p, WatcherType.PersistentRecursive);
    await expect(c.checkWatches(p, WatcherType.PersistentRecursive)).rejects.toMatchObject({ codeName: 'NoWatcher' });
    await expect(c.removeWatches(p, WatcherType.Data)).rejects.toMatchObject({ codeName: 'NoWatcher' });
  });

  it('multi commits all or nothing; multiRead reports per operation', async () => {
    const p = `${root}/multi`;
    const ok = await c.multi([Op.create(p, 'a'), Op.setData(p, 'b'), Op.check(p, 1), Op.create(`${p}/k`)]);
    expect(ok.map((r) => r.type)).toEqual([OpCode.create, OpCode.setData, OpCode.check, OpCode.create]);
    const e = (await c.multi([Op.delete(`${p}/k`), Op.check(p, 7)]).catch((x: unknown) => x)) as ZkError;
    expect(e.codeName).toBe('BadVersion');
    expect(e.results).toEqual([
      { type: OpCode.error, err: 0 },
      { type: OpCode.error, err: ErrorCode.BadVersion },
    ]);
    expect(await c.exists(`${p}/k`)).not.toBeNull();
    const reads = await c.multiRead([Op.getData(p), Op.getChildren(p), Op.getData(`${p}/none`)]);
    expect(reads[0]).toMatchObject({ type: OpCode.getData });
    expect(text((reads[0] as { data: Uint8Array }).data)).toBe('b');
    expect(reads[1]).toEqual({ type: OpCode.getChildren, children: ['k'] });
    expect(reads[2]).toEqual({ type: OpCode.error, err: ErrorCode.NoNode });
  });

  it('ACLs and digest auth', async () => {
    const p = `${root}/acl`;
    const owner = await ZkClient.connect({ connectString: server!, sessionTimeout: 10000 });
    await owner.addAuth('digest', 'alice:secret');
    expect(await owner.whoAmI()).toContainEqual({ authScheme: 'digest', user: 'alice' });
    await owner.create(p, 'private', { acl: Ids.CREATOR_ALL_ACL });
    await expect(c.getACL(p)).rejects.toMatchObject({ codeName: 'NoAuth' });
    const { acl } = await owner.getACL(p);
    expect(acl).toHaveLength(1);
    expect(acl[0]!.id.scheme).toBe('digest');
    expect(acl[0]!.id.id.startsWith('alice:')).toBe(true);
    expect(acl[0]!.perms).toBe(Perms.ALL);
    await expect(c.getData(p)).rejects.toMatchObject({ codeName: 'NoAuth' });
    await owner.setACL(p, [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }, acl[0]!], 0);
    expect(text((await c.getData(p)).data)).toBe('private');
    await expect(c.setData(p, 'x')).rejects.toMatchObject({ codeName: 'NoAuth' });
    await expect(owner.setACL(p, Ids.OPEN_ACL_UNSAFE, 0)).rejects.toMatchObject({ codeName: 'BadVersion' });
    await owner.close();
  });

  it('sync and pipelined reads', async () => {
    expect(await c.sync(root)).toBe(root);
    const all = await Promise.all(Array.from({ length: 200 }, () => c.exists(root)));
    expect(new Set(all.map((s) => s!.czxid)).size).toBe(1);
  });

  it('re-attaches to a session with its id and password', async () => {
    const again = await ZkClient.connect({
      connectString: server!,
      sessionId: c.sessionId,
      sessionPasswd: c.sessionPasswd,
    });
    expect(again.sessionId).toBe(c.sessionId);
    // the session moved: drop this connection without closing the session
    again.destroy();
  });

  it('answers an unknown opcode with Unimplemented', async () => {
    const other = await ZkClient.connect({ connectString: server!, sessionTimeout: 10000 });
    const { header } = await other.send(998, { type: OpCode.sync, path: '/' });
    expect(header.err).toBe(ErrorCode.Unimplemented);
    await other.close();
  });

  it('TTL nodes are created when the server allows them, Unimplemented otherwise', async () => {
    const p = `${root}/ttl`;
    const r = await c.create(p, 'x', { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 60000 }).catch((e: unknown) => e);
    if (r instanceof ZkError) expect(r.codeName).toBe('Unimplemented');
    else expect(r).toBe(p);
  });
});
