// Micro-benchmark of the storage layer: checksum speed, in-memory appends,
// one fdatasync per record, group commit with many writers in flight,
// recovery reads, and snapshot write/read of ~150 MB.
//
//   npx tsc -p tsconfig.json && node dist/bench/storage.js [--dir DIR] [--seconds N] [--snapshot-mb N]
//
// DIR (default: the system temp folder) should be on the disk under test.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/server/log.js';
import { crc32 } from '../src/server/storage/crc32.js';
import { readLatestSnapshot, writeSnapshot } from '../src/server/storage/snapshot.js';
import { TxnLog } from '../src/server/storage/txnlog.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const baseDir = arg('dir', os.tmpdir());
const seconds = Number(arg('seconds', '3'));
const snapshotMb = Number(arg('snapshot-mb', '150'));
const logger = createLogger('bench', () => undefined);

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function row(cells: (string | number)[]): void {
  console.log('| ' + cells.map((c) => (typeof c === 'number' ? fmt(c) : c)).join(' | ') + ' |');
}

async function freshDir(): Promise<string> {
  return fsp.mkdtemp(path.join(baseDir, 'verikeeper-bench-'));
}

function benchCrc(): void {
  const buf = Buffer.alloc(1 << 20, 0x5a);
  for (const [name, fn] of [
    ['CRC-32 of 1 MiB (zlib, native)', (b: Buffer) => crc32(b)],
    ['CRC-32 of 1 KiB records (zlib, native)', (b: Buffer) => {
      for (let at = 0; at < b.length; at += 1024) crc32(b, at, at + 1024);
    }],
  ] as const) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) {
      fn(buf);
      n++;
    }
    row([name, (n * buf.length) / 1e6 / ((performance.now() - t0) / 1000), 'MB/s']);
  }
}

async function benchAppend(size: number): Promise<void> {
  const dir = await freshDir();
  const log = await TxnLog.open(dir, { forceSync: false, logger });
  const payload = Buffer.alloc(size, 7);
  let zxid = 0;
  let appending = 0;
  const t0 = performance.now();
  const count = 1_000_000;
  const batch = 1000;
  for (let i = 0; i < count; i += batch) {
    const a = performance.now();
    for (let j = 0; j < batch; j++) log.append({ zxid: ++zxid, payload });
    appending += performance.now() - a;
    await log.flush();
  }
  const dt = (performance.now() - t0) / 1000;
  row([`append alone (encode + CRC), ${size} B`, count / (appending / 1000), 'records/s']);
  row([`append + write without fsync, ${batch} per flush, ${size} B`, count / dt, 'records/s']);
  await log.close();
  await fsp.rm(dir, { recursive: true, force: true });
}

/** `writers` loops, each appending one record and awaiting its flush, for `seconds`. */
async function benchGroupCommit(writers: number, size: number): Promise<{ dir: string; records: number }> {
  const dir = await freshDir();
  const log = await TxnLog.open(dir, { forceSync: true, logger });
  const payload = Buffer.alloc(size, 7);
  let zxid = 0;
  let records = 0;
  const latencies: number[] = [];
  const stopAt = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < stopAt) {
        const start = performance.now();
        log.append({ zxid: ++zxid, payload });
        await log.flush();
        records++;
        if ((records & 7) === 0) latencies.push(performance.now() - start);
      }
    }),
  );
  const dt = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  row([
    `${writers} writer${writers > 1 ? 's' : ''}, ${size} B`,
    records / dt,
    log.stats.syncs / dt,
    records / Math.max(1, log.stats.syncs),
    `${p(0.5).toFixed(2)} / ${p(0.99).toFixed(2)}`,
  ]);
  await log.close();
  return { dir, records };
}

async function benchRecovery(dir: string, records: number): Promise<void> {
  const t0 = performance.now();
  const log = await TxnLog.open(dir, { forceSync: true, logger });
  let n = 0;
  for await (const r of log.readFrom(0)) n += r.zxid > 0 ? 1 : 0;
  const dt = (performance.now() - t0) / 1000;
  if (n !== records) throw new Error(`recovered ${n} records, expected ${records}`);
  row([`open + readFrom(0) of ${fmt(n)} records`, n / dt, 'records/s']);
  await log.close();
}

async function benchSnapshot(): Promise<void> {
  const dir = await freshDir();
  const chunk = 64 * 1024;
  const total = snapshotMb * 1024 * 1024;
  const piece = Buffer.alloc(chunk);
  for (let i = 0; i < chunk; i++) piece[i] = (i * 31) & 0xff;
  function* chunks(): Generator<Uint8Array> {
    for (let done = 0; done < total; done += chunk) yield piece;
  }
  const t0 = performance.now();
  await writeSnapshot(dir, 1, chunks());
  const w = (performance.now() - t0) / 1000;
  const rss0 = process.memoryUsage().rss;
  const t1 = performance.now();
  const snap = await readLatestSnapshot(dir, logger);
  const r = (performance.now() - t1) / 1000;
  const extra = (process.memoryUsage().rss - rss0) / 1e6;
  if (!snap || snap.data.length !== total) throw new Error('snapshot did not read back');
  row([`write ${snapshotMb} MiB in 64 KiB chunks (fsync, rename)`, total / 1e6 / w, 'MB/s']);
  row([`read + verify ${snapshotMb} MiB`, total / 1e6 / r, `MB/s (RSS +${extra.toFixed(0)} MB)`]);
  await fsp.rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(`storage benchmark: node ${process.version}, ${os.cpus().length} CPUs, data in ${baseDir}\n`);
  console.log('| checksum | speed | |\n|---|---:|---|');
  benchCrc();
  console.log('\n| in-memory path | rate | |\n|---|---:|---|');
  for (const size of [100, 1024]) await benchAppend(size);
  console.log(`\n| group commit (fdatasync on, ${seconds} s each) | records/s | fsyncs/s | records/fsync | latency p50 / p99 ms |`);
  console.log('|---|---:|---:|---:|---:|');
  let last: { dir: string; records: number } | null = null;
  for (const [writers, size] of [
    [1, 100],
    [16, 100],
    [128, 100],
    [1024, 100],
    [128, 1024],
    [1024, 1024],
  ] as const) {
    if (last) await fsp.rm(last.dir, { recursive: true, force: true });
    last = await benchGroupCommit(writers, size);
  }
  console.log('\n| recovery | rate | |\n|---|---:|---|');
  await benchRecovery(last!.dir, last!.records);
  await fsp.rm(last!.dir, { recursive: true, force: true });
  console.log('\n| snapshot | speed | |\n|---|---:|---|');
  await benchSnapshot();
}

await main();
