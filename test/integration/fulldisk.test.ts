// A full disk is fatal, as in ZooKeeper: with dataDir on a small tmpfs that
// is filled up, the write that needs a new page of the log fails with
// ENOSPC, the server logs one ERROR line and exits non-zero (so that a
// supervisor restarts it), and once space is back a restart serves every
// write that was acknowledged.
//
// The tmpfs needs mount(2): the suite is skipped, saying why, where that is
// not allowed.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/client/client.js';
import { TestServer, reference } from './server.js';

function tryMount(): { dir: string; ok: true } | { ok: false; why: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verikeeper-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
    return { dir, ok: true };
  } catch (e) {
    rmdirSync(dir);
    const err = e as { stderr?: Buffer; message: string };
    return { ok: false, why: (err.stderr?.toString().trim() || err.message).split('\n')[0]! };
  }
}

const mount = reference ? ({ ok: false, why: 'runs against verikeeper only' } as const) : tryMount();
if (!mount.ok) process.stderr.write(`full-disk suite skipped: cannot mount a tmpfs (${mount.why})\n`);

let server: TestServer | null = null;

afterAll(async () => {
  await server?.destroy();
  if (mount.ok) {
    execFileSync('umount', [mount.dir]);
    rmdirSync(mount.dir);
  }
});

/** Fills the file system of `dir` with one file until a write fails with ENOSPC. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!mount.ok)(`a full disk${mount.ok ? '' : ` (skipped: cannot mount a tmpfs: ${mount.why})`}`, () => {
  it('stops the server with one error line and a non-zero exit, and loses nothing acknowledged', async () => {
    if (!mount.ok) return;
    const dataDir = path.join(mount.dir, 'data');
    server = await TestServer.start({ dataDir });
    const c = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
    const acked = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const p = `/before-${i}`;
      await c.create(p, `value ${i}`);
      acked.set(p, `value ${i}`);
    }

    const filler = path.join(mount.dir, 'filler');
    fill(filler);

    // Each write adds a record of about 2 KB: within a few of them the log
    // needs a page that the file system cannot give.
    const value = 'x'.repeat(2000);
    let failed: unknown = null;
    for (let i = 0; i < 200 && failed === null; i++) {
      const p = `/during-${i}`;
      try {
        await c.create(p, value);
        acked.set(p, value);
      } catch (e) {
        failed = e;
      }
    }
    expect(failed, 'a write failed once the disk was full').not.toBeNull();
    c.destroy();

    const exit = await server.waitForExit(20000);
    expect(exit, 'the server exited by itself').not.toBeNull();
    expect(exit!.signal).toBeNull();
    expect(exit!.code).not.toBe(0);
    const errors = server.log().split('\n').filter((l) => / ERROR /.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/fatal: cannot write the transaction log.*(ENOSPC|no space left)/i);

    // space comes back: a restart serves every acknowledged write and takes new ones
    rmSync(filler);
    await server.launch();
    const d = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
    try {
      for (const [p, v] of acked) {
        const { data } = await d.getData(p);
        expect(Buffer.from(data ?? new Uint8Array()).toString(), p).toBe(v);
      }
      await d.create('/after', 'space is back');
    } finally {
      await d.close();
    }
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });
});
