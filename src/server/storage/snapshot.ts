// Snapshots: `<dataDir>/version-2/snapshot.<hex zxid>`, the zxid being the
// last transaction the snapshot covers. The content is opaque bytes. Format
// (integers big-endian):
//
//   header (16 bytes)   magic "VKSN", version u32 = 2, zxid u64
//   content             the concatenated chunks
//   trailer (16 bytes)  content length u64, CRC-32 u32 of every byte before
//                       it (header, content, length), magic "VKSE"
//
// A snapshot is written to a temporary file, fsynced, renamed into place and
// the directory fsynced: a crash leaves either no snapshot or a whole one.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createLogger, type Logger } from '../log.js';
import { crc32 } from './crc32.js';
import { StorageCorruptionError, hex } from './errors.js';
import { ensureDir, listDir, listZxidFiles, MAX_ZXID, readFully, removeIfExists, syncDir, versionDir, writeFully, zxidFileName } from './files.js';
import { readU64, writeU64 } from './logformat.js';

export const SNAP_MAGIC = 0x564b534e; // "VKSN"
export const SNAP_END_MAGIC = 0x564b5345; // "VKSE"
export const SNAP_VERSION = 2;
export const SNAP_HEADER_SIZE = 16;
export const SNAP_TRAILER_SIZE = 16;

const ZOOKEEPER_SNAP_MAGIC = 0x5a4b534e; // "ZKSN"
const STAGE_SIZE = 1024 * 1024;
const READ_CHUNK = 8 * 1024 * 1024;
const TEMP_NAME = /^snapshot\.[0-9a-f]+\.[0-9a-z-]+\.tmp$/;

export interface Snapshot {
  zxid: number;
  data: Uint8Array;
  /** The file it was read from. */
  file: string;
}

/** Temporary files being written by this process, which cleaning must leave alone. */
const writing = new Set<string>();
let tempCounter = 0;

/**
 * Writes a snapshot covering transactions up to `zxid` from `chunks` (which
 * may be produced lazily, also asynchronously) and returns its path. The
 * chunks are copied as they arrive, so the producer may reuse its buffers.
 */
export async function writeSnapshot(
  dataDir: string,
  zxid: number,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<string> {
  if (!Number.isSafeInteger(zxid) || zxid < 0 || zxid > MAX_ZXID) throw new RangeError(`invalid zxid ${zxid}`);
  const vdir = versionDir(dataDir);
  await ensureDir(vdir);
  const name = zxidFileName('snapshot', zxid);
  const final = path.join(vdir, name);
  const temp = path.join(vdir, `${name}.${process.pid}-${tempCounter++}.tmp`);
  writing.add(temp);
  let h: fsp.FileHandle | null = null;
  let out: PipelinedWriter | null = null;
  try {
    h = await fsp.open(temp, 'wx');
    const header = Buffer.alloc(SNAP_HEADER_SIZE);
    header.writeUInt32BE(SNAP_MAGIC, 0);
    header.writeUInt32BE(SNAP_VERSION, 4);
    writeU64(header, 8, zxid);
    out = new PipelinedWriter(h);
    let crc = crc32(header);
    await out.put(header);
    let length = 0;
    for await (const chunk of chunks) {
      crc = crc32(chunk, 0, chunk.length, crc);
      length += chunk.length;
      await out.put(chunk);
    }
    const trailer = Buffer.alloc(SNAP_TRAILER_SIZE);
    writeU64(trailer, 0, length);
    crc = crc32(trailer, 0, 8, crc);
    trailer.writeUInt32BE(crc, 8);
    trailer.writeUInt32BE(SNAP_END_MAGIC, 12);
    await out.put(trailer);
    await out.finish();
    await h.sync();
    await h.close();
    h = null;
    await fsp.rename(temp, final);
    await syncDir(vdir);
    return final;
  } catch (e) {
    await out?.settle();
    if (h) await h.close().catch(() => undefined);
    await fsp.unlink(temp).catch(() => undefined);
    throw e;
  } finally {
    writing.delete(temp);
  }
}

/** Copies small pieces into 1 MB stages and keeps one stage's write and fdatasync in flight while the next fills. */
class PipelinedWriter {
  private stages = [Buffer.allocUnsafe(STAGE_SIZE), Buffer.allocUnsafe(STAGE_SIZE)];
  private which = 0;
  private fill = 0;
  private pos = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly h: fsp.FileHandle) {}

  async put(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const stage = this.stages[this.which]!;
      const n = Math.min(data.length - off, stage.length - this.fill);
      stage.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === stage.length) await this.send();
    }
  }

  async finish(): Promise<void> {
    await this.send();
    await this.inFlight;
  }

  /** Waits for the write in flight, ignoring its outcome (after a failure elsewhere). */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }

  private async send(): Promise<void> {
    if (this.fill === 0) return;
    const buf = this.stages[this.which]!.subarray(0, this.fill);
    const at = this.pos;
    this.pos += this.fill;
    // The previous write used the other buffer: wait for it before that buffer is filled again.
    await this.inFlight;
    // Each stage is made durable as it goes: the final fsync then has little
    // left to flush, and the transaction log's fdatasyncs, which share the
    // disk and the file system's journal, never queue behind the whole file.
    const write = writeFully(this.h, [buf], at).then(() => this.h.datasync());
    // Observed now so that a failure is not reported as unhandled; it is rethrown when awaited.
    write.catch(() => undefined);
    this.inFlight = write;
    this.which ^= 1;
    this.fill = 0;
    // Filling a stage (copy and checksum) runs on the event loop: let the
    // requests and fdatasyncs waiting meanwhile go first, so that a snapshot
    // holds them up for one stage at a time, not for the whole file.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The newest snapshot whose checksum verifies, or null when there is no
 * snapshot at all. A newer snapshot that fails verification is skipped with
 * a warning; when snapshots exist but none verifies, StorageCorruptionError.
 * Leftover temporary files of interrupted writes are removed.
 */
export async function readLatestSnapshot(
  dataDir: string,
  logger: Logger = createLogger('snapshot'),
): Promise<Snapshot | null> {
  const vdir = versionDir(dataDir);
  await cleanSnapshotTemps(dataDir, logger);
  const files = await listZxidFiles(vdir, 'snapshot');
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i]!;
    const got = await readSnapshotFile(f.path, f.zxid);
    if (typeof got !== 'string') return { zxid: f.zxid, data: got, file: f.path };
    logger.warn(`${f.path}: ${got}; ${i > 0 ? 'falling back to an older snapshot' : 'no older snapshot left'}`);
  }
  if (files.length > 0) {
    throw new StorageCorruptionError(
      `none of the ${files.length} snapshots in ${vdir} verifies (newest: ${files[files.length - 1]!.name})`,
      vdir,
      0,
      undefined,
      0,
    );
  }
  return null;
}

/** Reads and verifies one snapshot file: its content, or a description of what is wrong with it. */
export async function readSnapshotFile(file: string, zxid: number): Promise<Uint8Array | string> {
  const h = await fsp.open(file, 'r');
  try {
    const size = (await h.stat()).size;
    if (size < SNAP_HEADER_SIZE + SNAP_TRAILER_SIZE) return `file of ${size} bytes is too short to be a snapshot`;
    const header = Buffer.alloc(SNAP_HEADER_SIZE);
    await readFully(h, header, 0, SNAP_HEADER_SIZE, 0);
    const problem = checkSnapshotHeader(header, zxid);
    if (problem) return problem;
    const trailer = Buffer.alloc(SNAP_TRAILER_SIZE);
    await readFully(h, trailer, 0, SNAP_TRAILER_SIZE, size - SNAP_TRAILER_SIZE);
    const length = readU64(trailer, 0);
    if (trailer.readUInt32BE(12) !== SNAP_END_MAGIC || length !== size - SNAP_HEADER_SIZE - SNAP_TRAILER_SIZE) {
      return 'incomplete (its trailer is missing or does not match its size)';
    }
    const data = Buffer.allocUnsafe(length);
    let crc = crc32(header);
    // Read the next chunk while checksumming the one just read.
    let off = 0;
    let reading = readFully(h, data, 0, Math.min(READ_CHUNK, length), SNAP_HEADER_SIZE);
    while (off < length) {
      const got = await reading;
      const n = Math.min(READ_CHUNK, length - off);
      if (got !== n) return 'file changed while it was read';
      const nextOff = off + n;
      if (nextOff < length) {
        reading = readFully(h, data, nextOff, Math.min(READ_CHUNK, length - nextOff), SNAP_HEADER_SIZE + nextOff);
      }
      crc = crc32(data, off, nextOff, crc);
      off = nextOff;
    }
    crc = crc32(trailer, 0, 8, crc);
    if (crc !== trailer.readUInt32BE(8)) return 'checksum mismatch';
    return data;
  } finally {
    await h.close();
  }
}

/** Cheap structural check (header, trailer, size) without reading the content. */
export async function looksComplete(file: string, zxid: number): Promise<boolean> {
  const h = await fsp.open(file, 'r');
  try {
    const size = (await h.stat()).size;
    if (size < SNAP_HEADER_SIZE + SNAP_TRAILER_SIZE) return false;
    const header = Buffer.alloc(SNAP_HEADER_SIZE);
    await readFully(h, header, 0, SNAP_HEADER_SIZE, 0);
    const trailer = Buffer.alloc(SNAP_TRAILER_SIZE);
    await readFully(h, trailer, 0, SNAP_TRAILER_SIZE, size - SNAP_TRAILER_SIZE);
    return (
      checkSnapshotHeader(header, zxid) === null &&
      trailer.readUInt32BE(12) === SNAP_END_MAGIC &&
      readU64(trailer, 0) === size - SNAP_HEADER_SIZE - SNAP_TRAILER_SIZE
    );
  } finally {
    await h.close();
  }
}

function checkSnapshotHeader(header: Buffer, zxid: number): string | null {
  const magic = header.readUInt32BE(0);
  if (magic === ZOOKEEPER_SNAP_MAGIC) return 'this is an Apache ZooKeeper snapshot, not a verikeeper one';
  if (magic !== SNAP_MAGIC) return `bad magic 0x${magic.toString(16).padStart(8, '0')}`;
  const version = header.readUInt32BE(4);
  if (version !== SNAP_VERSION) return `unsupported snapshot format version ${version} (this build reads ${SNAP_VERSION})`;
  const z = readU64(header, 8);
  if (z !== zxid) return `header zxid ${hex(z)} does not match the file name (${hex(zxid)})`;
  return null;
}

/** Removes temporary files left by snapshot writes that never finished; returns their paths. */
export async function cleanSnapshotTemps(dataDir: string, logger?: Logger): Promise<string[]> {
  const vdir = versionDir(dataDir);
  const removed: string[] = [];
  for (const name of await listDir(vdir)) {
    const p = path.join(vdir, name);
    if (!TEMP_NAME.test(name) || writing.has(p)) continue;
    if (!(await removeIfExists(p))) continue;
    removed.push(p);
    logger?.info(`removed ${p}, left by an interrupted snapshot write`);
  }
  return removed;
}
