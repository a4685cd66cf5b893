import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryLogger } from '../../src/server/log.js';
import { listZxidFiles, versionDir } from '../../src/server/storage/files.js';
import { purge, PurgeScheduler } from '../../src/server/storage/purge.js';
import { readLatestSnapshot, writeSnapshot } from '../../src/server/storage/snapshot.js';
import { TxnLog } from '../../src/server/storage/txnlog.js';
import { options, rec, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

afterEach(() => {
  vi.useRealTimers();
});

async function names(dir: string, kind: 'log' | 'snapshot'): Promise<number[]> {
  return (await listZxidFiles(versionDir(dir), kind)).map((f) => f.zxid);
}

/** Five generations of "10 records, snapshot, roll", zxids 1..50, snapshots at 10, 20, ..., 50. */
async function history(dataDir: string, logDir: string): Promise<TxnLog> {
  const log = await TxnLog.open(logDir, options());
  for (let gen = 0; gen < 5; gen++) {
    for (let z = gen * 10 + 1; z <= gen * 10 + 10; z++) log.append(rec(z));
    await log.flush();
    await log.roll();
    await writeSnapshot(dataDir, gen * 10 + 10, [Buffer.from(`snap ${gen}`)]);
  }
  log.append(rec(51));
  await log.flush();
  return log;
}

describe('purge', () => {
  it('keeps the newest snapshots and the logs needed to recover from the oldest kept one', async () => {
    const dataDir = await tempDir();
    const logDir = await tempDir();
    const log = await history(dataDir, logDir);
    expect(await names(logDir, 'log')).toEqual([1, 11, 21, 31, 41, 51]);
    const r = await purge(dataDir, logDir, 3);
    expect(r.oldestKeptZxid).toBe(30);
    expect(await names(dataDir, 'snapshot')).toEqual([30, 40, 50]);
    // log.15 (from zxid 0x15 = 21) is the newest file starting at or before 30: from its name
    // alone it may hold zxids above 30, so it stays; the files before it end before 21.
    expect(await names(logDir, 'log')).toEqual([21, 31, 41, 51]);
    expect(r.snapshots.map((p) => path.basename(p))).toEqual(['snapshot.a', 'snapshot.14']);
    expect(r.logs.map((p) => path.basename(p))).toEqual(['log.1', 'log.b']);
    expect((await purge(dataDir, logDir, 3)).logs).toEqual([]);
    await log.close();
  });

  it('keeps the log file that straddles the oldest kept snapshot', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    for (let z = 1; z <= 40; z++) log.append(rec(z));
    await log.roll(); // log.1 holds 1..40
    for (let z = 41; z <= 50; z++) log.append(rec(z));
    await log.flush(); // log.29 holds 41..50
    for (const z of [15, 25, 35, 45]) await writeSnapshot(dir, z, [Buffer.from('x')]);
    await purge(dir, dir, 3);
    expect(await names(dir, 'snapshot')).toEqual([25, 35, 45]);
    expect(await names(dir, 'log')).toEqual([1, 41]);
    await log.close();
  });

  it('counts only complete snapshots towards those kept', async () => {
    const dir = await tempDir();
    for (const z of [10, 20, 30, 40]) await writeSnapshot(dir, z, [Buffer.from('x')]);
    await fsp.truncate(path.join(versionDir(dir), 'snapshot.28'), 10);
    const r = await purge(dir, dir, 3);
    expect(r.oldestKeptZxid).toBe(10);
    expect(await names(dir, 'snapshot')).toEqual([10, 20, 30, 40]);
  });

  it('removes nothing without a snapshot, and leftovers of interrupted snapshot writes', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    log.append(rec(1));
    await log.roll();
    log.append(rec(2));
    await log.flush();
    const temp = path.join(versionDir(dir), 'snapshot.5.123-0.tmp');
    await fsp.writeFile(temp, 'partial');
    const r = await purge(dir, dir, 3);
    expect(r).toEqual({ snapshots: [], logs: [], temps: [temp], oldestKeptZxid: null });
    expect(await names(dir, 'log')).toEqual([1, 2]);
    await log.close();
  });

  it('refuses to keep fewer than three snapshots', async () => {
    const dir = await tempDir();
    await expect(purge(dir, dir, 2)).rejects.toThrow(RangeError);
  });

  it('never removes what recovery from the oldest kept snapshot needs', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 8 }), gap: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('snapshot' as const), back: fc.integer({ min: 0, max: 5 }), roll: fc.boolean() }),
      fc.record({ kind: fc.constant('roll' as const) }),
      fc.record({ kind: fc.constant('purge' as const), retain: fc.integer({ min: 3, max: 5 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.boolean(), async (ops, sameDir) => {
        const dataDir = await tempDir();
        const logDir = sameDir ? dataDir : await tempDir();
        const log = await TxnLog.open(logDir, options());
        const zxids: number[] = [];
        let next = 1;
        let lastSnap = 0;
        const check = async (): Promise<void> => {
          const snaps = await names(dataDir, 'snapshot');
          if (snaps.length === 0) {
            expect(await readAllZxids(log, 0)).toEqual(zxids);
            return;
          }
          for (const s of [snaps[0]!, snaps[snaps.length - 1]!]) {
            expect(await readAllZxids(log, s)).toEqual(zxids.filter((z) => z > s));
          }
          expect((await readLatestSnapshot(dataDir, memoryLogger()))!.zxid).toBe(snaps[snaps.length - 1]);
        };
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              for (let i = 0; i < o.count; i++) {
                log.append(rec(next));
                zxids.push(next);
                next += o.gap;
              }
              await log.flush();
            } else if (o.kind === 'snapshot') {
              // A snapshot may be taken a little behind the log (the server logs ahead of applying).
              const at = Math.max(lastSnap, zxids[Math.max(0, zxids.length - 1 - o.back)] ?? 0);
              if (o.roll) await log.roll();
              await writeSnapshot(dataDir, at, [Buffer.from(String(at))]);
              lastSnap = at;
            } else if (o.kind === 'roll') {
              await log.roll();
            } else {
              const before = await names(dataDir, 'snapshot');
              const logsBefore = await names(logDir, 'log');
              const r = await purge(dataDir, logDir, o.retain);
              const kept = await names(dataDir, 'snapshot');
              expect(kept).toEqual(before.slice(-o.retain));
              if (r.oldestKeptZxid !== null) {
                // Exactly the needed logs remain: at most one file starting at or before the snapshot.
                const logs = await names(logDir, 'log');
                const s = r.oldestKeptZxid;
                const straddling = logsBefore.filter((z) => z <= s).pop();
                const later = logsBefore.filter((z) => z > s);
                expect(logs).toEqual(straddling === undefined ? later : [straddling, ...later]);
              }
              await check();
            }
          }
          await purge(dataDir, logDir, 3);
          await check();
        } finally {
          await log.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});

async function readAllZxids(log: TxnLog, after: number): Promise<number[]> {
  const out: number[] = [];
  for await (const r of log.readFrom(after)) out.push(r.zxid);
  return out;
}

describe('PurgeScheduler', () => {
  it('purges when started and then every interval, one log line per run', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const dir = await tempDir();
    for (const z of [1, 2, 3, 4]) await writeSnapshot(dir, z, [Buffer.from('x')]);
    const logger = memoryLogger();
    const s = new PurgeScheduler({ dataDir: dir, dataLogDir: dir, snapRetainCount: 3, purgeIntervalHours: 2, logger });
    s.start();
    await s.runOnce();
    const runs = () => logger.lines.filter((l) => l.includes('purge:'));
    expect(runs()).toHaveLength(1);
    expect(runs()[0]).toContain('removed 1 snapshot');
    expect(await names(dir, 'snapshot')).toEqual([2, 3, 4]);
    await writeSnapshot(dir, 5, [Buffer.from('x')]);
    vi.advanceTimersByTime(3_600_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(runs()).toHaveLength(1);
    vi.advanceTimersByTime(3_600_000);
    await s.runOnce();
    expect(runs()).toHaveLength(2);
    expect(await names(dir, 'snapshot')).toEqual([3, 4, 5]);
    await s.stop();
    vi.advanceTimersByTime(10 * 3_600_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(runs()).toHaveLength(2);
  });

  it('never purges with purgeInterval 0', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const dir = await tempDir();
    for (const z of [1, 2, 3, 4]) await writeSnapshot(dir, z, [Buffer.from('x')]);
    const logger = memoryLogger();
    const s = new PurgeScheduler({ dataDir: dir, dataLogDir: dir, snapRetainCount: 3, purgeIntervalHours: 0, logger });
    s.start();
    vi.advanceTimersByTime(100 * 3_600_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(logger.lines.some((l) => l.includes('autopurge is off'))).toBe(true);
    expect(await names(dir, 'snapshot')).toEqual([1, 2, 3, 4]);
    await s.stop();
  });

  it('raises a retain count below three to three, with a warning', async () => {
    const dir = await tempDir();
    for (const z of [1, 2, 3, 4, 5]) await writeSnapshot(dir, z, [Buffer.from('x')]);
    const logger = memoryLogger();
    const s = new PurgeScheduler({ dataDir: dir, dataLogDir: dir, snapRetainCount: 1, purgeIntervalHours: 1, logger });
    expect(logger.lines.some((l) => l.includes('WARN') && l.includes('snapRetainCount 1'))).toBe(true);
    await s.runOnce();
    expect(await names(dir, 'snapshot')).toEqual([3, 4, 5]);
  });
});
