// Durability of a real server process: kill -9 under concurrent write load,
// restart on the same dataDir, and every acknowledged write is there with
// its zxid and version, and the sessions with their ephemerals; a torn log
// tail is cut off with a warning; a damaged record in the middle of the log
// stops start-up with an error that names the file.
//
// The log file layout these tests damage (src/server/storage/logformat.ts):
// a 16-byte header, then records at multiples of 16 bytes, each a header
// checksum u32, length u32, zxid u64, the payload, zeros up to 8 bytes before
// the next multiple of 16, a checksum u32 and the end marker "VKRE"; then
// zeros up to the preallocated size.

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/client/client.js';
import { CreateMode, ErrorCode } from '../../src/wire/protocol.js';
import { CreateMode as NzkMode, Nzk, plain } from './nzk.js';
import { TestServer, eventually, reference, repoRoot, sleep } from './server.js';

const servers: TestServer[] = [];
const closers: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of closers.splice(0)) await Promise.resolve(c()).catch(() => undefined);
  for (const s of servers.splice(0)) await s.destroy();
});

async function startServer(settings: Record<string, string | number> = {}): Promise<TestServer> {
  const s = await TestServer.start({ settings });
  servers.push(s);
  return s;
}

async function ours(server: TestServer, timeout = 10000): Promise<ZkClient> {
  const c = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: timeout });
  closers.push(() => c.close());
  return c;
}

// ------------------------------------------------------------ the log files

interface LogRecord {
  offset: number;
  end: number;
  zxid: number;
}

function newestLog(server: TestServer): string {
  const dir = path.join(server.dataDir, 'version-2');
  const logs = readdirSync(dir)
    .filter((n) => /^log\.[0-9a-f]+$/.test(n))
    .sort((a, b) => parseInt(a.slice(4), 16) - parseInt(b.slice(4), 16));
  if (logs.length === 0) throw new Error(`no log file in ${dir}`);
  return path.join(dir, logs[logs.length - 1]!);
}

function snapshots(server: TestServer): string[] {
  return readdirSync(path.join(server.dataDir, 'version-2')).filter((n) => n.startsWith('snapshot.'));
}

function records(file: string): LogRecord[] {
  const b = readFileSync(file);
  const out: LogRecord[] = [];
  let off = 16;
  while (off + 16 <= b.length) {
    const length = b.readUInt32BE(off + 4);
    const zxid = Number(b.readBigUInt64BE(off + 8));
    if (zxid === 0 && length === 0) break;
    const end = off + Math.ceil((16 + length + 8) / 16) * 16;
    out.push({ offset: off, end, zxid });
    off = end;
  }
  return out;
}

// ------------------------------------------------------------ the load

interface NodeState {
  data: string;
  version: number;
  czxid: number;
  mzxid: number;
}

/** What one writer knows of its paths: the acknowledged state and the write whose answer it never got. */
interface Ledger {
  acked: Map<string, NodeState | null>;
  pending: { path: string; kind: 'create' | 'set' | 'delete'; data: string } | null;
  writes: number;
}

interface Writer {
  create(path: string, data: string): Promise<NodeState>;
  set(path: string, data: string, version: number): Promise<NodeState>;
  delete(path: string, version: number): Promise<void>;
}

function ourWriter(c: ZkClient): Writer {
  return {
    create: async (p, data) => {
      const { stat } = await c.create2(p, data);
      return { data, version: stat.version, czxid: stat.czxid, mzxid: stat.mzxid };
    },
    set: async (p, data, version) => {
      const stat = await c.setData(p, data, version);
      return { data, version: stat.version, czxid: stat.czxid, mzxid: stat.mzxid };
    },
    delete: (p, version) => c.delete(p, version),
  };
}

/** node-zookeeper-client: create has no Stat, so a create is followed by nothing else until its Stat is read. */
function nzkWriter(z: Nzk): Writer {
  return {
    create: async (p, data) => {
      await z.create(p, data);
      const s = plain((await z.exists(p))!);
      return { data, version: s.version, czxid: s.czxid, mzxid: s.mzxid };
    },
    set: async (p, data, version) => {
      const s = plain(await z.setData(p, data, version));
      return { data, version: s.version, czxid: s.czxid, mzxid: s.mzxid };
    },
    delete: (p, version) => z.remove(p, version),
  };
}

/** Writes to its own paths until a request fails (the server is gone). */
async function writeUntilFailure(w: Writer, ledger: Ledger, prefix: string, stop: { now: boolean }): Promise<void> {
  const paths = [0, 1, 2, 3].map((i) => `${prefix}-${i}`);
  for (let step = 0; !stop.now; step++) {
    const p = paths[step % paths.length]!;
    const cur = ledger.acked.get(p) ?? null;
    const data = `${prefix}:${step}`;
    try {
      if (cur === null) {
        ledger.pending = { path: p, kind: 'create', data };
        ledger.acked.set(p, await w.create(p, data));
      } else if (step % 9 === 8) {
        ledger.pending = { path: p, kind: 'delete', data: '' };
        await w.delete(p, cur.version);
        ledger.acked.set(p, null);
      } else {
        ledger.pending = { path: p, kind: 'set', data };
        ledger.acked.set(p, await w.set(p, data, cur.version));
      }
      ledger.pending = null;
      ledger.writes++;
    } catch {
      return;
    }
  }
}

/** Why the node at `p` as read now does not fit what its writer was told, or null. */
function mismatch(p: string, now: NodeState | null, acked: NodeState | null, pending: Ledger['pending']): string | null {
  const same = (x: NodeState | null, y: NodeState | null): boolean =>
    x === null || y === null ? x === y : x.data === y.data && x.version === y.version && x.czxid === y.czxid && x.mzxid === y.mzxid;
  if (same(now, acked)) return null;
  if (pending !== null && pending.path === p) {
    // the write in flight when the server died may have been made durable
    if (pending.kind === 'delete' && now === null) return null;
    if (pending.kind === 'create' && acked === null && now !== null && now.data === pending.data && now.version === 0) return null;
    if (pending.kind === 'set' && acked !== null && now !== null && now.data === pending.data && now.version === acked.version + 1 && now.czxid === acked.czxid) {
      return null;
    }
  }
  return `${p}: acknowledged ${JSON.stringify(acked)}, pending ${JSON.stringify(pending)}, found ${JSON.stringify(now)}`;
}

async function readState(c: ZkClient, p: string): Promise<NodeState | null> {
  try {
    const { data, stat } = await c.getData(p);
    return { data: Buffer.from(data ?? new Uint8Array()).toString(), version: stat.version, czxid: stat.czxid, mzxid: stat.mzxid };
  } catch (e) {
    if ((e as { code?: number }).code === ErrorCode.NoNode) return null;
    throw e;
  }
}

describe.skipIf(reference)('durability', () => {
  it('keeps every acknowledged write and every session through kill -9 under load', async () => {
    const server = await startServer({ snapCount: 100 });
    const setup = await ours(server);
    await setup.create('/load');

    const oursClients = await Promise.all([0, 1, 2, 3].map(() => ours(server)));
    const nzkClients = await Promise.all(
      [0, 1].map(async () => {
        const z = await Nzk.connect(server.connectString, { sessionTimeout: 10000 });
        closers.push(() => z.close());
        return z;
      }),
    );
    // each session holds an ephemeral node that must outlive the crash
    for (const [i, c] of oursClients.entries()) await c.create(`/load/eph-ours-${i}`, 'e', { mode: CreateMode.EPHEMERAL });
    for (const [i, z] of nzkClients.entries()) await z.create(`/load/eph-nzk-${i}`, 'e', NzkMode.EPHEMERAL);

    const writers: Array<{ w: Writer; prefix: string }> = [];
    for (const [i, c] of oursClients.entries()) for (const j of [0, 1, 2]) writers.push({ w: ourWriter(c), prefix: `/load/o${i}w${j}` });
    for (const [i, z] of nzkClients.entries()) for (const j of [0, 1]) writers.push({ w: nzkWriter(z), prefix: `/load/n${i}w${j}` });
    const ledgers: Ledger[] = writers.map(() => ({ acked: new Map(), pending: null, writes: 0 }));
    const stop = { now: false };
    const load = Promise.all(writers.map(({ w, prefix }, i) => writeUntilFailure(w, ledgers[i]!, prefix, stop)));

    const total = (): number => ledgers.reduce((n, l) => n + l.writes, 0);
    try {
      await eventually('load with a snapshot taken', () => total() >= 600 && snapshots(server).length > 0, 45000);
      // at a moment that has nothing to do with when the clients got their replies
      await sleep(Math.random() * 30);
    } finally {
      await server.kill();
    }
    stop.now = true;
    await load;
    const acknowledged = total();
    expect(acknowledged).toBeGreaterThanOrEqual(600);

    const mark = server.logMark();
    await server.restart();
    expect(server.logSince(mark)).toMatch(/loaded snapshot .*snapshot\.[0-9a-f]+/);
    expect(server.logSince(mark)).toMatch(/replayed \d+ transactions/);

    const check = await ours(server);
    const problems: string[] = [];
    const zxids = new Set<number>();
    for (const l of ledgers) {
      for (const [p, acked] of l.acked) {
        const m = mismatch(p, await readState(check, p), acked, l.pending);
        if (m !== null) problems.push(m);
        if (acked !== null) zxids.add(acked.mzxid);
      }
    }
    expect(problems).toEqual([]);
    // every acknowledged change of every path had a zxid of its own
    const last = ledgers.reduce((n, l) => n + [...l.acked.values()].filter((v) => v !== null).length, 0);
    expect(zxids.size).toBe(last);
    const srvr = await server.fourLetter('srvr');
    expect(parseInt(/Zxid: 0x([0-9a-f]+)/.exec(srvr)![1]!, 16)).toBeGreaterThanOrEqual(Math.max(...zxids));

    // the sessions survived: each client is back on its own session and owns its ephemeral
    for (const [i, c] of oursClients.entries()) {
      await eventually(`client ${i} reconnected`, () => c.state === 'CONNECTED', 20000);
      expect((await check.exists(`/load/eph-ours-${i}`))?.ephemeralOwner).toBe(c.sessionId);
    }
    for (const [i, z] of nzkClients.entries()) {
      await eventually(`node-zookeeper-client ${i} reconnected`, async () => (await z.exists('/load')) !== null, 20000);
      expect((await check.exists(`/load/eph-nzk-${i}`))?.ephemeralOwner).toBe(z.sessionId);
    }
  });

  it('cuts a torn log tail off with a warning and keeps what came before it', async () => {
    const server = await startServer();
    const c = await ours(server);
    const stats: number[] = [];
    for (let i = 0; i < 10; i++) stats.push((await c.create2(`/torn-${i}`, `v${i}`)).stat.czxid);
    c.destroy();
    await server.kill();

    const file = newestLog(server);
    const recs = records(file);
    const lastRec = recs[recs.length - 1]!;
    expect(lastRec.zxid).toBe(stats[9]);
    // the last record loses its final bytes, as in a write cut short by a crash
    truncateSync(file, lastRec.end - 3);

    const mark = server.logMark();
    await server.restart();
    const warning = await server.waitForLog(/WARN .*torn write/, 5000, mark);
    expect(warning).toContain(file);
    expect(warning).toContain(`0x${stats[8]!.toString(16)}`);

    const d = await ours(server);
    for (let i = 0; i < 9; i++) expect((await d.exists(`/torn-${i}`))?.czxid).toBe(stats[i]);
    expect(await d.exists('/torn-9')).toBeNull();
    // the repaired log takes new writes and keeps them across a clean restart
    const after = (await d.create2('/after-repair', 'x')).stat.czxid;
    expect(after).toBeGreaterThan(stats[8]!);
    await d.close();
    await server.restart();
    const e = await ours(server);
    expect((await e.exists('/after-repair'))?.czxid).toBe(after);
    expect((await e.exists('/torn-8'))?.czxid).toBe(stats[8]);
  });

  it('refuses to start on a damaged record in the middle of the log, naming the file', async () => {
    const server = await startServer();
    const c = await ours(server);
    for (let i = 0; i < 20; i++) await c.create(`/mid-${i}`, `value number ${i}`);
    c.destroy();
    await server.stop();

    const file = newestLog(server);
    const recs = records(file);
    const victim = recs[Math.floor(recs.length / 2)]!;
    const bytes = readFileSync(file);
    bytes[victim.offset + 20]! ^= 0x5a; // in the payload
    writeFileSync(file, bytes);

    const result = await server.launchExpectingExit();
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.output).toMatch(/ERROR/);
    expect(result.output).toContain(file);
    expect(result.output).toContain(`0x${victim.zxid.toString(16)}`);
    expect(result.output).not.toMatch(/started verikeeper/);

    // the damage repaired (the byte put back), the server starts with everything
    bytes[victim.offset + 20]! ^= 0x5a;
    writeFileSync(file, bytes);
    await sleep(10);
    await server.launch();
    const d = await ours(server);
    expect((await d.getChildren('/')).filter((n) => n.startsWith('mid-'))).toHaveLength(20);
  });
  it('refuses to start on a damaged last record, changing nothing; repair-log takes out exactly that zxid and keeps it aside', async () => {
    const server = await startServer();
    const c = await ours(server);
    const czxids: number[] = [];
    for (let i = 0; i < 30; i++) czxids.push((await c.create2(`/last-${i}`, `value number ${i}`)).stat.czxid);
    c.destroy(); // no closeSession: the last record is the last create
    await server.stop();

    const file = newestLog(server);
    const recs = records(file);
    const victim = recs[recs.length - 1]!;
    expect(victim.zxid).toBe(czxids[29]);
    const bytes = readFileSync(file);
    bytes[victim.offset + 20]! ^= 0x01; // one bit of the payload
    writeFileSync(file, bytes);

    const result = await server.launchExpectingExit();
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/ERROR/);
    expect(result.output).toContain(file);
    expect(result.output).toContain(`offset ${victim.offset}`);
    expect(result.output).toContain(`0x${victim.zxid.toString(16)}`);
    expect(result.output).not.toMatch(/torn write/);
    expect(readFileSync(file).equals(bytes)).toBe(true);

    const repair = spawnSync(process.execPath, [path.join(repoRoot, 'dist/src/cli/main.js'), 'repair-log', server.dataDir], { encoding: 'utf8' });
    expect(repair.status, repair.stderr).toBe(0);
    expect(repair.stdout).toContain(`zxids taken out of the log: 0x${victim.zxid.toString(16)} (1 transactions)`);
    const side = `${file}.damaged-at-${victim.offset}`;
    expect(repair.stdout).toContain(side);
    expect(readFileSync(side).equals(bytes.subarray(victim.offset, victim.end))).toBe(true);

    await server.launch();
    const d = await ours(server);
    for (let i = 0; i < 29; i++) expect((await d.exists(`/last-${i}`))?.czxid).toBe(czxids[i]);
    expect(await d.exists('/last-29')).toBeNull();
    expect(server.logSince(0)).not.toMatch(/torn write/);
    // never on a log a server is using
    const busy = spawnSync(process.execPath, [path.join(repoRoot, 'dist/src/cli/main.js'), 'repair-log', server.dataDir], { encoding: 'utf8' });
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain(`in use by process ${server.pid}`);
  });
});
