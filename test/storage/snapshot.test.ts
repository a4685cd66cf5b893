import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/server/log.js';
import { StorageCorruptionError } from '../../src/server/storage/errors.js';
import { cleanSnapshotTemps, readLatestSnapshot, writeSnapshot } from '../../src/server/storage/snapshot.js';
import { flipBit, payloadFor, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

function concat(chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}

async function snapshotNames(dir: string): Promise<string[]> {
  return (await fsp.readdir(path.join(dir, 'version-2'))).sort();
}

describe('snapshots', () => {
  it('reads back the content written, however it was chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 3_000_000 })), { maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2 ** 40 }),
        async (sizes, async, zxid) => {
          const dir = await tempDir();
          const chunks = sizes.map((n, i) => payloadFor(i + 1, n));
          const source = async
            ? (async function* () {
                for (const c of chunks) yield c;
              })()
            : chunks;
          const file = await writeSnapshot(dir, zxid, source);
          expect(path.basename(file)).toBe(`snapshot.${zxid.toString(16)}`);
          const snap = await readLatestSnapshot(dir, memoryLogger());
          expect(snap).not.toBeNull();
          expect(snap!.zxid).toBe(zxid);
          expect(snap!.file).toBe(file);
          expect(Buffer.from(snap!.data).equals(concat(chunks))).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('copies chunks as they arrive, so a producer may reuse its buffer', async () => {
    const dir = await tempDir();
    const buf = new Uint8Array(1000);
    function* reuse() {
      for (let i = 0; i < 10; i++) {
        buf.fill(i + 1);
        yield buf;
      }
    }
    await writeSnapshot(dir, 7, reuse());
    const snap = await readLatestSnapshot(dir, memoryLogger());
    for (let i = 0; i < 10; i++) expect(snap!.data[i * 1000 + 500]).toBe(i + 1);
  });

  it('returns the newest of several snapshots, and null when there are none', async () => {
    const dir = await tempDir();
    expect(await readLatestSnapshot(dir, memoryLogger())).toBeNull();
    for (const z of [5, 0x100, 0x20]) await writeSnapshot(dir, z, [Buffer.from(`at ${z}`)]);
    const snap = await readLatestSnapshot(dir, memoryLogger());
    expect(snap!.zxid).toBe(0x100);
    expect(Buffer.from(snap!.data).toString()).toBe('at 256');
  });

  it('leaves nothing visible when the producer fails midway', async () => {
    const dir = await tempDir();
    await writeSnapshot(dir, 1, [Buffer.from('old')]);
    function* failing() {
      yield new Uint8Array(10_000_000);
      throw new Error('serialisation failed');
    }
    await expect(writeSnapshot(dir, 2, failing())).rejects.toThrow('serialisation failed');
    expect(await snapshotNames(dir)).toEqual(['snapshot.1']);
    expect((await readLatestSnapshot(dir, memoryLogger()))!.zxid).toBe(1);
  });

  it('ignores and removes a temporary file left by an interrupted write', async () => {
    const dir = await tempDir();
    await writeSnapshot(dir, 3, [Buffer.from('good')]);
    const leftover = path.join(dir, 'version-2', 'snapshot.9.4242-0.tmp');
    await fsp.writeFile(leftover, Buffer.alloc(100, 1));
    const logger = memoryLogger();
    const snap = await readLatestSnapshot(dir, logger);
    expect(snap!.zxid).toBe(3);
    await expect(fsp.access(leftover)).rejects.toThrow();
    expect(logger.lines.some((l) => l.includes(leftover))).toBe(true);
    expect(await cleanSnapshotTemps(dir)).toEqual([]);
  });

  it('does not remove the temporary file of a write in progress', async () => {
    const dir = await tempDir();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield new Uint8Array(10);
      await gate;
      yield new Uint8Array(10);
    }
    const writing = writeSnapshot(dir, 4, slow());
    await new Promise((r) => setTimeout(r, 50));
    expect((await snapshotNames(dir)).some((n) => n.endsWith('.tmp'))).toBe(true);
    expect(await cleanSnapshotTemps(dir)).toEqual([]);
    release();
    await writing;
    expect(await snapshotNames(dir)).toEqual(['snapshot.4']);
  });

  it('falls back to an older snapshot when the newest fails verification', async () => {
    const damage: [string, (file: string) => Promise<void>][] = [
      ['a flipped bit', (f) => flipBit(f, 40, 2)],
      ['a cut-off end', (f) => fsp.truncate(f, 60)],
      ['a wrong zxid in the header', (f) => flipBit(f, 15, 0)],
      ['an empty file', (f) => fsp.truncate(f, 0)],
      ['format version 1 (CRC-32C)', (f) => flipBit(f, 7, 1).then(() => flipBit(f, 7, 0))],
    ];
    for (const [what, spoil] of damage) {
      const dir = await tempDir();
      await writeSnapshot(dir, 10, [payloadFor(10, 100)]);
      const newest = await writeSnapshot(dir, 20, [payloadFor(20, 100)]);
      await spoil(newest);
      const logger = memoryLogger();
      const snap = await readLatestSnapshot(dir, logger);
      expect(snap!.zxid, what).toBe(10);
      expect(Buffer.from(snap!.data).equals(Buffer.from(payloadFor(10, 100)))).toBe(true);
      const warnings = logger.lines.filter((l) => l.includes('WARN'));
      expect(warnings, what).toHaveLength(1);
      expect(warnings[0]).toContain(newest);
    }
  });

  it('refuses to start from nothing when snapshots exist but none verifies', async () => {
    const dir = await tempDir();
    const a = await writeSnapshot(dir, 10, [payloadFor(1, 100)]);
    const b = await writeSnapshot(dir, 20, [payloadFor(2, 100)]);
    await flipBit(a, 50, 1);
    await flipBit(b, 50, 1);
    await expect(readLatestSnapshot(dir, memoryLogger())).rejects.toBeInstanceOf(StorageCorruptionError);
  });
});
