// The data directory lock of a real server process: a second server on the
// same dataDir is refused with the first one's pid; after kill -9 the next
// start succeeds at once, even when the lock file names a pid that a live,
// unrelated process has now; a lock file removed under a running server
// stops it with exit status 1.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/client/client.js';
import { TestServer, reference } from './server.js';

const servers: TestServer[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const s of servers.splice(0)) await s.destroy();
});

async function start(dataDir?: string): Promise<TestServer> {
  const s = await TestServer.start(dataDir === undefined ? {} : { dataDir });
  servers.push(s);
  return s;
}

describe.skipIf(reference)('data directory lock', () => {
  it('refuses a second server on the same dataDir, naming the first', async () => {
    const first = await start();
    const second = TestServer.prepare({ dataDir: first.dataDir });
    servers.push(second);
    const result = await second.launchExpectingExit();
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/ERROR/);
    expect(result.output).toContain(`in use by process ${first.pid}`);
    // the first one goes on serving
    const c = await ZkClient.connect({ connectString: first.connectString, sessionTimeout: 10000 });
    await c.create('/still-serving', 'yes');
    await c.close();
  });

  it('starts at once after kill -9, whatever live process has the pid in the lock file', async () => {
    const s = await start();
    const c = await ZkClient.connect({ connectString: s.connectString, sessionTimeout: 10000 });
    await c.create('/before-crash', 'x');
    c.destroy();
    await s.kill();
    // the pid of the crashed server now belongs to some unrelated live process
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(other);
    await new Promise((r) => other.once('spawn', r));
    writeFileSync(path.join(s.dataDir, 'verikeeper.lock'), `pid=${other.pid}\nhost=${os.hostname()}\n`);
    await s.launch();
    const d = await ZkClient.connect({ connectString: s.connectString, sessionTimeout: 10000 });
    expect((await d.exists('/before-crash')) !== null).toBe(true);
    await d.close();
  });

  it('stops with exit status 1 when its lock file is removed', async () => {
    const s = await start();
    rmSync(path.join(s.dataDir, 'verikeeper.lock'));
    const exit = await s.waitForExit(20000);
    expect(exit).toEqual({ code: 1, signal: null });
    const errors = s.log().split('\n').filter((l) => / ERROR /.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/fatal: lost the lock of .*: the lock file .* was removed/);
  });
});
