// Every znode operation against a real server: node-zookeeper-client for
// what it speaks, verikeeper's own client for the opcodes it lacks (sync,
// containers, TTL nodes, getEphemerals, getAllChildrenNumber, whoAmI) and for
// requests it refuses to send (bad paths).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/client/client.js';
import { CreateMode as Mode, ErrorCode, OpCode } from '../../src/wire/protocol.js';
import { ACL, CreateMode, Id, Nzk, Permission, long, plain } from './nzk.js';
import { TestServer, eventually, sleep } from './server.js';

let server: TestServer;
let a: Nzk;
let ours: ZkClient;

beforeAll(async () => {
  server = await TestServer.start({ settings: { 'znode.container.checkIntervalMs': 100 } });
  a = await Nzk.connect(server.connectString);
  ours = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
});

afterAll(async () => {
  await a?.close();
  await ours?.close();
  await server?.destroy();
});

const code = (c: number) => ({ code: c });

describe('znodes through node-zookeeper-client', () => {
  it('has the reserved /zookeeper nodes', async () => {
    expect(await a.ls('/')).toContain('zookeeper');
    expect(await a.ls('/zookeeper')).toEqual(['config', 'quota']);
  });

  it('creates a persistent node with a full Stat', async () => {
    const before = Date.now();
    expect(await a.create('/p', 'hello')).toBe('/p');
    const after = Date.now();
    const s = plain((await a.exists('/p'))!);
    expect(s.czxid).toBeGreaterThan(0);
    expect(s.mzxid).toBe(s.czxid);
    expect(s.pzxid).toBe(s.czxid);
    expect(s.ctime).toBe(s.mtime);
    expect(s.ctime).toBeGreaterThanOrEqual(before - 1000);
    expect(s.ctime).toBeLessThanOrEqual(after + 1000);
    expect(s).toMatchObject({ version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 5, numChildren: 0 });
    expect(await a.get('/p')).toBe('hello');

    await a.create('/p/kid', null);
    const kid = plain((await a.exists('/p/kid'))!);
    const parent = plain((await a.exists('/p'))!);
    expect(kid.dataLength).toBe(0);
    expect(parent).toMatchObject({ cversion: 1, numChildren: 1, pzxid: kid.czxid, mzxid: s.mzxid, version: 0 });
    await a.remove('/p/kid');
    // cversion counts changes to the children: the create and the delete
    const parent2 = plain((await a.exists('/p'))!);
    expect(parent2.cversion).toBe(2);
    expect(parent2.numChildren).toBe(0);
    expect(parent2.pzxid).toBeGreaterThan(kid.czxid);
  });

  it('answers NodeExists and NoNode for create', async () => {
    await a.create('/dup');
    await expect(a.create('/dup')).rejects.toMatchObject(code(ErrorCode.NodeExists));
    await expect(a.create('/missing-parent/child')).rejects.toMatchObject(code(ErrorCode.NoNode));
    await expect(a.create('/zookeeper')).rejects.toMatchObject(code(ErrorCode.NodeExists));
  });

  it('names sequential nodes with %010d of the parent cversion', async () => {
    await a.create('/seq');
    expect(await a.create('/seq/n-', null, CreateMode.PERSISTENT_SEQUENTIAL)).toBe('/seq/n-0000000000');
    expect(await a.create('/seq/n-', null, CreateMode.PERSISTENT_SEQUENTIAL)).toBe('/seq/n-0000000001');
    await a.create('/seq/plain');
    await a.remove('/seq/plain');
    // sequence numbers count the creates under the parent (a delete does not
    // give its number back, nor take one); node-zookeeper-client refuses a
    // path ending in '/', which a sequential create may have
    expect(await ours.create('/seq/', null, { mode: Mode.PERSISTENT_SEQUENTIAL })).toBe('/seq/0000000003');
    expect(await a.ls('/seq')).toEqual(['0000000003', 'n-0000000000', 'n-0000000001']);
    // the cversion a client sees counts creates and deletes: 4 + 1
    expect((await a.getChildren('/seq')).stat.cversion).toBe(5);
  });

  it('creates ephemeral nodes owned by the session, without children', async () => {
    await a.create('/eph');
    expect(await a.create('/eph/e', 'x', CreateMode.EPHEMERAL)).toBe('/eph/e');
    const s = plain((await a.exists('/eph/e'))!);
    expect(s.ephemeralOwner).toBe(a.sessionId);
    await expect(a.create('/eph/e/child')).rejects.toMatchObject(code(ErrorCode.NoChildrenForEphemerals));
    const seq = await a.create('/eph/s-', null, CreateMode.EPHEMERAL_SEQUENTIAL);
    expect(seq).toBe('/eph/s-0000000001');
    expect(plain((await a.exists(seq))!).ephemeralOwner).toBe(a.sessionId);
    await a.remove(seq);
    expect(await a.create('/eph/s-', null, CreateMode.EPHEMERAL_SEQUENTIAL)).toBe('/eph/s-0000000002');
    expect((await ours.getEphemerals('/eph')).sort()).toEqual([]);
  });

  it('sets data conditionally on the version', async () => {
    await a.create('/v', 'v0');
    const s1 = plain(await a.setData('/v', 'v1', 0));
    expect(s1.version).toBe(1);
    expect(s1.dataLength).toBe(2);
    await expect(a.setData('/v', 'v2', 0)).rejects.toMatchObject(code(ErrorCode.BadVersion));
    await expect(a.setData('/v', 'v2', 7)).rejects.toMatchObject(code(ErrorCode.BadVersion));
    expect(await a.get('/v')).toBe('v1');
    const s2 = plain(await a.setData('/v', 'v2', -1));
    expect(s2.version).toBe(2);
    expect(s2.mzxid).toBeGreaterThan(s1.mzxid);
    expect(s2.czxid).toBe(s1.czxid);
    expect(s2.mtime).toBeGreaterThanOrEqual(s1.mtime);
    const empty = plain(await a.setData('/v', Buffer.alloc(0), 2));
    expect(empty).toMatchObject({ version: 3, dataLength: 0 });
    await expect(a.setData('/nothing-here', 'x')).rejects.toMatchObject(code(ErrorCode.NoNode));
  });

  it('deletes conditionally on the version, only leaves', async () => {
    await a.create('/d', 'x');
    await a.create('/d/kid');
    await expect(a.remove('/d')).rejects.toMatchObject(code(ErrorCode.NotEmpty));
    await a.setData('/d/kid', 'y');
    await expect(a.remove('/d/kid', 0)).rejects.toMatchObject(code(ErrorCode.BadVersion));
    await a.remove('/d/kid', 1);
    await a.remove('/d', 0);
    expect(await a.exists('/d')).toBeNull();
    await expect(a.remove('/d')).rejects.toMatchObject(code(ErrorCode.NoNode));
    await expect(a.getData('/d')).rejects.toMatchObject(code(ErrorCode.NoNode));
    await expect(a.getChildren('/d')).rejects.toMatchObject(code(ErrorCode.NoNode));
  });

  it('lists children with the parent Stat (getChildren2)', async () => {
    await a.create('/kids');
    for (const k of ['c', 'a', 'b']) await a.create(`/kids/${k}`, k);
    const { children, stat } = await a.getChildren('/kids');
    expect([...children].sort()).toEqual(['a', 'b', 'c']);
    expect(plain(stat)).toMatchObject({ numChildren: 3, cversion: 3 });
  });

  it('reads and sets ACLs conditionally on the aversion', async () => {
    await a.create('/acl', 'x');
    const got = await a.getACL('/acl');
    expect(got.acl).toHaveLength(1);
    expect(got.acl[0]).toMatchObject({ permission: Permission.ALL, id: { scheme: 'world', id: 'anyone' } });
    const readOnly = [new ACL(Permission.READ | Permission.ADMIN, new Id('world', 'anyone'))];
    const s = plain(await a.setACL('/acl', readOnly, 0));
    expect(s.aversion).toBe(1);
    expect(s.version).toBe(0);
    await expect(a.setACL('/acl', ACL.OPEN_ACL_UNSAFE, 0)).rejects.toMatchObject(code(ErrorCode.BadVersion));
    const now = await a.getACL('/acl');
    expect(now.acl.map((x) => x.permission)).toEqual([Permission.READ | Permission.ADMIN]);
    expect(now.stat.aversion).toBe(1);
    await expect(a.setData('/acl', 'y')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await expect(a.setACL('/acl-missing', readOnly)).rejects.toMatchObject(code(ErrorCode.NoNode));
    await expect(a.getACL('/acl-missing')).rejects.toMatchObject(code(ErrorCode.NoNode));
  });

  // node-zookeeper-client sends a version of 0 in a transaction as -1
  // (`version || -1`), so these use other versions.
  it('commits a multi atomically and reports every result', async () => {
    await a.create('/m', 'm0');
    await a.setData('/m', 'm1');
    const ok = await a.multi((t) =>
      t.create('/m/a', Buffer.from('a')).setData('/m', Buffer.from('m2'), 1).check('/m', 2).create('/m/b').remove('/m/b'),
    );
    expect(ok.error).toBeNull();
    expect(ok.results.map((r) => r.type)).toEqual([OpCode.create, OpCode.setData, OpCode.check, OpCode.create, OpCode.delete]);
    expect(ok.results[0]!.path).toBe('/m/a');
    expect(ok.results[1]!.stat!.version).toBe(2);
    expect(await a.get('/m')).toBe('m2');
    expect(await a.ls('/m')).toEqual(['a']);
    const zxidBefore = long((await a.exists('/m'))!.mzxid);

    const bad = await a.multi((t) => t.create('/m/c').check('/m', 1).setData('/m', Buffer.from('m3')));
    expect(bad.error).toMatchObject(code(ErrorCode.BadVersion));
    expect(bad.results.map((r) => [r.type, r.err])).toEqual([
      [OpCode.error, ErrorCode.OK],
      [OpCode.error, ErrorCode.BadVersion],
      [OpCode.error, ErrorCode.RuntimeInconsistency],
    ]);
    expect(await a.exists('/m/c')).toBeNull();
    expect(await a.get('/m')).toBe('m2');
    expect(long((await a.exists('/m'))!.mzxid)).toBe(zxidBefore);

    const missing = await a.multi((t) => t.remove('/m/a').remove('/m/nothing'));
    expect(missing.error).toMatchObject(code(ErrorCode.NoNode));
    expect(missing.results.map((r) => r.err)).toEqual([ErrorCode.OK, ErrorCode.NoNode]);
    expect(await a.ls('/m')).toEqual(['a']);

    const exists = await a.multi((t) => t.setData('/m', Buffer.from('m4'), 2).create('/m/a'));
    expect(exists.error).toMatchObject(code(ErrorCode.NodeExists));
    expect(await a.get('/m')).toBe('m2');
  });
});

describe('opcodes node-zookeeper-client does not send', () => {
  it('sync answers with the path once earlier writes are applied', async () => {
    await ours.create('/sync', 'x');
    expect(await ours.sync('/sync')).toBe('/sync');
  });

  it('getEphemerals lists the session own ephemerals by prefix', async () => {
    await ours.create('/ours-eph');
    await ours.create('/ours-eph/one', null, { mode: Mode.EPHEMERAL });
    await ours.create('/ours-eph/two', null, { mode: Mode.EPHEMERAL });
    await a.create('/ours-eph/not-mine', null, CreateMode.EPHEMERAL);
    expect((await ours.getEphemerals('/ours-eph')).sort()).toEqual(['/ours-eph/one', '/ours-eph/two']);
    expect((await ours.getEphemerals('/ours-eph/o')).sort()).toEqual(['/ours-eph/one']);
    expect(await ours.getEphemerals('/elsewhere')).toEqual([]);
  });

  it('getAllChildrenNumber counts every descendant', async () => {
    await ours.create('/count');
    await ours.create('/count/a');
    await ours.create('/count/a/b');
    await ours.create('/count/c');
    expect(await ours.getAllChildrenNumber('/count')).toBe(3);
    expect(await ours.getAllChildrenNumber('/count/a/b')).toBe(0);
    await expect(ours.getAllChildrenNumber('/count/none')).rejects.toMatchObject({ code: ErrorCode.NoNode });
  });

  it('whoAmI names the ip identity and added digests', async () => {
    const c = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 5000 });
    try {
      expect(await c.whoAmI()).toEqual([{ authScheme: 'ip', user: '127.0.0.1' }]);
      await c.addAuth('digest', 'alice:secret');
      const ids = (await c.whoAmI()).map((i) => `${i.authScheme}:${i.user}`).sort();
      expect(ids).toEqual(['digest:alice', 'ip:127.0.0.1']);
    } finally {
      await c.close();
    }
  });

  it('deletes a container once its last child goes, not before it had one', async () => {
    await ours.create('/box', null, { mode: Mode.CONTAINER });
    await ours.create('/box-never-used', null, { mode: Mode.CONTAINER });
    expect((await ours.exists('/box'))!.ephemeralOwner).toBe(0n);
    await ours.create('/box/item');
    await sleep(400);
    expect(await ours.exists('/box')).not.toBeNull();
    await ours.delete('/box/item');
    await eventually('the empty container is deleted', async () => (await ours.exists('/box')) === null);
    expect(await ours.exists('/box-never-used')).not.toBeNull();
  });

  it('refuses TTL nodes unless extendedTypesEnabled', async () => {
    await expect(ours.create('/ttl', 'x', { mode: Mode.PERSISTENT_WITH_TTL, ttl: 1000 })).rejects.toMatchObject({
      code: ErrorCode.Unimplemented,
    });
    expect(await ours.exists('/ttl')).toBeNull();
  });

  // ZooKeeper checks the path of a write (BadArguments) but looks the path of
  // a read or a delete up as it is (NoNode, as no node has such a name);
  // either way the request fails and nothing changes.
  it.each([
    ['/bp/', true],
    ['/bp/.', true],
    ['/bp/..', true],
    ['/bp/nul\u0000char', true],
    ['/bp/del\u007fchar', true],
    ['/bp/private\uf000use', true],
    ['no-slash', true],
    ['/bp//double', false],
    ['/bp/./x', false],
    ['/bp/../x', false],
  ])('refuses the path %j and changes nothing', async (path, parentExists) => {
    if ((await ours.exists('/bp')) === null) await ours.create('/bp');
    const before = (await ours.exists('/bp'))!;
    const refused = parentExists ? [ErrorCode.BadArguments] : [ErrorCode.BadArguments, ErrorCode.NoNode];
    const failsWith = async (p: Promise<unknown>, codes: number[]): Promise<void> => {
      const e = await p.then(
        () => new Error('succeeded'),
        (x: unknown) => x,
      );
      expect(codes).toContain((e as { code?: number }).code);
    };
    await failsWith(ours.create(path, 'x'), refused);
    await failsWith(ours.create(path, 'x', { mode: Mode.EPHEMERAL }), refused);
    await failsWith(ours.setData(path, 'x'), [ErrorCode.BadArguments]);
    await failsWith(ours.delete(path), [ErrorCode.BadArguments, ErrorCode.NoNode]);
    await failsWith(ours.getData(path), [ErrorCode.BadArguments, ErrorCode.NoNode]);
    await failsWith(ours.getChildren(path), [ErrorCode.BadArguments, ErrorCode.NoNode]);
    await failsWith(ours.getACL(path), [ErrorCode.BadArguments, ErrorCode.NoNode]);
    const exists = await ours.exists(path).catch((e: { code: number }) => e.code);
    expect([null, ErrorCode.BadArguments]).toContain(exists);
    const after = (await ours.exists('/bp'))!;
    expect(after).toEqual(before);
    expect(await ours.getChildren('/bp')).toEqual([]);
  });
});

describe('TTL nodes with extendedTypesEnabled=true', () => {
  let ttlServer: TestServer;
  let c: ZkClient;

  beforeAll(async () => {
    ttlServer = await TestServer.start({ settings: { extendedTypesEnabled: true, 'znode.container.checkIntervalMs': 100 } });
    c = await ZkClient.connect({ connectString: ttlServer.connectString, sessionTimeout: 10000 });
  });

  afterAll(async () => {
    await c?.close();
    await ttlServer?.destroy();
  });

  it('creates TTL nodes and removes them once the TTL passed without children', async () => {
    const path = await c.create('/short', 'x', { mode: Mode.PERSISTENT_WITH_TTL, ttl: 300 });
    expect(path).toBe('/short');
    const seq = await c.create('/short-', 'x', { mode: Mode.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl: 300 });
    expect(seq).toMatch(/^\/short-\d{10}$/);
    await c.create('/long', 'x', { mode: Mode.PERSISTENT_WITH_TTL, ttl: 600_000 });
    // the TTL is kept where a session's id would be, and not shown to clients
    expect((await c.exists('/short'))!.ephemeralOwner).toBe(0n);
    await eventually('the TTL nodes expire', async () => (await c.exists('/short')) === null && (await c.exists(seq)) === null);
    expect(await c.exists('/long')).not.toBeNull();
  });

  it('keeps a TTL node with children', async () => {
    await c.create('/parent-ttl', null, { mode: Mode.PERSISTENT_WITH_TTL, ttl: 200 });
    await c.create('/parent-ttl/kid');
    await sleep(800);
    expect(await c.exists('/parent-ttl')).not.toBeNull();
    await c.delete('/parent-ttl/kid');
    await eventually('the childless TTL node expires', async () => (await c.exists('/parent-ttl')) === null);
  });

  it('answers BadArguments for a TTL out of range', async () => {
    await expect(c.create('/zero', 'x', { mode: Mode.PERSISTENT_WITH_TTL, ttl: 0 })).rejects.toMatchObject({ code: ErrorCode.BadArguments });
    await expect(c.create('/huge', 'x', { mode: Mode.PERSISTENT_WITH_TTL, ttl: 2 ** 41 })).rejects.toMatchObject({
      code: ErrorCode.BadArguments,
    });
    expect(await c.exists('/zero')).toBeNull();
  });
});
