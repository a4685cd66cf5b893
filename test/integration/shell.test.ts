// The shell against a real server: a verikeeper process started here, or
// any server at VERIKEEPER_TEST_SERVER=host:port (Apache ZooKeeper, for
// comparison).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellMain } from '../../src/cli/shell.js';
import { captureIO, until } from '../cli/capture.js';
import { TestServer } from './server.js';

let server = process.env.VERIKEEPER_TEST_SERVER;
let started: TestServer | undefined;
const root = `/vk-shell-e2e-${process.pid}-${Date.now()}`;

/** Runs one shell command; returns status and output. */
async function sh(...cmd: string[]): Promise<{ code: number; out: string; err: string }> {
  const t = captureIO(false);
  const code = await shellMain(['-server', server!, ...cmd], t.io);
  return { code, out: t.out(), err: t.err() };
}

describe('shell end to end', () => {
  beforeAll(async () => {
    if (server === undefined) {
      started = await TestServer.start();
      server = started.connectString;
    }
  });

  afterAll(async () => {
    await sh('deleteall', root);
    await started?.destroy();
  });

  it('the demo session: create, get, ephemerals that go with their session', async () => {
    expect(await sh('create', root)).toMatchObject({ code: 0, err: `Created ${root}\n` });
    expect(await sh('create', `${root}/zk-demo`, '123')).toMatchObject({ code: 0 });
    expect(await sh('get', `${root}/zk-demo`)).toEqual({ code: 0, out: '123\n', err: '' });
    expect(await sh('create', `${root}/Dog`)).toMatchObject({ code: 0 });

    const first = captureIO(false);
    const session = shellMain(['-server', server!], first.io);
    first.stdin.write(`create -e ${root}/Dog/Puppy 123\n`);
    await until(() => first.err().includes('Created'));
    expect(await sh('ls', `${root}/Dog`)).toMatchObject({ code: 0, out: '[Puppy]\n' });
    expect((await sh('stat', `${root}/Dog/Puppy`)).out).toMatch(/^ephemeralOwner = 0x[0-9a-f]+$/m);
    first.stdin.end('quit\n');
    expect(await session).toBe(0);
    expect(await sh('ls', `${root}/Dog`)).toMatchObject({ code: 0, out: '[]\n' });
    expect(await sh('ls', root)).toMatchObject({ code: 0, out: '[Dog, zk-demo]\n' });
  });

  it('prints a data watch firing, as zkCli does', async () => {
    await sh('create', `${root}/watched`, 'a');
    const t = captureIO(false);
    const session = shellMain(['-server', server!], t.io);
    t.stdin.write(`get -w ${root}/watched\n`);
    await until(() => t.out().includes('a\n'));
    expect(await sh('set', `${root}/watched`, 'b')).toMatchObject({ code: 0 });
    await until(() => t.out().includes('WATCHER::'));
    expect(t.out()).toMatch(
      new RegExp(`^a\\n\\nWATCHER::\\n\\nWatchedEvent state:SyncConnected type:NodeDataChanged path:${root}/watched zxid: \\d+\\n$`),
    );
    t.stdin.end();
    expect(await session).toBe(0);
  });

  it('errors and statuses', async () => {
    expect(await sh('get', `${root}/none`)).toEqual({ code: 1, out: '', err: `Node does not exist: ${root}/none\n` });
    expect(await sh('create', `${root}/zk-demo`)).toMatchObject({ code: 1, err: `Node already exists: ${root}/zk-demo\n` });
    expect(await sh('set', `${root}/zk-demo`, 'x', '-v', '42')).toMatchObject({
      code: 1,
      err: `version No is not valid : ${root}/zk-demo\n`,
    });
    expect(await sh('delete', root)).toMatchObject({ code: 1, err: `Node not empty: ${root}\n` });
    expect(await sh('getAcl', root)).toMatchObject({ code: 0, out: "'world,'anyone\n: cdrwa\n" });
    expect((await sh('whoami')).out).toMatch(/^Auth scheme: User\nip: /);
  });
});
