// ACLs against a real server: the world, auth, digest and ip schemes, every
// permission where ZooKeeper checks it, InvalidACL, AuthFailed for a scheme
// the server does not know, and a super digest configured in zoo.cfg.

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ids, Op, ZkClient } from '../../src/client/client.js';
import { ErrorCode, Perms, type ACL as WireACL } from '../../src/wire/protocol.js';
import { ACL, Id, Nzk, Permission } from './nzk.js';
import { TestServer, reference } from './server.js';

/** DigestAuthenticationProvider.generateDigest: user:base64(sha1(user:password)) */
function digest(userPassword: string): string {
  const user = userPassword.slice(0, userPassword.indexOf(':'));
  return `${user}:${createHash('sha1').update(userPassword).digest('base64')}`;
}

let server: TestServer;
let anon: Nzk;
let alice: Nzk;

beforeAll(async () => {
  server = await TestServer.start({ settings: { 'DigestAuthenticationProvider.superDigest': digest('super:s3cret') } });
  anon = await Nzk.connect(server.connectString);
  alice = await Nzk.connect(server.connectString, { auth: [['digest', 'alice:pw']] });
});

afterAll(async () => {
  await anon?.close();
  await alice?.close();
  await server?.destroy();
});

const code = (c: number) => ({ code: c });
const world = (perms: number) => new ACL(perms, new Id('world', 'anyone'));
const aliceOnly = (perms = Permission.ALL) => [new ACL(perms, new Id('digest', digest('alice:pw')))];

describe('permissions', () => {
  it('world:anyone with READ only: reads pass, every write is NoAuth', async () => {
    await alice.create('/ro', 'x', undefined, [world(Permission.READ)]);
    expect(await anon.get('/ro')).toBe('x');
    expect(await anon.ls('/ro')).toEqual([]);
    await expect(anon.setData('/ro', 'y')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await expect(anon.create('/ro/kid')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await expect(anon.setACL('/ro', ACL.OPEN_ACL_UNSAFE)).rejects.toMatchObject(code(ErrorCode.NoAuth));
    expect(await anon.get('/ro')).toBe('x');
  });

  it('each operation needs its own permission', async () => {
    // CREATE and DELETE on the parent, WRITE and ADMIN on the node itself
    await alice.create('/perm', null, undefined, [world(Permission.READ | Permission.CREATE), ...aliceOnly()]);
    await anon.create('/perm/kid', 'x', undefined, [world(Permission.READ)]);
    await expect(anon.remove('/perm/kid')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await alice.setACL('/perm', [world(Permission.READ | Permission.DELETE), ...aliceOnly()]);
    await expect(anon.create('/perm/other')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await anon.remove('/perm/kid');
    expect(await anon.ls('/perm')).toEqual([]);

    await alice.create('/w', 'x', undefined, [world(Permission.WRITE)]);
    await expect(anon.getData('/w')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await expect(anon.getChildren('/w')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await anon.setData('/w', 'written blind');
    await expect(anon.setACL('/w', ACL.OPEN_ACL_UNSAFE)).rejects.toMatchObject(code(ErrorCode.NoAuth));

    await alice.create('/adm', 'x', undefined, [world(Permission.ADMIN)]);
    await anon.setACL('/adm', [world(Permission.READ | Permission.ADMIN)]);
    expect(await anon.get('/adm')).toBe('x');
  });

  it('a multi stops at the first operation it may not do and changes nothing', async () => {
    await alice.create('/mp', 'x', undefined, aliceOnly());
    await anon.create('/mp-open', 'x');
    const r = await anon.multi((t) => t.setData('/mp-open', Buffer.from('y')).setData('/mp', Buffer.from('y')));
    expect(r.error).toMatchObject(code(ErrorCode.NoAuth));
    expect(r.results.map((x) => x.err)).toEqual([ErrorCode.OK, ErrorCode.NoAuth]);
    expect(await anon.get('/mp-open')).toBe('x');
  });
});

describe('schemes', () => {
  it('digest: only a session authenticated as the user gets in', async () => {
    await alice.create('/dg', 'secret', undefined, aliceOnly());
    await expect(anon.getData('/dg')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await expect(anon.setData('/dg', 'x')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    const wrong = await Nzk.connect(server.connectString, { auth: [['digest', 'alice:not-her-password']] });
    const right = await Nzk.connect(server.connectString, { auth: [['digest', 'alice:pw']] });
    try {
      await expect(wrong.getData('/dg')).rejects.toMatchObject(code(ErrorCode.NoAuth));
      expect(await right.get('/dg')).toBe('secret');
      await right.setData('/dg', 'changed');
      expect(await alice.get('/dg')).toBe('changed');
    } finally {
      await wrong.close();
      await right.close();
    }
  });

  it('auth: the creator ids of the session, stored as digests; InvalidACL without any', async () => {
    await alice.create('/au', 'x', undefined, ACL.CREATOR_ALL_ACL);
    const { acl } = await alice.getACL('/au');
    expect(acl.map((a) => [a.permission, a.id.scheme, a.id.id])).toEqual([[Permission.ALL, 'digest', digest('alice:pw')]]);
    await expect(anon.getData('/au')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await expect(anon.create('/au-anon', 'x', undefined, ACL.CREATOR_ALL_ACL)).rejects.toMatchObject(code(ErrorCode.InvalidACL));
    expect(await anon.exists('/au-anon')).toBeNull();
  });

  it('ip: the client address, exact or as a network', async () => {
    await alice.create('/ip-lo', 'x', undefined, [new ACL(Permission.ALL, new Id('ip', '127.0.0.1'))]);
    await alice.create('/ip-net', 'x', undefined, [new ACL(Permission.ALL, new Id('ip', '127.0.0.0/8'))]);
    await alice.create('/ip-far', 'x', undefined, [new ACL(Permission.ALL, new Id('ip', '10.1.2.0/24'))]);
    expect(await anon.get('/ip-lo')).toBe('x');
    expect(await anon.get('/ip-net')).toBe('x');
    await expect(anon.getData('/ip-far')).rejects.toMatchObject(code(ErrorCode.NoAuth));
    await expect(alice.getData('/ip-far')).rejects.toMatchObject(code(ErrorCode.NoAuth));
  });

  it('super: the configured super digest may do anything', async () => {
    await alice.create('/locked', 'x', undefined, aliceOnly(Permission.READ));
    const root = await Nzk.connect(server.connectString, { auth: [['digest', 'super:s3cret']] });
    const notRoot = await Nzk.connect(server.connectString, { auth: [['digest', 'super:guess']] });
    try {
      await expect(notRoot.setData('/locked', 'y')).rejects.toMatchObject(code(ErrorCode.NoAuth));
      await root.setData('/locked', 'by super');
      await root.create('/locked/kid');
      await root.remove('/locked/kid');
      await root.setACL('/locked', ACL.OPEN_ACL_UNSAFE);
      expect(await anon.get('/locked')).toBe('by super');
    } finally {
      await root.close();
      await notRoot.close();
    }
  });
});

describe('bad ACLs and credentials (our client)', () => {
  let c: ZkClient;
  beforeAll(async () => {
    c = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
  });
  afterAll(async () => {
    await c?.close();
  });

  const acl = (scheme: string, id: string, perms: number = Perms.ALL): WireACL[] => [{ perms, id: { scheme, id } }];

  it.each([
    ['an unknown scheme', acl('nosuch', 'x')],
    ['a digest id without a hash', acl('digest', 'alice')],
    ['an ip that is no address', acl('ip', '300.1.2.3')],
    ['an ip network with a bad prefix', acl('ip', '127.0.0.0/40')],
    ['world with an id other than anyone', acl('world', 'someone')],
    ['an empty list', []],
  ])('create with %s: InvalidACL, nothing created', async (_what, bad) => {
    await expect(c.create('/invalid', 'x', { acl: bad })).rejects.toMatchObject({ code: ErrorCode.InvalidACL });
    expect(await c.exists('/invalid')).toBeNull();
    await c.create('/valid', 'x').catch(() => undefined);
    await expect(c.setACL('/valid', bad)).rejects.toMatchObject({ code: ErrorCode.InvalidACL });
    expect((await c.getACL('/valid')).acl).toEqual(Ids.OPEN_ACL_UNSAFE);
    await expect(c.multi([Op.create('/invalid', 'x', { acl: bad })])).rejects.toMatchObject({ code: ErrorCode.InvalidACL });
  });

  it('auth with an unknown scheme: AuthFailed and the connection closed', async () => {
    const d = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
    const mark = server.logMark();
    await expect(d.addAuth('nosuch', 'whatever')).rejects.toMatchObject({ code: ErrorCode.AuthFailed });
    expect(d.state).toBe('AUTH_FAILED');
    await expect(d.exists('/')).rejects.toMatchObject({ code: ErrorCode.AuthFailed });
    if (!reference) await server.waitForLog(/authentication with unknown scheme nosuch failed/, 5000, mark);
    expect(await c.exists('/')).not.toBeNull();
  });

  it('node-zookeeper-client is told AUTH_FAILED for an unknown scheme', async () => {
    // the auth packet follows the handshake: connected first, then AUTH_FAILED
    const z = await Nzk.connect(server.connectString, { auth: [['nosuch', 'x']] });
    try {
      await z.waitForState('AUTH_FAILED', 5000);
    } finally {
      await z.close();
    }
  });

  it('getACL shows the digest ids; reading an ACL needs READ or ADMIN', async () => {
    const d = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
    try {
      await d.addAuth('digest', 'bob:pw');
      await d.create('/bob', 'x', { acl: [{ perms: Perms.ALL, id: { scheme: 'digest', id: digest('bob:pw') } }] });
      expect((await d.getACL('/bob')).acl[0]!.id).toEqual({ scheme: 'digest', id: digest('bob:pw') });
      await expect(c.getACL('/bob')).rejects.toMatchObject({ code: ErrorCode.NoAuth });
      await d.create('/bob-write-only', 'x', { acl: acl('world', 'anyone', Perms.WRITE) });
      await expect(c.getACL('/bob-write-only')).rejects.toMatchObject({ code: ErrorCode.NoAuth });
      await d.create('/bob-admin', 'x', { acl: acl('world', 'anyone', Perms.ADMIN) });
      expect((await c.getACL('/bob-admin')).acl).toEqual(acl('world', 'anyone', Perms.ADMIN));
    } finally {
      await d.close();
    }
  });
});
