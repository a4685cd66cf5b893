// One simulated run of an ensemble: members running the Zab core, clients
// spread over them, and faults — crashes and restarts keeping only what was
// durable (a machine) or what was written (a process), partitions that heal, dropped client connections, slow disks
// and networks, and (when asked for) snapshots members take of their own —
// all drawn from one seed or given as a schedule. The Zab
// invariants are checked after every step (ZabChecker); when the faults are
// over, the ensemble must settle (every member serving the same state) and
// the clients' history must agree with the committed sequence.

import type { Txn } from '../core/txn.js';
import type { MemberConfig, ZabBugs } from '../core/zab/member.js';
import type { ServerId } from '../core/zab/messages.js';
import type { SpecEvent } from '../core/zab/trace.js';
import { QuorumVerifier } from '../core/zab/quorum.js';
import { zxidHex } from '../core/zxid.js';
import { type History, startClients } from './client.js';
import { checkHistory } from './checks.js';
import { ClientNet } from './clientnet.js';
import { VirtualClock } from './clock.js';
import { EnsembleMember, MemberDisk } from './ensemble-member.js';
import { PeerNet } from './peernet.js';
import { Rng } from './rng.js';
import { type Fault, commandLine } from './simulation.js';
import { ZabChecker } from './zab-checks.js';

/**
 * A standalone server's faults, partitions (`isolate` cut off from the
 * other members for `for` ms), and snapshots: `member` takes one of its own
 * as soon as it can (spec: TakeSnapshot), which starts its DIFF window afresh.
 */
export type EnsembleFault =
  | Fault
  | { at: number; kind: 'kill'; member: number; downFor: number }
  | { at: number; kind: 'partition'; isolate: number[]; for: number }
  | { at: number; kind: 'snapshot'; member: number };

export interface EnsembleOptions {
  seed: number;
  /** voters; members 1..voters */
  voters: number;
  /** observers, numbered after the voters */
  observers: number;
  clients: number;
  requests: number;
  inFlight: number;
  faults?: EnsembleFault[];
  bugs?: ZabBugs;
  /** committed transactions members keep for DIFF (small: more SNAP) */
  commitLogCount?: number;
  /** how many faults a seed draws at most (default 5) */
  maxFaults?: number;
  /** how many snapshots of their own members take at most, drawn apart from the other faults (default 0) */
  snapshots?: number;
  /** record the run's trace: every step of the spec, in the order they happened */
  trace?: boolean;
}

export interface EnsembleStats {
  duration: number;
  writesAcked: number;
  writesLost: number;
  reads: number;
  committed: number;
  crashes: number;
  partitions: number;
  elections: number;
  established: number;
  epochs: number;
  /** how often each traced step happened, over all members */
  actions: Record<string, number>;
}

export interface EnsembleResult {
  ok: boolean;
  violations: string[];
  stats: EnsembleStats;
  faults: EnsembleFault[];
  replay: string;
  /** the run's steps of the spec (when asked for) */
  trace?: SpecEvent[];
}

export const defaultEnsemble: Omit<EnsembleOptions, 'seed'> = { voters: 3, observers: 0, clients: 4, requests: 40, inFlight: 2 };

const TICK_TIME = 100;
const TIME_LIMIT = 300_000;
/** how often a member that is to take a snapshot tries, half a tick apart */
const SNAPSHOT_TRIES = 10;
/** how long after the faults and the clients are done the ensemble has to settle */
const SETTLE_LIMIT = 60_000;

export function ensembleFaultsFromSeed(seed: number, opts: Omit<EnsembleOptions, 'seed'>): EnsembleFault[] {
  const rng = new Rng(seed ^ 0x2ab_fa17);
  const n = opts.voters + opts.observers;
  const faults: EnsembleFault[] = [];
  const count = rng.between(1, opts.maxFaults ?? 5);
  for (let i = 0; i < count; i++) {
    const at = rng.between(200, 4000);
    const k = rng.int(10);
    const member = rng.between(1, n);
    if (k < 4) faults.push({ at, kind: 'crash', member, downFor: rng.between(10, 3000) });
    else if (k < 6) {
      const isolate = [member];
      if (n > 3 && rng.chance(0.3)) isolate.push((member % n) + 1);
      faults.push({ at, kind: 'partition', isolate, for: rng.between(100, 3000) });
    } else if (k < 8) faults.push({ at, kind: 'drop', client: rng.int(opts.clients) });
    else if (k < 9) faults.push({ at, kind: 'slowDisk', member, for: rng.between(50, 2000) });
    else faults.push({ at, kind: 'slowNet', for: rng.between(50, 1000) });
  }
  // half the crashes kill the process only (what it wrote stays): decided by a stream of their own,
  // so that a seed's faults are otherwise the same
  const krng = new Rng(seed ^ 0x3c_7a5);
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    if (f.kind === 'crash' && krng.chance(0.5)) faults[i] = { at: f.at, kind: 'kill', member: f.member, downFor: f.downFor };
  }
  // from a stream of their own, so that a seed's other faults are the same with or without them
  if (opts.snapshots) {
    const srng = new Rng(seed ^ 0x5a_a95);
    const snaps = srng.between(1, opts.snapshots);
    for (let i = 0; i < snaps; i++) faults.push({ at: srng.between(200, 4000), kind: 'snapshot', member: srng.between(1, n) });
  }
  return faults.sort((a, b) => a.at - b.at);
}

export function ensembleReplay(opts: EnsembleOptions): string {
  const parts = [
    'node dist/src/sim/main.js --ensemble',
    `--seed ${opts.seed}`,
    `--voters ${opts.voters}`,
    `--observers ${opts.observers}`,
    `--clients ${opts.clients}`,
    `--requests ${opts.requests}`,
    `--in-flight ${opts.inFlight}`,
  ];
  if (opts.commitLogCount !== undefined) parts.push(`--commit-log ${opts.commitLogCount}`);
  if (opts.maxFaults !== undefined) parts.push(`--max-faults ${opts.maxFaults}`);
  if (opts.snapshots !== undefined) parts.push(`--snapshots ${opts.snapshots}`);
  return commandLine(parts, opts);
}

export function simulateEnsemble(opts: EnsembleOptions): EnsembleResult {
  const faults = opts.faults ?? ensembleFaultsFromSeed(opts.seed, opts);
  const rng = new Rng(opts.seed);
  const clock = new VirtualClock();
  const ids: ServerId[] = [];
  for (let i = 1; i <= opts.voters + opts.observers; i++) ids.push(i);
  const voters = ids.slice(0, opts.voters);
  const quorum = new QuorumVerifier(voters, ids.slice(opts.voters));
  let slowNetUntil = 0;
  const delays = () => (clock.now < slowNetUntil ? { min: 5, max: 150 } : { min: 0, max: 3 });
  const clientNet = new ClientNet(clock, rng.fork(), delays);
  const peerNet = new PeerNet(clock, rng.fork(), delays);
  const slowDiskUntil = new Map<ServerId, number>();

  const members = new Map<ServerId, EnsembleMember>();
  const inspect = new Map(
    ids.map((id) => [
      id,
      {
        durableHas: (zxid: number) => {
          const m = members.get(id)!;
          if (m.disk.snapshotZxid >= zxid) return true;
          const d = m.disk.log;
          for (let i = 0; i < d.durableCount; i++) if (d.records[i]!.hdr.zxid === zxid) return true;
          return false;
        },
        appliedZxid: () => members.get(id)!.member?.db.lastZxid ?? null,
        recency: () => {
          const m = members.get(id)!;
          // as the spec's InitVote: what the member started its last election with
          if (m.member) return { epoch: m.member.election.ownVote.peerEpoch, zxid: m.member.election.ownVote.zxid };
          const d = m.disk.log;
          const zxid = d.durableCount > 0 ? d.records[d.durableCount - 1]!.hdr.zxid : m.disk.snapshotZxid;
          return { epoch: m.disk.epochs.currentEpoch, zxid };
        },
        vote: () => {
          const mm = members.get(id)!.member;
          return mm && mm.state !== 'LOOKING' ? mm.vote : null;
        },
      },
    ]),
  );
  const checker = new ZabChecker(quorum, inspect);
  const actions: Record<string, number> = {};
  checker.trace = (_member, action) => {
    actions[action] = (actions[action] ?? 0) + 1;
  };
  const trace: SpecEvent[] | undefined = opts.trace ? [] : undefined;
  if (trace) checker.step = (e) => trace.push(e);
  const config: MemberConfig = {
    myid: 0,
    quorum,
    tickTime: TICK_TIME,
    initLimit: 10,
    syncLimit: 5,
    finalizeWait: 20,
    minNotificationInterval: 50,
    maxNotificationInterval: 800,
    commitLogCount: opts.commitLogCount ?? 1000,
    minSessionTimeout: 2 * TICK_TIME,
    maxSessionTimeout: 20 * TICK_TIME,
    extendedTypesEnabled: false,
    containerCheckIntervalMs: 1000,
    containerMaxPerMinute: 10000,
    // each member starts with a key of its own (on its disk); the leader's reaches the others
    sessionKey: new Uint8Array(32),
    traceSteps: true,
    traceNotes: true,
    ...(opts.bugs ? { bugs: opts.bugs } : {}),
  };
  for (const id of ids) {
    const diskRng = rng.fork();
    const disk = new MemberDisk(clock, diskRng, () => (clock.now < (slowDiskUntil.get(id) ?? 0) ? { min: 20, max: 300 } : { min: 1, max: 6 }));
    const m = new EnsembleMember(id, clock, disk, clientNet, peerNet, { ...config, myid: id }, checker);
    members.set(id, m);
    clientNet.attach(m);
    peerNet.attach(m);
  }
  for (const m of members.values()) m.start();

  const history: History = { writes: [], reads: [], violations: [] };
  const clients = startClients(opts.clients, rng, clock, clientNet, ids, history, {
    requests: opts.requests,
    inFlight: opts.inFlight,
    timeout: 6000,
    start: [100, 400],
    every: [2, 30],
  });

  let crashes = 0;
  let partitions = 0;
  let partitionDepth = 0;
  for (const f of faults) {
    clock.at(f.at, () => {
      switch (f.kind) {
        case 'crash':
        case 'kill': {
          const m = members.get(f.member);
          if (!m?.up) return;
          crashes++;
          m.crash(f.kind === 'kill');
          clock.after(f.downFor, () => m.restart());
          return;
        }
        case 'partition': {
          const isolated = f.isolate.filter((id) => members.has(id));
          if (isolated.length === 0 || partitionDepth > 0) return;
          partitions++;
          partitionDepth++;
          peerNet.partition([isolated, ids.filter((id) => !isolated.includes(id))]);
          clock.after(f.for, () => {
            partitionDepth--;
            peerNet.heal();
          });
          return;
        }
        case 'drop':
          clients[f.client]?.disconnect();
          return;
        case 'slowDisk':
          slowDiskUntil.set(f.member, clock.now + f.for);
          return;
        case 'slowNet':
          slowNetUntil = clock.now + f.for;
          return;
        case 'snapshot': {
          // as soon as the member can: what it delivered may not all be durable yet, or nothing new delivered
          let tries = 0;
          const attempt = (): void => {
            const m = members.get(f.member);
            if (m?.up && !m.takeSnapshot() && ++tries < SNAPSHOT_TRIES) clock.after(TICK_TIME / 2, attempt);
          };
          attempt();
          return;
        }
      }
    });
  }
  const faultsOver = faults.reduce((t, f) => Math.max(t, f.at + ('downFor' in f ? f.downFor : 'for' in f ? f.for : 0)), 0);

  const violations: string[] = [];
  const step = (): boolean => {
    try {
      return clock.step();
    } catch (e) {
      violations.push(`a member crashed on a broken invariant at ${clock.now} ms: ${(e as Error).message}`);
      return false;
    }
  };
  while (violations.length === 0 && clock.now < TIME_LIMIT && (clients.some((c) => c.busy) || clock.now <= faultsOver)) {
    if (!step()) break;
    if (checker.violations.length > 0) break;
  }
  const clientsDone = !clients.some((c) => c.busy);
  // the end: everything heals; the ensemble must settle on one state
  peerNet.heal();
  for (const m of members.values()) if (!m.up) m.restart();
  const settled = (): boolean => {
    const applied = new Set<number>();
    for (const m of members.values()) {
      const mm = m.member;
      if (!mm || !mm.frontend.serving || mm.pending.length > 0) return false;
      applied.add(mm.db.lastZxid);
    }
    return applied.size === 1;
  };
  const settleBy = clock.now + SETTLE_LIMIT;
  while (violations.length === 0 && checker.violations.length === 0 && !settled() && clock.now < settleBy) {
    if (!step()) break;
  }
  violations.push(...checker.violations);
  if (violations.length === 0 && !settled()) {
    const states = [...members.values()].map((m) => {
      const mm = m.member;
      return mm ? `${m.id}: ${mm.state}/${mm.phase} applied ${zxidHex(mm.db.lastZxid)} logged ${zxidHex(mm.lastLogged)}` : `${m.id}: down`;
    });
    violations.push(`the ensemble did not settle within ${SETTLE_LIMIT} ms after the faults: ${states.join('; ')}`);
  }
  if (!clientsDone) violations.push(`clients still busy after ${TIME_LIMIT} ms: no progress`);
  if (violations.length === 0) {
    // every member delivered the whole committed sequence and keeps nothing else in its log
    for (const m of members.values()) {
      if (checker.deliveredCount(m.id) !== checker.global.length) {
        violations.push(`member ${m.id} delivered ${checker.deliveredCount(m.id)} of ${checker.global.length} committed transactions`);
      }
      const committed = new Set(checker.global.map((t: Txn) => t.hdr.zxid));
      for (const t of m.disk.log.records) {
        if (!committed.has(t.hdr.zxid)) violations.push(`member ${m.id} keeps ${zxidHex(t.hdr.zxid)} in its log, which was never committed`);
      }
    }
    violations.push(...checkHistory(checker.global, history));
  }
  const count = (k: string) => history.writes.filter((w) => w.outcome.kind === k).length;
  return {
    ok: violations.length === 0,
    violations,
    faults,
    replay: ensembleReplay(opts),
    ...(trace ? { trace } : {}),
    stats: {
      duration: clock.now,
      writesAcked: count('ok'),
      writesLost: count('lost'),
      reads: history.reads.length,
      committed: checker.global.length,
      crashes,
      partitions,
      elections: checker.elections,
      established: checker.established,
      epochs: checker.leaders.size,
      actions,
    },
  };
}
