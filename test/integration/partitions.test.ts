// Network partitions between ensemble members on hosts of their own: each
// of three members runs in its own network namespace (netns.ts), the
// members talk over virtual wires through a switch, and the test cuts and
// mends those wires while clients in the test's namespace, which reach
// every member whatever the cut, keep writing. What must hold:
// - a member cut off from the others serves no writes: a leader gives up
//   leading within syncLimit and refuses clients; a write sent to it alone
//   is never acknowledged;
// - the two members on the other side elect a leader if they need one and
//   go on acknowledging writes;
// - once the wires are mended the cut-off member rejoins as a follower, and
//   then every member holds every acknowledged write and exactly the same
//   nodes (same names, data and mzxids): none keeps a write the others lost.
//
// Needs root and iproute2 (`make debian` installs it); without them the
// suite is skipped and says why.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/client/client.js';
import { TestEnsemble } from './ensemble.js';
import { VirtualNetwork, netnsUnavailable } from './netns.js';
import { Nzk } from './nzk.js';
import { eventually, reference, sleep } from './server.js';

const unavailable = netnsUnavailable();
if (unavailable !== null) console.warn(`partition suite skipped: ${unavailable}`);

const TICK_MS = 200;
const SYNC_LIMIT = 5;
const SETTINGS = { tickTime: TICK_MS, initLimit: 10, syncLimit: SYNC_LIMIT, maxSessionTimeout: 20000 };
/** long enough that no session expires while the ensemble elects */
const SESSION_MS = 12000;
const LOAD = '/load';

interface Lab {
  net: VirtualNetwork;
  e: TestEnsemble;
  /** what the test did when, in the members' log format, to read beside their logs */
  timeline: string[];
  /** the member that led when the ensemble first settled */
  leader: number;
}

function note(l: Lab, what: string): void {
  l.timeline.push(`${new Date().toISOString()} TEST ${what}`);
}

const labs: Lab[] = [];
const closers: Array<() => Promise<void> | void> = [];

afterEach(async (ctx) => {
  for (const c of closers.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  const failed = ctx.task.result?.state === 'fail';
  for (const l of labs.splice(0)) {
    if (failed || process.env.VERIKEEPER_IT_PARTITION_LOGS) keepLogs(ctx.task.name, l, failed);
    await l.e.destroy();
    l.net.destroy();
  }
});

/** The members' logs: into $VERIKEEPER_IT_PARTITION_LOGS/<test>/ when set, and on stderr when the test failed. */
function keepLogs(test: string, { net, e, timeline }: Lab, failed: boolean): void {
  const dir = process.env.VERIKEEPER_IT_PARTITION_LOGS;
  const where = dir ? path.join(dir, test.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80)) : null;
  if (where) {
    mkdirSync(where, { recursive: true });
    writeFileSync(path.join(where, 'test.log'), timeline.join('\n') + '\n');
  }
  if (failed) process.stderr.write(`\n===== the test =====\n${timeline.join('\n')}\n`);
  const cuts = net.cutWires.map(([a, b]) => `${a}-${b}`).join(' ') || 'none';
  for (let id = 1; id <= e.members.length; id++) {
    const log = e.member(id).log();
    if (where) writeFileSync(path.join(where, `member-${id}.log`), log + '\n');
    if (failed) process.stderr.write(`\n===== member ${id} (${net.address(id)}; cuts in force at the end: ${cuts}) =====\n${log}\n`);
  }
}

/** Three members in namespaces of their own, settled with a leader. */
async function lab(): Promise<Lab> {
  const net = VirtualNetwork.create(3);
  let e: TestEnsemble;
  try {
    e = await TestEnsemble.start({
      voters: 3,
      settings: SETTINGS,
      place: (id) => ({ host: net.address(id), wrapper: net.wrapper(id) }),
    });
  } catch (err) {
    net.destroy();
    throw err;
  }
  const l: Lab = { net, e, timeline: [], leader: 0 };
  labs.push(l);
  note(l, `members 1, 2, 3 at ${net.address(1)}, ${net.address(2)}, ${net.address(3)} serve`);
  l.leader = await e.settled();
  note(l, `leader ${l.leader}`);
  return l;
}

async function ours(connectString: string, opts: { reconnect?: boolean } = {}): Promise<ZkClient> {
  const c = await ZkClient.connect({ connectString, sessionTimeout: SESSION_MS, ...opts });
  closers.push(() => c.close());
  return c;
}

async function stock(connectString: string): Promise<Nzk> {
  const c = await Nzk.connect(connectString, { sessionTimeout: SESSION_MS });
  closers.push(() => c.close());
  return c;
}

const others = (id: number): number[] => [1, 2, 3].filter((x) => x !== id);

// ------------------------------------------------------------ the write load

interface Write {
  path: string;
  writer: string;
  /** what the test was doing when the write was sent */
  phase: string;
  sentAt: number;
  doneAt: number | null;
  outcome: 'pending' | 'acked' | 'failed';
  error?: string;
}

/**
 * Writers that each create /load/<writer>-<n>, n = 0, 1, …, one at a time,
 * with the name as data: a write is acknowledged when its create returns.
 * A failed create is not retried (its fate is unknown to the client); the
 * next one gets a new name.
 */
class WriteLoad {
  readonly writes: Write[] = [];
  private phase = 'before';
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];

  constructor(private readonly note: (what: string) => void) {}

  /** Labels the writes sent from now on. */
  enter(phase: string): void {
    this.phase = phase;
    this.note(`load: ${phase}`);
  }

  add(writer: string, create: (path: string, data: string) => Promise<unknown>): void {
    this.loops.push(
      (async () => {
        for (let n = 0; !this.stopped; n++) {
          const w: Write = { path: `${LOAD}/${writer}-${n}`, writer, phase: this.phase, sentAt: Date.now(), doneAt: null, outcome: 'pending' };
          this.writes.push(w);
          try {
            await create(w.path, w.path);
            w.outcome = 'acked';
          } catch (err) {
            w.outcome = 'failed';
            w.error = String((err as Error).message ?? err);
          }
          w.doneAt = Date.now();
          // a failed create comes back at once while the client has no server: do not spin
          if (w.outcome === 'failed') await sleep(20);
        }
      })(),
    );
  }

  get acked(): Write[] {
    return this.writes.filter((w) => w.outcome === 'acked');
  }

  /** Waits until `more` writes beyond those acknowledged now are acknowledged. */
  async progress(more: number, what: string, timeoutMs = 20000): Promise<void> {
    const target = this.acked.length + more;
    await eventually(`${more} more acknowledged writes ${what}`, () => this.acked.length >= target || undefined, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}; ${this.summary()}`);
    });
    this.note(`load: ${this.acked.length} writes acknowledged, ${more} of them ${what}`);
  }

  summary(): string {
    const by = new Map<string, { acked: number; failed: number; pending: number }>();
    for (const w of this.writes) {
      const k = `${w.writer}/${w.phase}`;
      const s = by.get(k) ?? { acked: 0, failed: 0, pending: 0 };
      s[w.outcome]++;
      by.set(k, s);
    }
    return [...by].map(([k, s]) => `${k}: ${s.acked} acked, ${s.failed} failed, ${s.pending} pending`).join('; ');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.note(`load stopped: ${this.summary()}`);
  }
}

/** Stock and our own client, both given every member: the load of every test. */
async function startLoad(l: Lab): Promise<WriteLoad> {
  const e = l.e;
  const setup = await ours(e.connectString);
  await setup.create(LOAD);
  const load = new WriteLoad((what) => note(l, what));
  const z = await stock(e.connectString);
  load.add('stock', (p, d) => z.create(p, d));
  const o = await ours(e.connectString);
  load.add('ours', (p, d) => o.create(p, d));
  return load;
}

// ------------------------------------------------------------ what the members hold

interface Holding {
  /** name → "mzxid data" */
  nodes: Map<string, string>;
  parent: { cversion: number; pzxid: number; numChildren: number };
}

/** Everything under /load at member `id`, read through the member alone after a sync. */
async function holding(e: TestEnsemble, id: number): Promise<Holding> {
  // (this session's creation and closing are transactions: the zxids are compared before, not here)
  const c = await ZkClient.connect({ connectString: e.member(id).connectString, sessionTimeout: SESSION_MS, reconnect: false });
  try {
    await c.sync(LOAD);
    const { children, stat } = await c.getChildren2(LOAD);
    const nodes = new Map<string, string>();
    for (const name of children.sort()) {
      const { data, stat: s } = await c.getData(`${LOAD}/${name}`);
      nodes.set(name, `0x${s.mzxid.toString(16)} ${data === null ? '' : Buffer.from(data).toString('utf8')}`);
    }
    return { nodes, parent: { cversion: stat.cversion, pzxid: stat.pzxid, numChildren: stat.numChildren } };
  } finally {
    await c.close();
  }
}

/**
 * Stops the load and checks the end state: every acknowledged write is on
 * every member with its data; every member holds the same nodes with the
 * same mzxids (and /load the same cversion and pzxid) and the same last
 * zxid; nothing is there that no client sent; `absent` names are nowhere.
 */
async function expectAgreement(e: TestEnsemble, load: WriteLoad, absent: string[] = []): Promise<void> {
  await load.stop();
  const held = new Map<number, Holding>();
  // once the load has stopped the members' last zxids come together
  await eventually(
    'every member reports the same zxid',
    async () => {
      const z = await Promise.all([1, 2, 3].map((id) => e.status(id)));
      return z.every((s) => s !== null && s.zxid === z[0]!.zxid) || undefined;
    },
    15000,
  );
  for (const id of [1, 2, 3]) held.set(id, await holding(e, id));
  const sent = new Set(load.writes.map((w) => w.path.slice(LOAD.length + 1)));
  for (const [id, h] of held) {
    const missing = load.acked.filter((w) => h.nodes.get(w.path.slice(LOAD.length + 1)) === undefined).map((w) => `${w.path} (${w.phase})`);
    expect(missing, `acknowledged writes missing at member ${id}`).toEqual([]);
    const wrongData = load.acked.filter((w) => !h.nodes.get(w.path.slice(LOAD.length + 1))!.endsWith(` ${w.path}`)).map((w) => w.path);
    expect(wrongData, `acknowledged writes with other data at member ${id}`).toEqual([]);
    const unknown = [...h.nodes.keys()].filter((n) => !sent.has(n) && !absent.includes(n));
    expect(unknown, `nodes no client sent, at member ${id}`).toEqual([]);
    const kept = absent.filter((n) => h.nodes.has(n));
    expect(kept, `nodes that must be nowhere, at member ${id}`).toEqual([]);
  }
  const [first, ...rest] = [1, 2, 3].map((id) => ({ id, h: held.get(id)! }));
  for (const { id, h } of rest) {
    const onlyHere = [...h.nodes.keys()].filter((n) => !first!.h.nodes.has(n));
    const onlyThere = [...first!.h.nodes.keys()].filter((n) => !h.nodes.has(n));
    const differ = [...h.nodes].filter(([n, v]) => first!.h.nodes.has(n) && first!.h.nodes.get(n) !== v).map(([n, v]) => `${n}: ${v} vs ${first!.h.nodes.get(n)}`);
    expect({ onlyHere, onlyThere, differ }, `member ${id} against member ${first!.id}`).toEqual({ onlyHere: [], onlyThere: [], differ: [] });
    expect(h.parent, `${LOAD} at member ${id} against member ${first!.id}`).toEqual(first!.h.parent);
  }
}

// ------------------------------------------------------------ waiting on members

/** Waits until member `id` answers srvr as not serving: the time that took. */
async function stopsServing(e: TestEnsemble, id: number, since: number, timeoutMs = 15000): Promise<number> {
  await eventually(`member ${id} stops serving`, async () => (await e.status(id)) === null || undefined, timeoutMs);
  return Date.now() - since;
}

/**
 * Waits until member `id` serves as a follower of a settled ensemble, and
 * (against verikeeper) until it has logged how it was synchronised since
 * log mark `mark`: the leader.
 */
async function rejoins(e: TestEnsemble, id: number, mark: number, timeoutMs = 30000): Promise<number> {
  const leader = await eventually(
    `member ${id} rejoins as a follower`,
    async () => ((await e.status(id))?.mode === 'follower' ? e.settled(2000) : undefined),
    timeoutMs,
  );
  expect(leader).not.toBe(id);
  if (!reference) await e.member(id).waitForLog(/FOLLOWING in epoch \d+, leader \d+, synchronised by (DIFF|TRUNC|SNAP)/, 5000, mark);
  return leader;
}

/** The time of a log line (its leading ISO timestamp), ms since the epoch. */
function loggedAt(line: string): number {
  return Date.parse(line.slice(0, line.indexOf(' ')));
}

/** Log marks of every member, to read what each logged after a point. */
function marks(e: TestEnsemble): number[] {
  return e.members.map((m) => m.logMark());
}

/** "member N leads the majority", and how long after the cut it was found leading (and, by its log, began to serve). */
async function newLeader(e: TestEnsemble, id: number, mark: number, cutAt: number): Promise<string> {
  const found = Date.now() - cutAt;
  if (reference) return `member ${id} leads the majority (found ${found} ms after the cut)`;
  const serving = loggedAt(await e.member(id).waitForLog(/LEADING in epoch \d+: serving clients/, 5000, mark)) - cutAt;
  return `member ${id} leads the majority (found ${found} ms after the cut; serving since ${serving} ms after it, by its log)`;
}

const SYNC_LIMIT_MS = SYNC_LIMIT * TICK_MS;

/** Cuts member `id` off from the others: the time the cut was complete. */
async function isolate(l: Lab, id: number, role: string): Promise<number> {
  const start = Date.now();
  await l.net.isolate(id);
  const done = Date.now();
  note(l, `cut ${role} ${id} off from ${others(id).join(' and ')} (the cuts took ${done - start} ms)`);
  return done;
}

/** Mends every wire (the load's writes labelled `phase` from then on) and waits until member `id` follows again: the leader. */
async function healAndRejoin(l: Lab, load: WriteLoad, id: number, phase: string): Promise<number> {
  load.enter(phase);
  const mark = l.e.member(id).logMark();
  const start = Date.now();
  await l.net.healAll();
  const healedAt = Date.now();
  note(l, `healed (in ${healedAt - start} ms)`);
  const leader = await rejoins(l.e, id, mark);
  note(l, `member ${id} follows ${leader} again (${Date.now() - healedAt} ms after healing)`);
  return leader;
}

describe.skipIf(unavailable !== null)(`partitions between members in network namespaces${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('an isolated leader stops serving writes, the other two elect and go on, and after healing every member holds the same writes', async () => {
    const l = await lab();
    const { e, leader } = l;
    const load = await startLoad(l);
    await load.progress(30, 'before the cut');

    // a client of the old leader alone, connected before the cut
    const lone = await ours(e.member(leader).connectString, { reconnect: false });
    const before = marks(e);
    load.enter('cut');
    const cutAt = await isolate(l, leader, 'leader');
    const loneWrite = lone.create(`${LOAD}/lone`, 'lone').then(
      () => 'acknowledged',
      (err: Error) => `failed: ${err.message}`,
    );

    // the old leader gives up within syncLimit
    const gaveUpAfter = await stopsServing(e, leader, cutAt);
    note(l, `member ${leader} no longer serves (${gaveUpAfter} ms after the cut)`);
    // (srvr is polled, and the machine may be busy: the bounds leave room beyond syncLimit)
    expect(gaveUpAfter).toBeLessThan(SYNC_LIMIT_MS + 2000);
    if (!reference) {
      const line = await e.member(leader).waitForLog(/LOOKING: looking for a leader/, 5000, before[leader - 1]!);
      expect(loggedAt(line) - cutAt).toBeLessThan(SYNC_LIMIT_MS + 1000);
    }

    // the two others elect one of them
    const next = await e.settled(20000, [leader]);
    note(l, await newLeader(e, next, before[next - 1]!, cutAt));
    expect(next).not.toBe(leader);

    // the write sent to the old leader alone failed, and it refuses clients
    const lone_ = await loneWrite;
    note(l, `the write sent to member ${leader} alone: ${lone_}`);
    expect(lone_).toMatch(/^failed/);
    await expect(ZkClient.connect({ connectString: e.member(leader).connectString, sessionTimeout: 4000, connectTimeout: 1500 })).rejects.toThrow();

    // acknowledged writes go on
    await load.progress(30, 'with the old leader cut off');
    expect(await e.status(leader), 'the cut-off member serves').toBeNull();

    expect(await healAndRejoin(l, load, leader, 'healed')).toBe(next);
    await load.progress(20, 'after healing');
    await expectAgreement(e, load, ['lone']);
  });

  it('an isolated follower leaves the majority writing without interruption, and catches up after healing', async () => {
    const l = await lab();
    const { e, leader } = l;
    const [cutOff, other] = others(leader) as [number, number];
    const load = await startLoad(l);
    // a writer that only knows the majority's members: it must never notice the cut
    const majority = await ours(`${e.member(leader).connectString},${e.member(other).connectString}`);
    load.add('majority', (p, d) => majority.create(p, d));
    await load.progress(30, 'before the cut');

    const leaderMark = e.member(leader).logMark();
    load.enter('cut');
    const cutAt = await isolate(l, cutOff, 'follower');
    const gaveUpAfter = await stopsServing(e, cutOff, cutAt);
    note(l, `member ${cutOff} no longer serves (${gaveUpAfter} ms after the cut)`);
    await load.progress(40, 'with a follower cut off');
    expect(await e.status(cutOff), 'the cut-off member serves').toBeNull();
    expect((await e.status(leader))?.mode).toBe('leader');
    if (!reference) expect(e.member(leader).logSince(leaderMark)).not.toMatch(/LOOKING/);

    expect(await healAndRejoin(l, load, cutOff, 'healed')).toBe(leader);
    await load.progress(20, 'after healing');
    await expectAgreement(e, load);

    const mine = load.writes.filter((w) => w.writer === 'majority');
    expect(mine.filter((w) => w.outcome !== 'acked').map((w) => `${w.path}: ${w.error ?? w.outcome}`), 'failed writes of the majority-only writer').toEqual([]);
    const slowest = Math.max(...mine.filter((w) => w.phase === 'cut').map((w) => w.doneAt! - w.sentAt));
    note(l, `the slowest write of the majority-only writer during the cut took ${slowest} ms`);
    // the leader commits with the other follower's ack: it never waits for the cut one
    expect(slowest).toBeLessThan(SYNC_LIMIT_MS);
  });

  it('splits one member off again and again under load, the leader or a follower, and ends with every member in agreement', async () => {
    const l = await lab();
    const { e } = l;
    let leader = l.leader;
    const load = await startLoad(l);
    await load.progress(20, 'before the first cut');
    // the leader, then a follower, then the (new) leader again
    for (const [cycle, pick] of (['leader', 'follower', 'leader'] as const).entries()) {
      const victim = pick === 'leader' ? leader : others(leader)[cycle % 2]!;
      load.enter(`cut ${cycle + 1} (${pick} ${victim})`);
      const before = marks(e);
      const cutAt = await isolate(l, victim, pick);
      await stopsServing(e, victim, cutAt);
      const now = await e.settled(20000, [victim]);
      note(l, `member ${victim} no longer serves; ${pick === 'leader' ? await newLeader(e, now, before[now - 1]!, cutAt) : `member ${now} still leads`}`);
      if (pick === 'follower') expect(now).toBe(leader);
      else expect(now).not.toBe(victim);
      await load.progress(15, `while ${pick} ${victim} is cut off`);
      expect(await e.status(victim), 'the cut-off member serves').toBeNull();

      leader = await healAndRejoin(l, load, victim, `healed ${cycle + 1}`);
      expect(leader).toBe(now);
      await load.progress(15, `after healing cut ${cycle + 1}`);
    }
    await expectAgreement(e, load);
  });
});
