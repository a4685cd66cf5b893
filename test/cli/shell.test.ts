// The shell's commands run through the real client against a loopback server
// holding an in-memory tree; outputs are compared with what zkCli prints.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/client/client.js';
import { parseAcl, parseOptions, runLine, tokenize, type ShellContext } from '../../src/cli/shell-commands.js';
import { shellMain } from '../../src/cli/shell.js';
import type { FakeServer } from '../client/fake-server.js';
import { captureIO, until } from './capture.js';
import { startMemoryServer, type MemoryTree } from './memory-server.js';

const UTC_STAT_OF_NEW_NODE = (zxid: number, len: number, owner = '0'): string =>
  [
    `cZxid = 0x${zxid.toString(16)}`,
    'ctime = Tue Nov 14 22:13:20 UTC 2023',
    `mZxid = 0x${zxid.toString(16)}`,
    'mtime = Tue Nov 14 22:13:20 UTC 2023',
    `pZxid = 0x${zxid.toString(16)}`,
    'cversion = 0',
    'dataVersion = 0',
    'aclVersion = 0',
    `ephemeralOwner = 0x${owner}`,
    `dataLength = ${len}`,
    'numChildren = 0',
    '',
  ].join('\n');

describe('tokenize and options, as zkCli parses them', () => {
  it('splits on whitespace and honours quotes', () => {
    expect(tokenize('  create  /a   "hello world" \'x y\'  ')).toEqual(['create', '/a', 'hello world', 'x y']);
    expect(tokenize('set /a ""')).toEqual(['set', '/a', '']);
    expect(tokenize('get "/a')).toEqual(['get', '/a']);
    expect(tokenize('   ')).toEqual([]);
  });

  const opts = { s: { arg: false, desc: '' }, e: { arg: false, desc: '' }, v: { arg: true, desc: '' } };

  it('accepts options anywhere, bundled flags and attached values', () => {
    expect(parseOptions(['set', '/a', 'd', '-v', '3', '-s'], opts)).toEqual({
      args: ['set', '/a', 'd'],
      opts: new Map<string, string | true>([
        ['v', '3'],
        ['s', true],
      ]),
    });
    expect(parseOptions(['create', '-es', '/a'], opts).opts).toEqual(
      new Map([
        ['e', true],
        ['s', true],
      ]),
    );
    expect(parseOptions(['delete', '-v3', '/a'], opts).opts.get('v')).toBe('3');
    expect(parseOptions(['x', '--', '-s'], opts).args).toEqual(['x', '-s']);
    expect(parseOptions(['x', '-'], opts).args).toEqual(['x', '-']);
  });

  it('reports unknown options and missing values as commons-cli words them', () => {
    expect(() => parseOptions(['ls', '-x', '/'], opts)).toThrow(
      'org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x',
    );
    expect(() => parseOptions(['set', '/a', '-v'], opts)).toThrow(
      'org.apache.commons.cli.MissingArgumentException: Missing argument for option: v',
    );
    expect(() => parseOptions(['ls', '-sx', '/'], opts)).toThrow('Unrecognized option: -x');
  });

  it('parses ACL strings as AclParser does', () => {
    const warnings: string[] = [];
    expect(parseAcl('world:anyone:cdrwa,digest:u:hash=:r,bad', (m) => warnings.push(m))).toEqual([
      { id: { scheme: 'world', id: 'anyone' }, perms: 31 },
      { id: { scheme: 'digest', id: 'u:hash=' }, perms: 1 },
    ]);
    expect(warnings).toEqual(['bad does not have the form scheme:id:perm']);
  });
});

describe('shell commands against a loopback server', () => {
  let server: FakeServer;
  let tree: MemoryTree;
  let client: ZkClient;
  let out: string;
  let err: string;
  let ctx: ShellContext;

  const run = async (line: string): Promise<{ code: number; out: string; err: string }> => {
    out = '';
    err = '';
    const code = await runLine(ctx, line);
    return { code, out, err };
  };

  beforeEach(async () => {
    ({ server, tree } = await startMemoryServer());
    client = await ZkClient.connect({ connectString: server.address });
    ctx = {
      client,
      host: server.address,
      printWatches: true,
      history: [],
      out: (t) => (out += t),
      err: (t) => (err += t),
      connect: async () => undefined,
      quit: () => undefined,
      timeZone: 'UTC',
    };
  });

  afterEach(async () => {
    client.destroy();
    await server.stop();
  });

  it('create, get, ls and their errors', async () => {
    expect(await run('create /zk-demo 123')).toEqual({ code: 0, out: '', err: 'Created /zk-demo\n' });
    expect(await run('get /zk-demo')).toEqual({ code: 0, out: '123\n', err: '' });
    expect(await run('create /zk-demo again')).toEqual({ code: 1, out: '', err: 'Node already exists: /zk-demo\n' });
    expect(await run('create /Dog')).toMatchObject({ code: 0, err: 'Created /Dog\n' });
    expect(await run('get /Dog')).toMatchObject({ code: 0, out: 'null\n' });
    expect(await run('ls /')).toMatchObject({ code: 0, out: '[Dog, zk-demo, zookeeper]\n' });
    expect(await run('ls /nope')).toEqual({ code: 1, out: '', err: 'Node does not exist: /nope\n' });
    expect(await run('get /nope')).toMatchObject({ code: 1, err: 'Node does not exist: /nope\n' });
    expect(await run('create /a/b')).toMatchObject({ code: 1, err: 'Node does not exist: /a/b\n' });
  });

  it('get -s, ls -s and stat print the Stat', async () => {
    await run('create /n hello');
    expect((await run('get -s /n')).out).toBe('hello\n' + UTC_STAT_OF_NEW_NODE(1, 5));
    expect((await run('stat /n')).out).toBe(UTC_STAT_OF_NEW_NODE(1, 5));
    expect(await run('stat /nope')).toMatchObject({ code: 1, err: 'Node does not exist: /nope\n' });
    const ls = await run('ls -s /n');
    expect(ls.out).toBe('[]\n' + UTC_STAT_OF_NEW_NODE(1, 5));
  });

  it('sequential, ephemeral, container and TTL modes, and their refusals', async () => {
    await run('create /s');
    expect((await run('create -s /s/n- x')).err).toBe('Created /s/n-0000000000\n');
    expect((await run('create -s /s/n- x')).err).toBe('Created /s/n-0000000001\n');
    expect((await run('create -e /s/e x')).err).toBe('Created /s/e\n');
    expect(tree.nodes.get('/s/e')!.stat.ephemeralOwner).toBe(client.sessionId);
    expect((await run('create -e /s/e/kid')).err).toBe('Ephemerals cannot have children: /s/e/kid\n');
    expect((await run('create -c -e /c')).err).toBe(
      '-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.\n',
    );
    expect((await run('create -t abc /t')).err).toBe('-t argument must be a long value\n');
    expect((await run('create -t 10 -e /t')).err).toBe('TTLs cannot be used with Ephemeral znodes\n');
    expect((await run('create -t 0 /t')).err).toBe('ttl must be positive and cannot be larger than: 1099511627775\n');
    expect(await run('create -t 5000 /t')).toMatchObject({ code: 0, err: 'Created /t\n' });
    expect((await run('getEphemerals')).out).toBe('[/s/e]\n');
    expect((await run('getAllChildrenNumber /s')).out).toBe('3\n');
  });

  it('set and delete with versions; deleteall', async () => {
    await run('create /v a');
    expect(await run('set /v b -v 5')).toMatchObject({ code: 1, err: 'version No is not valid : /v\n' });
    expect(await run('set /v b -v 0')).toMatchObject({ code: 0, out: '' });
    const s = await run('set -s /v c');
    expect(s.out).toContain('dataVersion = 2\n');
    await run('create /v/k');
    expect(await run('delete /v')).toMatchObject({ code: 1, err: 'Node not empty: /v\n' });
    expect(await run('delete -v 3 /v/k')).toMatchObject({ code: 1, err: 'version No is not valid : /v/k\n' });
    await run('create /v/k/x');
    await run('create /v/j');
    expect(await run('deleteall /v')).toEqual({ code: 0, out: '', err: '' });
    expect(tree.nodes.has('/v')).toBe(false);
    expect(await run('deleteall /v')).toMatchObject({ code: 1, err: 'Node does not exist: /v\n' });
  });

  it('ls -R lists the subtree level by level', async () => {
    for (const p of ['/r', '/r/b', '/r/a', '/r/a/x', '/r/b/y']) await run(`create ${p}`);
    expect((await run('ls -R /r')).out).toBe('/r\n/r/a\n/r/b\n/r/a/x\n/r/b/y\n');
  });

  it('getAcl, setAcl, addauth, whoami, sync', async () => {
    await run('create /p x');
    expect((await run('getAcl /p')).out).toBe("'world,'anyone\n: cdrwa\n");
    const set = await run('setAcl -s /p world:anyone:rw,oops');
    expect(set.err).toBe('oops does not have the form scheme:id:perm\n');
    expect(set.out).toContain('aclVersion = 1\n');
    expect((await run('getAcl /p')).out).toBe("'world,'anyone\n: rw\n");
    expect(await run('addauth digest bob:pw')).toEqual({ code: 0, out: '', err: '' });
    expect((await run('whoami')).out).toBe('Auth scheme: User\nip: 127.0.0.1\ndigest: bob\n');
    expect((await run('sync /p')).out).toBe('Sync is OK\n');
  });

  it('malformed commands: usage, bad paths, unknown commands', async () => {
    expect(await run('get')).toMatchObject({
      code: 1,
      err: [
        'get [-s] [-w] [-b] [-x] path',
        ' -b   Output data in base64 format',
        ' -s   Print znode stats additionally',
        ' -w   Watch for changes on the znode',
        ' -x   Output data in hexdump format',
        '',
      ].join('\n'),
    });
    expect(await run('ls')).toMatchObject({ code: 1, err: 'ls [-s] [-w] [-R] path\n' });
    expect(await run('ls a')).toMatchObject({ code: 1, err: 'Path must start with / character\n' });
    expect(await run('create /a//b')).toMatchObject({
      code: 1,
      err: 'Invalid path string "/a//b" caused by empty node name specified @3\n',
    });
    const unknown = await run('frob /x');
    expect(unknown.code).toBe(127);
    expect(unknown.err).toMatch(/\tls \[-s\] \[-w\] \[-R\] path\n/);
    expect(unknown.err.endsWith('Command not found: frob\n')).toBe(true);
    expect((await run('help')).out).toContain('\tcreate [-s] [-e] [-c] [-t ttl] path [data] [acl]\n');
    expect(await run('ls /zookeeper extra')).toMatchObject({
      code: 0,
      err: "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.\n",
    });
  });

  it('history, printwatches, and commands after close', async () => {
    await run('printwatches off');
    expect(ctx.printWatches).toBe(false);
    expect((await run('printwatches')).out).toBe('printwatches is off\n');
    expect((await run('history')).out).toBe('0 - printwatches off\n1 - printwatches\n2 - history\n');
    await run('close');
    expect(client.state).toBe('CLOSED');
    expect(await run('ls /')).toEqual({ code: 0, out: 'Not connected\n', err: '' });
  });
});

describe('shellMain', () => {
  let server: FakeServer;

  beforeEach(async () => {
    ({ server } = await startMemoryServer());
  });
  afterEach(async () => {
    await server.stop();
  });

  it('runs one command and exits with its status', async () => {
    const t = captureIO(false);
    expect(await shellMain(['-server', server.address, 'create', '/x', 'v'], t.io)).toBe(0);
    expect(t.err()).toBe('Created /x\n');
    const t2 = captureIO(false);
    expect(await shellMain(['-server', server.address, 'get', '/x'], t2.io)).toBe(0);
    expect(t2.out()).toBe('v\n');
    const t3 = captureIO(false);
    expect(await shellMain(['-server', server.address, 'get', '/nope'], t3.io)).toBe(1);
    expect(t3.err()).toBe('Node does not exist: /nope\n');
  });

  it('reads commands from a pipe, prints watch events, closes the session at the end', async () => {
    const t = captureIO(false);
    const done = shellMain(['-server', server.address], t.io);
    t.stdin.write('create -e /w x\nget -w /w\n');
    await until(() => t.out().includes('x\n'));
    const other = await ZkClient.connect({ connectString: server.address });
    await other.setData('/w', 'y');
    await until(() => t.out().includes('WATCHER::'));
    expect(t.out()).toBe('x\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w zxid: 2\n');
    t.stdin.end('ls /nope\n');
    expect(await done).toBe(1);
    expect(t.err()).toBe('Created /w\nNode does not exist: /nope\n');
    expect(await other.exists('/w')).toBeNull();
    await other.close();
  });

  it('quit ends the session with the status of the last command', async () => {
    const t = captureIO(false);
    const done = shellMain(['-server', server.address], t.io);
    t.stdin.write('ls /\nquit\nls /\n');
    expect(await done).toBe(0);
    expect(t.out()).toBe('[zookeeper]\n');
  });

  it('interactive: connection banner, zkCli prompt with the command count', async () => {
    const t = captureIO(true);
    const done = shellMain(['-server', server.address], t.io);
    await until(() => t.out().includes('(CONNECTED) 0] '));
    expect(t.out()).toContain(
      `Connecting to ${server.address}\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null zxid: -1\n`,
    );
    t.stdin.write('ls /\n');
    await until(() => t.out().includes('(CONNECTED) 1] '));
    expect(t.out()).toContain('[zookeeper]\n');
    t.stdin.write('quit\n');
    expect(await done).toBe(0);
  });

  it('fails clearly when no server answers, and on bad arguments', async () => {
    const address = server.address;
    await server.stop();
    ({ server } = await startMemoryServer());
    const t = captureIO(false);
    expect(await shellMain(['-server', address, '-timeout', '300', 'ls', '/'], t.io)).toBe(1);
    expect(t.err()).toMatch(new RegExp(`^Unable to connect to ${address}: .*ECONNREFUSED`));
    const t2 = captureIO(false);
    expect(await shellMain(['-server'], t2.io)).toBe(2);
    expect(t2.err()).toContain('Error: no argument found for option -server\n');
  });
});
