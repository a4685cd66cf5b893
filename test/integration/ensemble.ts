// A real ensemble for the integration suites: N members, each a
// `verikeeper start-foreground` process (or, with VERIKEEPER_IT_REFERENCE=1,
// Apache ZooKeeper's QuorumPeerMain) on loopback ports chosen for the test,
// or on an address of its own (a network namespace: see netns.ts), with its
// own dataDir and myid, started together and waited on until every member
// serves. Members are killed, stopped and restarted one by one; the
// leader is found by asking each member's `srvr`.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestServer, eventually, freePort, type Settings } from './server.js';

export interface EnsembleOptions {
  voters: number;
  observers?: number;
  /** zoo.cfg settings for every member (tickTime, initLimit, syncLimit, ...) */
  settings?: Settings;
  /** how long the start may take, ms */
  timeoutMs?: number;
  /** where member `id` runs (default: loopback, ports chosen for the test) */
  place?: (id: number) => MemberPlace;
}

/**
 * A member on an address of its own (a network namespace, say): its client,
 * quorum and election ports are ZooKeeper's usual 2181, 2888 and 3888 there.
 */
export interface MemberPlace {
  host: string;
  /** the command the member's process runs under */
  wrapper?: string[];
}

export type Mode = 'leader' | 'follower' | 'observer';

/** What `srvr` says of a member; null when it does not serve. */
export interface MemberStatus {
  mode: Mode;
  zxid: number;
}

export function parseSrvr(answer: string): MemberStatus | null {
  const mode = /^Mode: (leader|follower|observer)$/m.exec(answer)?.[1] as Mode | undefined;
  const zxid = /^Zxid: 0x([0-9a-f]+)$/m.exec(answer)?.[1];
  if (mode === undefined || zxid === undefined) return null;
  return { mode, zxid: parseInt(zxid, 16) };
}

export class TestEnsemble {
  private constructor(readonly members: TestServer[]) {}

  /**
   * Members 1..N (voters first), started together and serving. Ports are
   * chosen free, then bound by the members: should another process take one
   * in between (the member says it cannot listen), the ensemble is made
   * again on other ports.
   */
  static async start(opts: EnsembleOptions): Promise<TestEnsemble> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestEnsemble.startOnce(opts);
      } catch (e) {
        if (attempt >= 3 || !/cannot listen: .*EADDRINUSE/.test(String((e as Error).message))) throw e;
      }
    }
  }

  private static async startOnce(opts: EnsembleOptions): Promise<TestEnsemble> {
    const n = opts.voters + (opts.observers ?? 0);
    const places: MemberPlace[] = [];
    const ports: Array<{ client: number; quorum: number; election: number }> = [];
    for (let i = 0; i < n; i++) {
      const place = opts.place?.(i + 1);
      places.push(place ?? { host: '127.0.0.1' });
      ports.push(place ? { client: 2181, quorum: 2888, election: 3888 } : { client: await freePort(), quorum: await freePort(), election: await freePort() });
    }
    const servers: Settings = {};
    for (let i = 0; i < n; i++) {
      const p = ports[i]!;
      servers[`server.${i + 1}`] = `${places[i]!.host}:${p.quorum}:${p.election}${i >= opts.voters ? ':observer' : ''}`;
    }
    const members: TestServer[] = [];
    for (let i = 0; i < n; i++) {
      const settings: Settings = {
        tickTime: 200,
        initLimit: 10,
        syncLimit: 5,
        ...(i >= opts.voters ? { peerType: 'observer' } : {}),
        clientPortAddress: places[i]!.host,
        ...opts.settings,
        ...servers,
      };
      const m = TestServer.prepare({ settings, host: places[i]!.host, wrapper: places[i]!.wrapper });
      mkdirSync(m.dataDir, { recursive: true });
      writeFileSync(path.join(m.dataDir, 'myid'), `${i + 1}\n`);
      m.port = ports[i]!.client;
      members.push(m);
    }
    const e = new TestEnsemble(members);
    try {
      await Promise.all(members.map((m) => m.launch(opts.timeoutMs ?? 60000)));
    } catch (err) {
      await e.destroy();
      throw err;
    }
    return e;
  }

  /** Every member's client address, comma-separated, as clients take them. */
  get connectString(): string {
    return this.members.map((m) => m.connectString).join(',');
  }

  member(id: number): TestServer {
    const m = this.members[id - 1];
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  async status(id: number): Promise<MemberStatus | null> {
    const m = this.member(id);
    if (!m.running) return null;
    try {
      return parseSrvr(await m.fourLetter('srvr', 2000));
    } catch {
      return null;
    }
  }

  /**
   * Waits until every running member (but those in `except`) serves and
   * exactly one of them leads: the leader's id.
   */
  async settled(timeoutMs = 30000, except: number[] = []): Promise<number> {
    return eventually(
      'the ensemble settles with one leader',
      async () => {
        let leader: number | null = null;
        for (let id = 1; id <= this.members.length; id++) {
          if (except.includes(id) || !this.member(id).running) continue;
          const s = await this.status(id);
          if (s === null) return false;
          if (s.mode === 'leader') {
            if (leader !== null) return false;
            leader = id;
          }
        }
        return leader ?? false;
      },
      timeoutMs,
    );
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m.destroy()));
  }
}
