import { describe, expect, it } from 'vitest';
import { ErrorCode, EventType, OpCode, Perms, CreateMode, WatcherType, AddWatchMode, type ACL } from '../../src/wire/protocol.js';
import { OPEN_ACL_UNSAFE } from '../../src/core/acl.js';
import { CONTAINER_OWNER } from '../../src/core/tree.js';
import { Harness, dec, enc } from './harness.js';

const open = OPEN_ACL_UNSAFE;
const create = (path: string, data = '', flags: number = CreateMode.PERSISTENT, acl: ACL[] = open) =>
  ({ type: OpCode.create, path, data: enc(data), acl, flags }) as const;
const create2 = (path: string, data = '', flags: number = CreateMode.PERSISTENT) =>
  ({ type: OpCode.create2, path, data: enc(data), acl: open, flags }) as const;
const getData = (path: string, watch = false) => ({ type: OpCode.getData, path, watch }) as const;
const exists = (path: string, watch = false) => ({ type: OpCode.exists, path, watch }) as const;
const children = (path: string, watch = false) => ({ type: OpCode.getChildren, path, watch }) as const;
const setData = (path: string, data: string, version = -1) => ({ type: OpCode.setData, path, data: enc(data), version }) as const;
const del = (path: string, version = -1) => ({ type: OpCode.delete, path, version }) as const;

describe('znode basics', () => {
  it('creates, reads, updates and deletes with full Stat bookkeeping', () => {
    const h = new Harness();
    const c = h.session();
    const r = h.ok(c, create2('/a', 'hello'));
    expect(r).toMatchObject({ kind: 'create2', path: '/a' });
    const stat = (r as { stat: { czxid: number; mzxid: number; pzxid: number; version: number; dataLength: number } }).stat;
    expect(stat.czxid).toBe(stat.mzxid);
    expect(stat.pzxid).toBe(stat.czxid);
    expect(stat.version).toBe(0);
    expect(stat.dataLength).toBe(5);

    const got = h.ok(c, getData('/a'));
    expect(got.kind).toBe('data');
    if (got.kind !== 'data') throw new Error();
    expect(dec(got.data)).toBe('hello');

    const set = h.ok(c, setData('/a', 'bye', 0));
    if (set.kind !== 'stat') throw new Error();
    expect(set.stat.version).toBe(1);
    expect(set.stat.mzxid).toBeGreaterThan(set.stat.czxid);
    expect(h.call(c, setData('/a', 'x', 0)).err).toBe(ErrorCode.BadVersion);

    h.ok(c, create('/a/b'));
    const parent = h.ok(c, exists('/a'));
    if (parent.kind !== 'stat') throw new Error();
    expect(parent.stat.numChildren).toBe(1);
    expect(parent.stat.cversion).toBe(1);
    expect(h.call(c, del('/a')).err).toBe(ErrorCode.NotEmpty);
    h.ok(c, del('/a/b'));
    const after = h.ok(c, exists('/a'));
    if (after.kind !== 'stat') throw new Error();
    expect(after.stat.cversion).toBe(2); // the create and the delete of /a/b
    expect(after.stat.pzxid).toBeGreaterThan(parent.stat.pzxid);
    expect(h.call(c, del('/a', 7)).err).toBe(ErrorCode.BadVersion);
    h.ok(c, del('/a', 1));
    expect(h.call(c, getData('/a')).err).toBe(ErrorCode.NoNode);
  });

  it('answers with ZooKeeper error codes for bad requests', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, create('/x'));
    expect(h.call(c, create('/x')).err).toBe(ErrorCode.NodeExists);
    expect(h.call(c, create('/missing/child')).err).toBe(ErrorCode.NoNode);
    for (const bad of ['x', '/a/', '//', '/a//b', '/./a', '/a/..', '/a\u0001', '']) {
      expect(h.call(c, create(bad)).err, bad).toBe(ErrorCode.BadArguments);
      expect(h.call(c, getData(bad)).err, bad).toBe(ErrorCode.BadArguments);
    }
    for (const special of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']) {
      expect(h.call(c, del(special)).err, special).toBe(ErrorCode.BadArguments);
    }
    expect(h.call(c, create('/y', '', 99)).err).toBe(ErrorCode.BadArguments);
    expect(h.call(c, create('/y', '', CreateMode.PERSISTENT, [])).err).toBe(ErrorCode.InvalidACL);
    expect(h.call(c, { type: OpCode.reconfig, joiningServers: null, leavingServers: null, newMembers: null, curConfigId: -1 }).err).toBe(
      ErrorCode.ReconfigDisabled,
    );
    const enabled = new Harness({ reconfigEnabled: true });
    const e = enabled.session();
    expect(enabled.call(e, { type: OpCode.reconfig, joiningServers: null, leavingServers: null, newMembers: null, curConfigId: -1 }).err).toBe(
      ErrorCode.Unimplemented,
    );
    // a failed write still uses a zxid, as in ZooKeeper
    const before = h.db.lastZxid;
    h.call(c, create('/x'));
    expect(h.db.lastZxid).toBe(before + 1);
  });

  it('has the reserved /zookeeper nodes', () => {
    const h = new Harness();
    const c = h.session();
    const root = h.ok(c, children('/'));
    expect(root).toEqual({ kind: 'children', children: ['zookeeper'] });
    const zk = h.ok(c, children('/zookeeper'));
    if (zk.kind !== 'children') throw new Error();
    expect(zk.children.sort()).toEqual(['config', 'quota']);
    const acl = h.ok(c, { type: OpCode.getACL, path: '/zookeeper/config' });
    expect(acl).toMatchObject({ kind: 'acl', acl: [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }] });
  });

  it('numbers sequential nodes from the parent cversion with %010d', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, create('/q'));
    h.ok(c, create('/q/other'));
    const a = h.ok(c, create('/q/job-', '', CreateMode.PERSISTENT_SEQUENTIAL));
    const b = h.ok(c, create('/q/job-', '', CreateMode.EPHEMERAL_SEQUENTIAL));
    expect(a).toEqual({ kind: 'create', path: '/q/job-0000000001' });
    expect(b).toEqual({ kind: 'create', path: '/q/job-0000000002' });
    // a sequential create may end in "/"
    expect(h.ok(c, create('/q/', '', CreateMode.PERSISTENT_SEQUENTIAL))).toEqual({ kind: 'create', path: '/q/0000000003' });
  });

  it('counts descendants and lists ephemerals of the session', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, create('/t'));
    h.ok(c, create('/t/a'));
    h.ok(c, create('/t/a/b'));
    h.ok(c, create('/t/e1', '', CreateMode.EPHEMERAL));
    h.ok(c, create('/t/a/e2', '', CreateMode.EPHEMERAL));
    expect(h.ok(c, { type: OpCode.getAllChildrenNumber, path: '/t' })).toEqual({ kind: 'count', totalNumber: 4 });
    const all = h.ok(c, { type: OpCode.getEphemerals, prefixPath: '/' });
    if (all.kind !== 'ephemerals') throw new Error();
    expect(all.ephemerals.sort()).toEqual(['/t/a/e2', '/t/e1']);
    expect(h.ok(c, { type: OpCode.getEphemerals, prefixPath: '/t/a' })).toEqual({ kind: 'ephemerals', ephemerals: ['/t/a/e2'] });
  });
});

describe('node kinds', () => {
  it('ephemeral nodes cannot have children and vanish with their session', () => {
    const h = new Harness();
    const owner = h.session();
    const other = h.session();
    h.ok(owner, create('/e', '', CreateMode.EPHEMERAL));
    const st = h.ok(other, exists('/e', true));
    if (st.kind !== 'stat') throw new Error();
    expect(st.stat.ephemeralOwner).toBe(h.sessionId(owner));
    expect(h.call(owner, create('/e/child')).err).toBe(ErrorCode.NoChildrenForEphemerals);
    h.ok(owner, { type: OpCode.closeSession });
    expect(h.closed.has(owner)).toBe(true);
    expect(h.call(other, exists('/e')).err).toBe(ErrorCode.NoNode);
    expect(h.notesFor(other)).toEqual([{ type: EventType.NodeDeleted, path: '/e' }]);
  });

  it('expires a silent session: ephemerals deleted, watches fired, connection closed', () => {
    const h = new Harness();
    const owner = h.session({ timeout: 5000 });
    const watcher = h.session({ timeout: 30000 });
    h.ok(owner, create('/lock', '', CreateMode.EPHEMERAL));
    h.ok(watcher, exists('/lock', true));
    h.advance(3000);
    h.ok(watcher, { type: OpCode.ping });
    expect(h.db.tree.get('/lock')).toBeDefined();
    h.advance(3000);
    expect(h.db.tree.get('/lock')).toBeUndefined();
    expect(h.closed.get(owner)).toMatch(/expired/);
    expect(h.notesFor(watcher)).toEqual([{ type: EventType.NodeDeleted, path: '/lock' }]);
    expect(h.db.sessions.has(h.sessionId(owner))).toBe(false);
  });

  it('removes a container once its last child goes, not before it had one', () => {
    const h = new Harness();
    const c = h.session();
    const r = h.ok(c, { type: OpCode.createContainer, path: '/box', data: enc(''), acl: open, flags: CreateMode.CONTAINER });
    if (r.kind !== 'create2') throw new Error();
    expect(h.db.tree.get('/box')!.ephemeralOwner).toBe(CONTAINER_OWNER);
    expect(r.stat.ephemeralOwner).toBe(0n); // clients are not shown the marker
    h.advance(2000);
    expect(h.db.tree.get('/box')).toBeDefined();
    h.ok(c, create('/box/item'));
    h.advance(2000);
    expect(h.db.tree.get('/box')).toBeDefined();
    h.ok(c, del('/box/item'));
    h.advance(2000);
    expect(h.db.tree.get('/box')).toBeUndefined();
  });

  it('TTL nodes need extendedTypesEnabled and expire when childless', () => {
    const off = new Harness({ extendedTypesEnabled: false });
    const c0 = off.session();
    const ttlReq = { type: OpCode.createTTL, path: '/t', data: enc(''), acl: open, flags: CreateMode.PERSISTENT_WITH_TTL, ttl: 5000 } as const;
    expect(off.call(c0, ttlReq).err).toBe(ErrorCode.Unimplemented);

    const h = new Harness();
    const c = h.session();
    h.ok(c, ttlReq);
    expect(h.call(c, { ...ttlReq, path: '/bad', ttl: 0 }).err).toBe(ErrorCode.BadArguments);
    h.advance(3000);
    expect(h.db.tree.get('/t')).toBeDefined();
    h.advance(3000);
    expect(h.db.tree.get('/t')).toBeUndefined();
  });
});

describe('multi', () => {
  it('applies all operations at one zxid', () => {
    const h = new Harness();
    const c = h.session();
    const r = h.ok(c, {
      type: OpCode.multi,
      ops: [create('/m'), create2('/m/a', 'x'), setData('/m/a', 'y', 0), { type: OpCode.check, path: '/m/a', version: 1 }, del('/m/a')],
    });
    if (r.kind !== 'multi') throw new Error();
    expect(r.results.map((x) => x.type)).toEqual([OpCode.create, OpCode.create2, OpCode.setData, OpCode.check, OpCode.delete]);
    const st = h.ok(c, exists('/m'));
    if (st.kind !== 'stat') throw new Error();
    expect(st.stat.czxid).toBe(st.stat.pzxid);
  });

  it('is all or nothing: OK before the failure, its error, RuntimeInconsistency after', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, create('/exists'));
    const reply = h.call(c, { type: OpCode.multi, ops: [create('/new'), create('/exists'), setData('/new', 'z')] });
    expect(reply.err).toBe(0);
    expect(reply.response).toEqual({
      kind: 'multi',
      results: [
        { type: OpCode.error, err: ErrorCode.OK },
        { type: OpCode.error, err: ErrorCode.NodeExists },
        { type: OpCode.error, err: ErrorCode.RuntimeInconsistency },
      ],
    });
    expect(h.call(c, exists('/new')).err).toBe(ErrorCode.NoNode);
    // the rolled-back change must not shadow later requests
    h.ok(c, create('/new'));
  });

  it('multiRead answers each read on its own', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, create('/r', 'v'));
    const r = h.ok(c, { type: OpCode.multiRead, ops: [getData('/r'), children('/missing'), children('/')] });
    if (r.kind !== 'multi') throw new Error();
    expect(r.results[0]).toMatchObject({ type: OpCode.getData });
    expect(r.results[1]).toEqual({ type: OpCode.error, err: ErrorCode.NoNode });
    expect(r.results[2]).toMatchObject({ type: OpCode.getChildren });
  });
});

describe('watches', () => {
  it('fires one-shot data, exists and child watches with the right event types', () => {
    const h = new Harness();
    const w = h.session();
    const c = h.session();
    h.call(w, exists('/n', true));
    h.ok(c, create('/n'));
    h.ok(w, getData('/n', true));
    h.ok(w, children('/n', true));
    h.ok(c, setData('/n', 'v'));
    h.ok(c, setData('/n', 'v2')); // the data watch was used up
    h.ok(c, create('/n/k'));
    h.ok(w, children('/n', true));
    h.ok(w, getData('/n', true));
    h.ok(c, del('/n/k'));
    h.ok(c, del('/n'));
    expect(h.notesFor(w)).toEqual([
      { type: EventType.NodeCreated, path: '/n' },
      { type: EventType.NodeDataChanged, path: '/n' },
      { type: EventType.NodeChildrenChanged, path: '/n' },
      { type: EventType.NodeChildrenChanged, path: '/n' },
      { type: EventType.NodeDeleted, path: '/n' },
    ]);
  });

  it('persistent and recursive watches stay and see the subtree', () => {
    const h = new Harness();
    const w = h.session();
    const c = h.session();
    h.ok(c, create('/p'));
    h.ok(w, { type: OpCode.addWatch, path: '/p', mode: AddWatchMode.Persistent });
    h.ok(w, { type: OpCode.addWatch, path: '/', mode: AddWatchMode.PersistentRecursive });
    h.ok(c, setData('/p', '1'));
    h.ok(c, setData('/p', '2'));
    h.ok(c, create('/p/c'));
    const seen = h.notesFor(w);
    expect(seen).toEqual([
      { type: EventType.NodeDataChanged, path: '/p' },
      { type: EventType.NodeDataChanged, path: '/p' },
      { type: EventType.NodeCreated, path: '/p/c' },
      { type: EventType.NodeChildrenChanged, path: '/p' },
    ]);
    expect(h.call(w, { type: OpCode.checkWatches, path: '/', watcherType: WatcherType.PersistentRecursive }).err).toBe(0);
    expect(h.call(w, { type: OpCode.removeWatches, path: '/', watcherType: WatcherType.PersistentRecursive }).err).toBe(0);
    expect(h.call(w, { type: OpCode.removeWatches, path: '/', watcherType: WatcherType.PersistentRecursive }).err).toBe(
      ErrorCode.NoWatcher,
    );
    expect(h.call(w, { type: OpCode.checkWatches, path: '/nowhere', watcherType: WatcherType.Data }).err).toBe(ErrorCode.NoWatcher);
  });

  it('setWatches fires at once for what changed since the client last saw', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, create('/s', 'a'));
    h.ok(c, create('/t'));
    const seen = h.db.lastZxid;
    h.ok(c, setData('/s', 'b'));
    const w = h.session();
    h.ok(w, {
      type: OpCode.setWatches2,
      relativeZxid: seen,
      dataWatches: ['/s', '/t', '/gone'],
      existWatches: ['/t', '/absent'],
      childWatches: ['/t'],
      persistentWatches: [],
      persistentRecursiveWatches: [],
    });
    expect(h.notesFor(w)).toEqual([
      { type: EventType.NodeDataChanged, path: '/s' },
      { type: EventType.NodeDeleted, path: '/gone' },
      { type: EventType.NodeCreated, path: '/t' },
    ]);
    h.ok(c, create('/absent'));
    h.ok(c, create('/t/x'));
    expect(h.notesFor(w).slice(3)).toEqual([
      { type: EventType.NodeCreated, path: '/absent' },
      { type: EventType.NodeChildrenChanged, path: '/t' },
    ]);
  });

  it('drops the watches of a closed connection', () => {
    const h = new Harness();
    const w = h.session();
    const c = h.session();
    h.ok(c, create('/d'));
    h.ok(w, getData('/d', true));
    h.core.frontend.closed(w);
    h.ok(c, setData('/d', 'x'));
    expect(h.notes).toEqual([]);
  });
});

describe('ACLs', () => {
  const digestId = (user: string) => ({ scheme: 'digest', id: `${user}:hash-of-${user}` });

  it('enforces permissions per scheme and expands auth', () => {
    const h = new Harness();
    const alice = h.session();
    const anon = h.session();
    h.core.frontend.addAuth(alice, digestId('alice'));
    h.ok(alice, create('/secret', 'x', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }]));
    const acl = h.ok(alice, { type: OpCode.getACL, path: '/secret' });
    expect(acl).toMatchObject({ kind: 'acl', acl: [{ perms: Perms.ALL, id: digestId('alice') }] });
    expect(h.call(anon, getData('/secret')).err).toBe(ErrorCode.NoAuth);
    expect(h.call(anon, setData('/secret', 'y')).err).toBe(ErrorCode.NoAuth);
    expect(h.call(anon, create('/secret/c')).err).toBe(ErrorCode.NoAuth);
    expect(h.call(anon, { type: OpCode.getACL, path: '/secret' }).err).toBe(ErrorCode.NoAuth);
    // auth without any authenticated id is InvalidACL
    expect(h.call(anon, create('/z', '', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }])).err).toBe(
      ErrorCode.InvalidACL,
    );
    expect(h.call(anon, create('/z', '', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'nope', id: 'x' } }])).err).toBe(
      ErrorCode.InvalidACL,
    );
    // a reader without ADMIN sees digests masked
    h.ok(alice, create('/shared', '', CreateMode.PERSISTENT, [
      { perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } },
      { perms: Perms.ALL, id: digestId('alice') },
    ]));
    const masked = h.ok(anon, { type: OpCode.getACL, path: '/shared' });
    expect(masked).toMatchObject({ kind: 'acl', acl: [{}, { id: { scheme: 'digest', id: 'alice:x' } }] });
    // super may do anything
    const root = h.session();
    h.core.frontend.addAuth(root, { scheme: 'super', id: '' });
    h.ok(root, setData('/secret', 'by-super'));
  });

  it('matches ip ACLs by address and CIDR', () => {
    const h = new Harness();
    const local = h.session({ address: '10.1.2.3' });
    const remote = h.session({ address: '192.168.0.9' });
    h.ok(local, create('/net', '', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'ip', id: '10.0.0.0/8' } }]));
    h.ok(local, getData('/net'));
    expect(h.call(remote, getData('/net')).err).toBe(ErrorCode.NoAuth);
    expect(h.call(local, create('/bad', '', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'ip', id: '10.0.0.0/33' } }])).err).toBe(
      ErrorCode.InvalidACL,
    );
  });

  it('setACL checks ADMIN and the aversion; notifications need READ', () => {
    const h = new Harness();
    const c = h.session();
    const w = h.session();
    h.ok(c, create('/acl'));
    h.ok(w, getData('/acl', true));
    h.ok(c, { type: OpCode.setACL, path: '/acl', acl: [{ perms: Perms.ADMIN | Perms.WRITE, id: { scheme: 'world', id: 'anyone' } }], version: 0 });
    expect(
      h.call(c, { type: OpCode.setACL, path: '/acl', acl: open, version: 0 }).err,
    ).toBe(ErrorCode.BadVersion);
    h.ok(c, setData('/acl', 'quiet'));
    expect(h.notesFor(w)).toEqual([]); // w may not READ /acl any more
  });

  it('whoAmI lists the connection identities', () => {
    const h = new Harness();
    const c = h.session({ address: '127.0.0.1' });
    h.core.frontend.addAuth(c, digestId('bob'));
    expect(h.ok(c, { type: OpCode.whoAmI })).toEqual({
      kind: 'whoAmI',
      clientInfo: [
        { authScheme: 'ip', user: '127.0.0.1' },
        { authScheme: 'digest', user: 'bob' },
      ],
    });
  });
});

describe('sessions and ordering', () => {
  it('keeps replies in request order: a read waits for the earlier write of its session', () => {
    const h = new Harness();
    const c = h.session();
    const other = h.session();
    h.autoCommit = false;
    const w = h.send(c, create('/o', 'v'));
    const r = h.send(c, getData('/o'));
    const r2 = h.send(other, getData('/o'));
    expect(h.replies.find((x) => x.conn === c && (x.xid === w || x.xid === r))).toBeUndefined();
    expect(h.reply(other, r2).err).toBe(ErrorCode.NoNode); // another session is not held back
    h.commit();
    const mine = h.replies.filter((x) => x.conn === c).map((x) => x.xid);
    expect(mine.slice(-2)).toEqual([w, r]);
    expect(h.reply(c, r).err).toBe(0);
  });

  it('a read answered in a batch keeps its data when a later write of the batch changes the node', () => {
    const h = new Harness();
    const a = h.session();
    const b = h.session();
    h.ok(a, create('/v', 'old-value'));
    h.autoCommit = false;
    h.send(b, create('/w'));
    const r = h.send(b, getData('/v')); // waits behind b's create
    h.send(a, setData('/v', 'new-value')); // applied after it, in the same group commit
    h.commit();
    const got = h.reply(b, r).response;
    expect(got?.kind === 'data' && dec(got.data)).toBe('old-value');
    expect(dec(h.db.tree.get('/v')!.data)).toBe('new-value');
  });

  it('sync answers after the writes before it are applied', () => {
    const h = new Harness();
    const c = h.session();
    const s = h.session();
    h.autoCommit = false;
    h.send(c, create('/x'));
    const sx = h.send(s, { type: OpCode.sync, path: '/x' });
    expect(h.replies.some((x) => x.conn === s && x.xid === sx)).toBe(false);
    h.commit();
    expect(h.reply(s, sx).response).toEqual({ kind: 'path', path: '/x' });
  });

  it('re-attaches a session with its password and refuses a wrong one', () => {
    const h = new Harness();
    const c = h.session();
    const id = h.sessionId(c);
    const passwd = h.connected.get(c)!.passwd;
    h.connect(50, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 10000, sessionId: id, passwd, readOnly: false });
    expect(h.connected.get(50)!.sessionId).toBe(id);
    expect(h.closed.has(c)).toBe(true); // the old connection is closed

    h.connect(51, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 10000, sessionId: id, passwd: new Uint8Array(16) });
    expect(h.connected.get(51)).toMatchObject({ sessionId: 0n, timeOut: 0 });
    expect(h.connected.get(51)!.readOnly).toBeUndefined(); // short handshake, short answer
    expect(h.closed.has(51)).toBe(true);
  });

  it('negotiates the timeout within the configured bounds and refuses a client from the future', () => {
    const h = new Harness({ minSessionTimeout: 4000, maxSessionTimeout: 8000 });
    const lo = h.session({ timeout: 10 });
    const hi = h.session({ timeout: 999999 });
    expect(h.connected.get(lo)!.timeOut).toBe(4000);
    expect(h.connected.get(hi)!.timeOut).toBe(8000);
    h.connect(77, { protocolVersion: 0, lastZxidSeen: 1e9, timeOut: 5000, sessionId: 0n, passwd: new Uint8Array(16) });
    expect(h.closed.get(77)).toMatch(/has seen zxid/);
  });

  it('answers a lone check Unimplemented and closes the connection, as ZooKeeper does', () => {
    const h = new Harness();
    const c = h.session();
    expect(h.call(c, { type: OpCode.check, path: '/', version: -1 }).err).toBe(ErrorCode.Unimplemented);
    expect(h.closed.get(c)).toMatch(/not served/);
  });

  it('lets a client delete an empty container, but nothing else, with deleteContainer', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, { type: OpCode.createContainer, path: '/box', data: enc(''), acl: open, flags: CreateMode.CONTAINER });
    h.ok(c, create('/plain'));
    expect(h.call(c, { type: OpCode.deleteContainer, path: '/plain', version: -1 }).err).toBe(ErrorCode.BadVersion);
    h.ok(c, { type: OpCode.deleteContainer, path: '/box', version: -1 });
    expect(h.db.tree.get('/box')).toBeUndefined();
  });

  it('replies SessionExpired to requests of a closing session', () => {
    const h = new Harness();
    const c = h.session();
    h.autoCommit = false;
    h.send(c, { type: OpCode.closeSession });
    h.commit();
    expect(h.closed.has(c)).toBe(true);
    expect(h.core.tracker.get(h.sessionId(c))).toBeUndefined();
  });
});

describe('quotas', () => {
  const setQuota = (h: Harness, c: number, path: string, limits: string) => {
    h.ok(c, create('/zookeeper/quota' + path));
    h.ok(c, create(`/zookeeper/quota${path}/zookeeper_limits`, limits));
    h.ok(c, create(`/zookeeper/quota${path}/zookeeper_stats`, 'count=0,bytes=0'));
  };
  const stats = (h: Harness, c: number, path: string) => {
    const r = h.ok(c, getData(`/zookeeper/quota${path}/zookeeper_stats`));
    return r.kind === 'data' ? dec(r.data) : '';
  };

  it('keeps the stats node of a quota current as the subtree changes', () => {
    const h = new Harness();
    const c = h.session();
    h.ok(c, create('/q', 'abc'));
    h.ok(c, create('/q/x', '12345'));
    setQuota(h, c, '/q', 'count=10,bytes=-1');
    expect(stats(h, c, '/q')).toBe('count=2,bytes=8');
    h.ok(c, create('/q/y', 'zz'));
    h.ok(c, setData('/q/x', '1'));
    expect(stats(h, c, '/q')).toBe('count=3,bytes=6');
    h.ok(c, del('/q/y'));
    expect(stats(h, c, '/q')).toBe('count=2,bytes=4');
    h.ok(c, create('/other', 'not counted'));
    expect(stats(h, c, '/q')).toBe('count=2,bytes=4');
    // soft limits only inform: going past count=10 is allowed
    for (let i = 0; i < 10; i++) h.ok(c, create(`/q/n${i}`));
    expect(stats(h, c, '/q')).toBe('count=12,bytes=4');
  });

  it('rejects writes past a hard limit with QuotaExceeded when enforcement is on', () => {
    const h = new Harness({ enforceQuota: true });
    const c = h.session();
    h.ok(c, create('/h'));
    setQuota(h, c, '/h', 'count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=3');
    h.ok(c, create('/h/a', '1234'));
    h.ok(c, create('/h/b'));
    expect(h.call(c, create('/h/c')).err).toBe(ErrorCode.QuotaExceeded);
    expect(h.call(c, setData('/h/a', '12345678901')).err).toBe(ErrorCode.QuotaExceeded);
    h.ok(c, setData('/h/a', '1234567890'));
    const off = new Harness();
    const c2 = off.session();
    off.ok(c2, create('/h'));
    setQuota(off, c2, '/h', 'count=-1,bytes=-1=;countHardLimit=1');
    off.ok(c2, create('/h/a'));
    off.ok(c2, create('/h/b'));
  });
});
