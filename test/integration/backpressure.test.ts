// A client that pipelines 1,000 getData of a 1 MB node and reads none of
// the replies must not grow the server without bound, nor hold up other
// clients: the server stops reading that connection while its unsent
// replies are over a bound, and goes on once the client reads. Resident
// memory is sampled all along; the other client's latency is compared with
// a baseline measured in the same test, before the flood.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/client/client.js';
import { FrameDecoder } from '../../src/wire/frame.js';
import { JuteReader, JuteWriter } from '../../src/wire/jute.js';
import { OpCode } from '../../src/wire/protocol.js';
import { encodeConnectRequest, readReplyHeader } from '../../src/wire/records.js';
import { writeRequestFrame } from '../../src/wire/requests.js';
import { TestServer, eventually, reference } from './server.js';

const VALUE = 1_000_000;
const FLOOD = 1000;
const MiB = 1024 * 1024;

let server: TestServer | null = null;
afterAll(async () => {
  await server?.destroy();
});

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Latencies (ms) of `n` getData of a small node, one after the other. */
async function latencies(c: ZkClient, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await c.getData('/small');
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The `cons` line of the connection from local port `port`: how many requests the server received on it. */
async function received(s: TestServer, port: number): Promise<number> {
  const line = (await s.fourLetter('cons')).split('\n').find((l) => l.includes(`:${port}[`));
  const m = line === undefined ? null : /recved=(\d+)/.exec(line);
  if (!m) throw new Error(`no connection from port ${port} in cons`);
  return Number(m[1]);
}

describe.skipIf(reference)('a client that does not read its replies', () => {
  it('holds at most a bounded amount of memory and does not hold up other clients', async () => {
    server = await TestServer.start();
    const pid = server.pid!;
    const setup = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
    await setup.create('/big', new Uint8Array(VALUE).fill(0x61));
    await setup.create('/small', 'x');
    const other = await ZkClient.connect({ connectString: server.connectString, sessionTimeout: 10000 });
    // warm up: the server has encoded one large reply and served the small one
    expect((await other.getData('/big')).data?.length).toBe(VALUE);
    const baseline = await latencies(other, 200);

    // the flooding client: a raw connection that sends everything and then reads nothing
    const sock = net.connect({ host: server.host, port: server.port });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    // replies are checked as they come and dropped: xids in order, each with the whole value
    const decoder = new FrameDecoder(2 * MiB);
    const seen = { frames: 0, problems: [] as string[] };
    let waiting: (() => void) | null = null;
    sock.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (seen.frames > 0) {
          const r = new JuteReader(f);
          const h = readReplyHeader(r);
          const len = r.readBuffer()?.length;
          if (h.xid !== seen.frames || h.err !== 0 || len !== VALUE) seen.problems.push(`reply ${seen.frames}: xid ${h.xid}, err ${h.err}, ${len} bytes`);
        }
        seen.frames++;
      }
      waiting?.();
    });
    const framesReceived = (n: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (seen.frames >= n) {
            waiting = null;
            resolve();
          }
        };
        waiting = check;
        check();
      });
    sock.write(encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0, timeOut: 30000, sessionId: 0n, passwd: new Uint8Array(16) }));
    await framesReceived(1);
    sock.pause();
    const w = new JuteWriter();
    for (let xid = 1; xid <= FLOOD; xid++) writeRequestFrame(w, { xid, type: OpCode.getData }, { type: OpCode.getData, path: '/big', watch: false });

    const before = rss(pid);
    let peak = before;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rss(pid));
      } catch {
        // the server is gone: the test fails below
      }
    }, 10);
    let during: number[];
    let recvedWhileNotReading: number;
    try {
      sock.write(w.finish());
      during = await latencies(other, 200);
      recvedWhileNotReading = await received(server, sock.localPort!);
      peak = Math.max(peak, rss(pid));
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - before;
    process.stderr.write(
      `non-reading client: RSS ${(before / MiB).toFixed(0)} MiB before, peak +${(growth / MiB).toFixed(1)} MiB; ` +
        `server received ${recvedWhileNotReading} of its ${FLOOD + 1} frames; other client getData p50/p99/max ` +
        `${quantile(baseline, 0.5).toFixed(2)}/${quantile(baseline, 0.99).toFixed(2)}/${baseline[baseline.length - 1]!.toFixed(2)} ms before, ` +
        `${quantile(during, 0.5).toFixed(2)}/${quantile(during, 0.99).toFixed(2)}/${during[during.length - 1]!.toFixed(2)} ms during\n`,
    );
    expect(growth).toBeLessThanOrEqual(64 * MiB);
    // the server stopped reading: most of the requests still wait in the sockets
    expect(recvedWhileNotReading).toBeLessThan(FLOOD / 2);
    // the other client was served as usual: no request waited behind the flood
    expect(quantile(during, 0.5)).toBeLessThanOrEqual(5 * quantile(baseline, 0.5) + 5);
    expect(during[during.length - 1]!).toBeLessThan(1000);

    // once the client reads, it gets every reply, in order
    sock.resume();
    await framesReceived(1 + FLOOD);
    expect(seen.problems).toEqual([]);
    await eventually('every request of the flood received', async () => (await received(server!, sock.localPort!)) === FLOOD + 1);
    sock.destroy();
    await other.close();
    await setup.close();
  });

  it('answers everything from clients that pipeline far beyond a small globalOutstandingLimit', async () => {
    const s = await TestServer.start({ settings: { globalOutstandingLimit: 3 } });
    try {
      const clients = await Promise.all([0, 1, 2].map(() => ZkClient.connect({ connectString: s.connectString, sessionTimeout: 10000 })));
      // writes wait for the disk, reads queue behind them: far more than 3 requests are outstanding at once
      const results = await Promise.all(
        clients.flatMap((c, i) =>
          Array.from({ length: 100 }, async (_, j) => {
            const p = `/pipelined-${i}-${j}`;
            await c.create(p, `${i}:${j}`);
            return Buffer.from((await c.getData(p)).data ?? new Uint8Array()).toString() === `${i}:${j}`;
          }),
        ),
      );
      expect(results.filter((ok) => ok)).toHaveLength(300);
      for (const c of clients) await c.close();
    } finally {
      await s.destroy();
    }
  });
});
