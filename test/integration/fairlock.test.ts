// The seeds' fair lock against a real server, written with
// node-zookeeper-client: each contender creates an ephemeral sequential
// child of the lock node and waits for the child just below its own to go
// (an exists watch on its predecessor). Several sessions contend; inside the
// critical section each reads and increments a shared counter.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMode, Nzk, type ZkEvent } from './nzk.js';
import { TestServer, sleep } from './server.js';

const LOCK = '/fair-lock';
const COUNTER = '/fair-counter';

let server: TestServer;
let admin: Nzk;

beforeAll(async () => {
  server = await TestServer.start();
  admin = await Nzk.connect(server.connectString);
  await admin.create(LOCK);
  await admin.create(COUNTER, '0');
});

afterAll(async () => {
  await admin?.close();
  await server?.destroy();
});

const seqOf = (name: string): number => Number(name.slice(name.lastIndexOf('-') + 1));

class FairLock {
  private mine: string | null = null;

  constructor(
    private readonly z: Nzk,
    private readonly dir: string,
  ) {}

  /** Resolves with this contender's sequence number once it holds the lock. */
  async acquire(): Promise<number> {
    const path = await this.z.create(`${this.dir}/lock-`, null, CreateMode.EPHEMERAL_SEQUENTIAL);
    this.mine = path;
    const name = path.slice(this.dir.length + 1);
    for (;;) {
      const children = (await this.z.ls(this.dir)).sort((a, b) => seqOf(a) - seqOf(b));
      const i = children.indexOf(name);
      if (i < 0) throw new Error(`${path} is gone`);
      if (i === 0) return seqOf(name);
      const predecessor = `${this.dir}/${children[i - 1]}`;
      let fired!: () => void;
      const gone = new Promise<void>((r) => (fired = r));
      const stat = await this.z.exists(predecessor, (_e: ZkEvent) => fired());
      // gone between the listing and the watch: look again at once
      if (stat !== null) await gone;
    }
  }

  async release(): Promise<void> {
    if (this.mine === null) throw new Error('not held');
    const p = this.mine;
    this.mine = null;
    await this.z.remove(p);
  }
}

describe('fair lock (ephemeral sequential children, each waiting on its predecessor)', () => {
  it('six sessions: mutual exclusion, FIFO by sequence number, no lost increment', async () => {
    const CLIENTS = 6;
    const ROUNDS = 4;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => Nzk.connect(server.connectString)));
    let holder: number | null = null;
    const overlaps: string[] = [];
    const acquisitions: number[] = [];
    const intervals: Array<[number, number]> = [];
    try {
      await Promise.all(
        clients.map(async (z, id) => {
          const lock = new FairLock(z, LOCK);
          for (let r = 0; r < ROUNDS; r++) {
            const seq = await lock.acquire();
            if (holder !== null) overlaps.push(`client ${id} entered while client ${holder} held the lock`);
            holder = id;
            const entered = performance.now();
            acquisitions.push(seq);
            // read, wait, write: a second holder would make an increment get lost
            const value = Number(await z.get(COUNTER));
            await sleep(5 + Math.floor(Math.random() * 10));
            await z.setData(COUNTER, String(value + 1));
            intervals.push([entered, performance.now()]);
            holder = null;
            await lock.release();
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((z) => z.close()));
    }
    expect(overlaps).toEqual([]);
    intervals.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]![0]).toBeGreaterThanOrEqual(intervals[i - 1]![1]);
    expect(acquisitions).toHaveLength(CLIENTS * ROUNDS);
    expect(acquisitions).toEqual([...acquisitions].sort((a, b) => a - b));
    expect(await admin.get(COUNTER)).toBe(String(CLIENTS * ROUNDS));
    expect(await admin.ls(LOCK)).toEqual([]);
  });

  it('passes the lock on when its holder session ends without releasing it', async () => {
    const dir = `${LOCK}-crash`;
    await admin.create(dir);
    const holderClient = await Nzk.connect(server.connectString);
    const waiters = await Promise.all([0, 1].map(() => Nzk.connect(server.connectString)));
    try {
      const first = await new FairLock(holderClient, dir).acquire();
      const order: number[] = [];
      const waiting = waiters.map(async (z) => {
        const lock = new FairLock(z, dir);
        order.push(await lock.acquire());
        await lock.release();
      });
      await sleep(300);
      expect(order).toEqual([]);
      // the holder's session closes: its ephemeral child goes, the next in line gets the lock
      await holderClient.close();
      await Promise.all(waiting);
      expect(order).toHaveLength(2);
      expect(order[0]).toBeGreaterThan(first);
      expect(order[1]).toBeGreaterThan(order[0]!);
    } finally {
      await Promise.all(waiters.map((z) => z.close()));
    }
  });
});
