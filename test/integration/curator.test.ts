// Apache Curator's everyday recipes (test/curator: InterProcessMutex,
// LeaderLatch, DistributedAtomicLong, CuratorCache over a persistent
// recursive watch, an ephemeral PersistentNode, SharedCount,
// InterProcessSemaphoreV2, DistributedDoubleBarrier, SimpleDistributedQueue,
// container parents) run unchanged on the ZooKeeper 3.9.5 Java client
// against our server. The program asserts each recipe's documented
// behaviour and exits non-zero on the first that misbehaves.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnsemble } from './ensemble.js';
import { TestServer, repoRoot } from './server.js';

const TOOLS = path.join(repoRoot, 'tools/curator-5.7.1');
const RECIPES = [
  'InterProcessMutex',
  'LeaderLatch',
  'DistributedAtomicLong',
  'CuratorCache',
  'PersistentNode (ephemeral)',
  'SharedCount',
  'InterProcessSemaphoreV2',
  'DistributedDoubleBarrier',
  'SimpleDistributedQueue',
  'containers',
];

let server: TestServer;

beforeAll(async () => {
  // containers are checked every second instead of every minute
  server = await TestServer.start({ settings: { 'znode.container.checkIntervalMs': 1000 } });
});

afterAll(async () => {
  await server?.destroy();
});

function runJava(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const cp = [path.join(TOOLS, 'classes'), path.join(TOOLS, '*')].join(path.delimiter);
    const p = spawn('java', ['-cp', cp, 'verikeeper.CuratorRecipes', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('Apache Curator recipes', () => {
  it('run unchanged against our server', async () => {
    const { code, out } = await runJava([server.connectString], 100_000);
    expect(out).toContain('all recipes ok');
    for (const r of RECIPES) expect(out).toContain(`ok ${r}\n`);
    expect(code).toBe(0);
  }, 120_000);

  it('report a failure: the same program against a port nobody listens on exits non-zero', async () => {
    const { code, out } = await runJava(['127.0.0.1:1'], 60_000);
    expect(code).not.toBe(0);
    expect(out).toContain('no connection to 127.0.0.1:1');
  }, 70_000);
});

describe('Apache Curator across a member of an ensemble killed', () => {
  it('keeps LeaderLatch to one leader and InterProcessMutex to one holder while the leading member is killed', async () => {
    const e = await TestEnsemble.start({ voters: 3 });
    try {
      const leader = await e.settled();
      const cp = [path.join(TOOLS, 'classes'), path.join(TOOLS, '*')].join(path.delimiter);
      const p = spawn('java', ['-cp', cp, 'verikeeper.CuratorRecipes', '--failover', e.connectString], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      const ready = new Promise<void>((resolve) =>
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ready\n')) resolve();
        }),
      );
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
      const timer = setTimeout(() => p.kill('SIGKILL'), 110_000);
      await Promise.race([ready, exited]);
      expect(out).toContain('ready');
      await e.member(leader).kill();
      p.stdin.write('killed\n');
      const code = await exited;
      clearTimeout(timer);
      expect(out).toMatch(/ok failover \(\d+ mutex rounds\)/);
      expect(code).toBe(0);
    } finally {
      await e.destroy();
    }
  }, 120_000);
});
