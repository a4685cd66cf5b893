// node-zookeeper-client behind promises, for the integration suites: connect
// and wait for the session, every call as a promise rejecting with the
// library's Exception (whose `code` is ZooKeeper's error code), a record of
// the client's state changes, Stat longs as numbers.

import zookeeper from 'node-zookeeper-client';
import type { Stat as WireStat } from '../../src/wire/protocol.js';
import { sleep } from './server.js';

export const { ACL, Id, CreateMode, Permission, State } = zookeeper;
export type Stat = zookeeper.Stat;
export type ZkEvent = zookeeper.Event;
export type OpResult = zookeeper.OpResult;

/** A jute long as a number (zxids, times) or, with `big`, a bigint (session ids). */
export function long(b: Buffer): number {
  return Number(b.readBigInt64BE(0));
}
export function bigLong(b: Buffer): bigint {
  return b.readBigInt64BE(0);
}

/** node-zookeeper-client's Stat with its longs as numbers and the owner as a bigint: the Stat of our codec. */
export type PlainStat = WireStat;

export function plain(s: Stat): PlainStat {
  return {
    czxid: long(s.czxid),
    mzxid: long(s.mzxid),
    pzxid: long(s.pzxid),
    ctime: long(s.ctime),
    mtime: long(s.mtime),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: bigLong(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

export interface NzkOptions {
  sessionTimeout?: number;
  sessionId?: Buffer;
  sessionPassword?: Buffer;
  /** digest and other credentials, added before connecting */
  auth?: Array<[scheme: string, auth: string]>;
  /** how long to wait for the first connection, ms (default 15000) */
  connectTimeoutMs?: number;
}

export class Nzk {
  /** every state the client went through, by name */
  readonly states: string[] = [];

  private constructor(readonly client: zookeeper.Client) {
    client.on('state', (s: zookeeper.State) => this.states.push(s.getName()));
  }

  /** Connects and resolves once the session is established (rejects on expiry or auth failure first). */
  static connect(connectString: string, opts: NzkOptions = {}): Promise<Nzk> {
    const client = zookeeper.createClient(connectString, {
      sessionTimeout: opts.sessionTimeout ?? 10000,
      spinDelay: 100,
      retries: 0,
      ...(opts.sessionId ? { sessionId: opts.sessionId } : {}),
      ...(opts.sessionPassword ? { sessionPassword: opts.sessionPassword } : {}),
    });
    const z = new Nzk(client);
    for (const [scheme, auth] of opts.auth ?? []) client.addAuthInfo(scheme, Buffer.from(auth));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        client.close();
        reject(new Error(`no session within ${opts.connectTimeoutMs ?? 15000} ms (states: ${z.states.join(', ')})`));
      }, opts.connectTimeoutMs ?? 15000);
      const onState = (s: zookeeper.State): void => {
        if (s === State.SYNC_CONNECTED) {
          clearTimeout(timer);
          client.removeListener('state', onState);
          resolve(z);
        } else if (s === State.EXPIRED || s === State.AUTH_FAILED) {
          clearTimeout(timer);
          client.removeListener('state', onState);
          client.close();
          reject(Object.assign(new Error(`session ${s.getName()}`), { state: s.getName() }));
        }
      };
      client.on('state', onState);
      client.connect();
    });
  }

  get sessionId(): bigint {
    return bigLong(this.client.getSessionId());
  }

  /** Resolves when the client reaches state `name` (now or later). */
  waitForState(name: string, timeoutMs = 15000, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return (async () => {
      while (!this.states.slice(from).includes(name)) {
        if (Date.now() > deadline) throw new Error(`state ${name} not reached within ${timeoutMs} ms (states: ${this.states.join(', ')})`);
        await sleep(20);
      }
    })();
  }

  /** closeSession, then waits until the library has dropped the socket. */
  async close(): Promise<void> {
    const cm = this.client.connectionManager;
    if (cm.state === -2 || cm.state === -3 || cm.state === -4) return;
    this.client.close();
    const deadline = Date.now() + 5000;
    while (cm.state !== -2 && Date.now() < deadline) await sleep(10);
  }

  create(path: string, data?: string | Buffer | null, mode: number = CreateMode.PERSISTENT, acl: zookeeper.ACL[] = ACL.OPEN_ACL_UNSAFE): Promise<string> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : (data ?? null);
    return new Promise((resolve, reject) =>
      this.client.create(path, bytes, acl, mode, (e: zookeeper.Exception | null, p: string) => (e ? reject(e) : resolve(p))),
    );
  }

  remove(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.client.remove(path, version, (e) => (e ? reject(e) : resolve())));
  }

  setData(path: string, data: string | Buffer | null, version = -1): Promise<Stat> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => this.client.setData(path, bytes, version, (e, s) => (e ? reject(e) : resolve(s))));
  }

  getData(path: string, watcher?: (e: ZkEvent) => void): Promise<{ data: Buffer | undefined; stat: Stat }> {
    return new Promise((resolve, reject) =>
      this.client.getData(path, watcher, (e, data, stat) => (e ? reject(e) : resolve({ data, stat }))),
    );
  }

  /** The data as text ('' for none). */
  async get(path: string): Promise<string> {
    const { data } = await this.getData(path);
    return data ? data.toString('utf8') : '';
  }

  exists(path: string, watcher?: (e: ZkEvent) => void): Promise<Stat | null> {
    return new Promise((resolve, reject) => this.client.exists(path, watcher, (e, s) => (e ? reject(e) : resolve(s))));
  }

  getChildren(path: string, watcher?: (e: ZkEvent) => void): Promise<{ children: string[]; stat: Stat }> {
    return new Promise((resolve, reject) =>
      this.client.getChildren(path, watcher, (e, children, stat) => (e ? reject(e) : resolve({ children, stat }))),
    );
  }

  async ls(path: string): Promise<string[]> {
    return (await this.getChildren(path)).children.sort();
  }

  getACL(path: string): Promise<{ acl: zookeeper.ACL[]; stat: Stat }> {
    return new Promise((resolve, reject) => this.client.getACL(path, (e, acl, stat) => (e ? reject(e) : resolve({ acl, stat }))));
  }

  setACL(path: string, acl: zookeeper.ACL[], version = -1): Promise<Stat> {
    return new Promise((resolve, reject) => this.client.setACL(path, acl, version, (e, s) => (e ? reject(e) : resolve(s))));
  }

  /**
   * Commits a transaction built by `build`: the results, and the error of
   * the first failed operation (null when all succeeded).
   */
  multi(build: (t: zookeeper.Transaction) => void): Promise<{ error: zookeeper.Exception | null; results: OpResult[] }> {
    const t = this.client.transaction();
    build(t);
    return new Promise((resolve) => t.commit((error, results) => resolve({ error, results })));
  }
}

/** Resolves with the first event a one-shot watcher registered through `register` receives. */
export function oneEvent(): { watcher: (e: ZkEvent) => void; next: (timeoutMs?: number) => Promise<ZkEvent>; events: ZkEvent[] } {
  const events: ZkEvent[] = [];
  return {
    events,
    watcher: (e) => events.push(e),
    next: async (timeoutMs = 10000) => {
      const deadline = Date.now() + timeoutMs;
      while (events.length === 0) {
        if (Date.now() > deadline) throw new Error(`no watch event within ${timeoutMs} ms`);
        await sleep(10);
      }
      return events[0]!;
    },
  };
}
