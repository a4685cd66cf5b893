// Memory of our server beside Apache ZooKeeper 3.9.5 holding 1M znodes of 100
// bytes. Each server starts fresh (same zoo.cfg as the throughput benchmark);
// its memory is read once empty and once after the znodes are created
// (/mem/pNNNN/cNNNN: 1000 parents of 1000 children each, created by
// pipelined multi requests of 100 creates). Each reading follows full garbage collections:
//
// - ours runs with --expose-gc and bench/lib/memory-hook.js preloaded, which
//   on SIGUSR2 collects and prints process.memoryUsage(); "heap" is the JS
//   heap used plus the memory outside it held by buffers (external);
// - ZooKeeper gets `jcmd <pid> GC.run`, then `jcmd <pid> GC.heap_info`;
//   "heap" is the Java heap used.
//
// RSS is the process's resident set from /proc (for the JVM it includes heap
// that the collector keeps committed).
//
//   node dist/bench/memory.js [--znodes 1000000] [--size 100] [--servers verikeeper,zookeeper] [--zk-heap 1000m] [--dir DIR]

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ZkClient } from '../src/client/client.js';
import { createAll } from './lib/keyspace.js';
import { fmt, machineInfo, markdownTable, mib, saveResults } from './lib/report.js';
import { DEFAULT_SETTINGS, startServer, type RunningServer, type ServerKind } from './lib/servers.js';

interface Reading {
  rssBytes: number;
  heapBytes: number;
  detail: Record<string, number | string>;
}

interface MemoryRun {
  server: ServerKind;
  znodes: number;
  createSeconds: number;
  empty: Reading;
  full: Reading;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readOurs(srv: RunningServer): Promise<Reading> {
  const before = srv.stderr().length;
  process.kill(srv.pid, 'SIGUSR2');
  const deadline = Date.now() + 60000;
  for (;;) {
    const m = /memory-usage (\{.*\})\n/.exec(srv.stderr().slice(before));
    if (m) {
      const u = JSON.parse(m[1]!) as Record<string, number>;
      if (!u.gc) throw new Error('the server was started without --expose-gc');
      return { rssBytes: srv.rssBytes(), heapBytes: u.heapUsed! + u.external!, detail: u };
    }
    if (Date.now() > deadline) throw new Error('no memory report from the server');
    await sleep(100);
  }
}

function readZooKeeper(srv: RunningServer): Reading {
  const jcmd = (cmd: string): string => execFileSync('jcmd', [String(srv.pid), cmd], { encoding: 'utf8' });
  jcmd('GC.run');
  const info = jcmd('GC.heap_info');
  const m = /heap\s+total (\d+)K, used (\d+)K/.exec(info);
  if (!m) throw new Error(`cannot read GC.heap_info:\n${info}`);
  return {
    rssBytes: srv.rssBytes(),
    heapBytes: Number(m[2]) * 1024,
    detail: { heapCommitted: Number(m[1]) * 1024, heapInfo: info.trim() },
  };
}

async function measure(srv: RunningServer): Promise<Reading> {
  await sleep(1000);
  return srv.kind === 'zookeeper' ? readZooKeeper(srv) : readOurs(srv);
}

async function fill(port: number, znodes: number, size: number): Promise<void> {
  const perParent = 1000;
  const parents = Math.ceil(znodes / perParent);
  const data = Buffer.alloc(size, 0x6d);
  const clients = await Promise.all(
    Array.from({ length: 4 }, () => ZkClient.connect({ connectString: `127.0.0.1:${port}`, reconnect: false })),
  );
  try {
    const c0 = clients[0]!;
    await c0.create('/mem', new Uint8Array(0));
    const parentPaths = Array.from({ length: parents }, (_, p) => `/mem/p${String(p).padStart(4, '0')}`);
    await createAll(c0, parentPaths, new Uint8Array(0), 1000, 1);
    const leaves: string[] = [];
    for (let i = 0; i < znodes; i++) {
      leaves.push(`${parentPaths[Math.floor(i / perParent)]}/c${String(i % perParent).padStart(4, '0')}`);
    }
    // each client takes an interleaved share of the multis; small multis, so
    // that what a server keeps of its last transactions (ZooKeeper's
    // committedLog holds 500) does not count as znode memory
    const batch = 100;
    await Promise.all(
      clients.map((c, k) => {
        const mine: string[] = [];
        for (let b = k * batch; b < leaves.length; b += clients.length * batch) mine.push(...leaves.slice(b, b + batch));
        return createAll(c, mine, data, batch, 4);
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      znodes: { type: 'string', default: '1000000' },
      size: { type: 'string', default: '100' },
      servers: { type: 'string', default: 'verikeeper,zookeeper' },
      'zk-heap': { type: 'string', default: '1000m' },
      dir: { type: 'string', default: os.tmpdir() },
    },
  });
  const znodes = Number(values.znodes);
  const size = Number(values.size);
  const servers = values.servers.split(',') as ServerKind[];
  const settings = { ...DEFAULT_SETTINGS, baseDir: values.dir, memoryHook: true, jvmOptions: [`-Xmx${values['zk-heap']}`] };
  const runs: MemoryRun[] = [];
  for (const kind of servers) {
    const srv = await startServer(kind, settings);
    try {
      const empty = await measure(srv);
      const t0 = performance.now();
      await fill(srv.port, znodes, size);
      const createSeconds = (performance.now() - t0) / 1000;
      const full = await measure(srv);
      runs.push({ server: kind, znodes, createSeconds, empty, full });
      process.stderr.write(
        `${kind}: ${znodes} znodes in ${createSeconds.toFixed(1)} s; RSS ${mib(empty.rssBytes)} → ${mib(full.rssBytes)}, ` +
          `heap ${mib(empty.heapBytes)} → ${mib(full.heapBytes)}\n`,
      );
    } catch (e) {
      process.stderr.write(`${kind} failed: ${(e as Error).message}\n${srv.stderr().slice(-4000)}\n`);
      throw e;
    } finally {
      await srv.stop();
    }
  }
  const names: Record<string, string> = { verikeeper: 'verikeeper', zookeeper: 'ZooKeeper 3.9.5' };
  const table = markdownTable(
    ['server', 'RSS empty', `RSS with ${fmt(znodes)} znodes`, 'heap empty', `heap with ${fmt(znodes)} znodes`, 'heap bytes per znode', 'create time s'],
    runs.map((r) => [
      names[r.server] ?? r.server,
      mib(r.empty.rssBytes),
      mib(r.full.rssBytes),
      mib(r.empty.heapBytes),
      mib(r.full.heapBytes),
      fmt((r.full.heapBytes - r.empty.heapBytes) / r.znodes, 0),
      fmt(r.createSeconds, 1),
    ]),
  );
  const file = await saveResults('memory', { machine: machineInfo(), znodes, size, zkHeap: values['zk-heap'], runs });
  console.log(`${fmt(znodes)} znodes of ${size} bytes, after full GC:\n`);
  console.log(table);
  console.log(`\nraw results: ${file}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`memory: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
