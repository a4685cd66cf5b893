// One simulated run: members, clients and faults on a virtual clock, all
// drawn from one seed (the faults may also be given, as a schedule that a
// property test generates and shrinks). When the run is over the checks
// judge it; a failed run says how to replay it.

import type { Txn } from '../core/txn.js';
import { type History, startClients } from './client.js';
import { checkHistory } from './checks.js';
import { ClientNet } from './clientnet.js';
import { VirtualClock } from './clock.js';
import { SimDisk } from './disk.js';
import { Rng } from './rng.js';
import { type StandaloneBugs, StandaloneMember } from './standalone-member.js';

export type Fault =
  /** the member loses power and comes back after `downFor` ms */
  | { at: number; kind: 'crash'; member: number; downFor: number }
  /** a client's connection breaks */
  | { at: number; kind: 'drop'; client: number }
  /** the member's disk takes long to sync for `for` ms */
  | { at: number; kind: 'slowDisk'; member: number; for: number }
  /** every message takes long for `for` ms */
  | { at: number; kind: 'slowNet'; for: number };

export interface SimOptions {
  seed: number;
  clients: number;
  /** requests each client issues */
  requests: number;
  /** at most this many of a client's requests outstanding */
  inFlight: number;
  /** the fault schedule; absent: drawn from the seed */
  faults?: Fault[];
  bugs?: StandaloneBugs;
}

export interface SimStats {
  /** virtual ms the run took */
  duration: number;
  writesAcked: number;
  writesFailed: number;
  writesLost: number;
  reads: number;
  crashes: number;
  drops: number;
  sessions: number;
  committed: number;
}

export interface SimResult {
  ok: boolean;
  violations: string[];
  stats: SimStats;
  faults: Fault[];
  /** the command line that replays this run */
  replay: string;
}

const TICK_TIME = 200;
const SESSION_TIMEOUT = 6000;
/** virtual time after which a run stops even if its clients are not done */
const TIME_LIMIT = 600_000;

export const defaultOptions: Omit<SimOptions, 'seed'> = { clients: 4, requests: 60, inFlight: 3 };

/** A fault schedule drawn from a seed: a few faults within the first seconds of the run. */
export function faultsFromSeed(seed: number, opts: Omit<SimOptions, 'seed'>): Fault[] {
  const rng = new Rng(seed ^ 0x5eed_fa17);
  const faults: Fault[] = [];
  const n = rng.between(1, 6);
  for (let i = 0; i < n; i++) {
    const at = rng.between(5, 3000);
    const k = rng.int(10);
    if (k < 4) faults.push({ at, kind: 'crash', member: 1, downFor: rng.between(1, 2000) });
    else if (k < 7) faults.push({ at, kind: 'drop', client: rng.int(opts.clients) });
    else if (k < 9) faults.push({ at, kind: 'slowDisk', member: 1, for: rng.between(50, 2000) });
    else faults.push({ at, kind: 'slowNet', for: rng.between(50, 1000) });
  }
  return faults.sort((a, b) => a.at - b.at);
}

export function replayCommand(opts: SimOptions): string {
  return commandLine(['node dist/src/sim/main.js', `--seed ${opts.seed}`, `--clients ${opts.clients}`, `--requests ${opts.requests}`, `--in-flight ${opts.inFlight}`], opts);
}

/** A replay command: `head`, then the run's own schedule (if given) and injected bugs. */
export function commandLine(head: string[], opts: { faults?: unknown[]; bugs?: object }): string {
  const parts = [...head];
  if (opts.faults) parts.push(`--faults '${JSON.stringify(opts.faults)}'`);
  for (const [bug, on] of Object.entries(opts.bugs ?? {})) if (on) parts.push(`--bug ${bug}`);
  return parts.join(' ');
}

export function simulate(opts: SimOptions): SimResult {
  const faults = opts.faults ?? faultsFromSeed(opts.seed, opts);
  const rng = new Rng(opts.seed);
  const clock = new VirtualClock();
  let slowNetUntil = 0;
  const slowDiskUntil = new Map<number, number>();
  const net = new ClientNet(clock, rng.fork(), () => (clock.now < slowNetUntil ? { min: 5, max: 200 } : { min: 0, max: 2 }));
  const diskRng = rng.fork();
  const disk = new SimDisk<Txn>(clock, diskRng, () =>
    clock.now < (slowDiskUntil.get(1) ?? 0) ? { min: 20, max: 400 } : { min: 1, max: 8 },
  );
  const member = new StandaloneMember(
    1,
    clock,
    disk,
    net,
    {
      tickTime: TICK_TIME,
      minSessionTimeout: 2 * TICK_TIME,
      maxSessionTimeout: 20 * TICK_TIME,
      extendedTypesEnabled: false,
      containerCheckIntervalMs: 1000,
      containerMaxPerMinute: 10000,
      sessionKey: Uint8Array.from({ length: 32 }, () => rng.int(256)),
    },
    opts.bugs,
  );
  net.attach(member);
  member.start();

  const history: History = { writes: [], reads: [], violations: [] };
  const clients = startClients(opts.clients, rng, clock, net, [1], history, {
    requests: opts.requests,
    inFlight: opts.inFlight,
    timeout: SESSION_TIMEOUT,
    start: [0, 20],
    every: [1, 20],
  });

  let crashes = 0;
  let drops = 0;
  for (const f of faults) {
    clock.at(f.at, () => {
      switch (f.kind) {
        case 'crash':
          if (!member.up) return;
          crashes++;
          member.crash();
          clock.after(f.downFor, () => member.restart());
          return;
        case 'drop': {
          const c = clients[f.client];
          if (!c) return;
          drops++;
          c.disconnect();
          return;
        }
        case 'slowDisk':
          slowDiskUntil.set(f.member, clock.now + f.for);
          return;
        case 'slowNet':
          slowNetUntil = clock.now + f.for;
          return;
      }
    });
  }
  const lastFault = faults.reduce((m, f) => Math.max(m, f.at + ('downFor' in f ? f.downFor : 0)), 0);
  while (clock.now < TIME_LIMIT && (clients.some((c) => c.busy) || clock.now <= lastFault)) {
    if (!clock.step()) break;
  }
  const duration = clock.now;
  // the end: power off and on once more, then judge what the disk kept
  member.crash();
  member.restart();
  const committed = member.committed();
  const violations = checkHistory(committed, history);
  if (clients.some((c) => c.busy)) violations.push(`clients still busy after ${TIME_LIMIT} ms of virtual time: the run made no progress`);
  const count = (k: string) => history.writes.filter((w) => w.outcome.kind === k).length;
  const stats: SimStats = {
    duration,
    writesAcked: count('ok'),
    writesFailed: count('failed'),
    writesLost: count('lost'),
    reads: history.reads.length,
    crashes,
    drops,
    sessions: clients.reduce((n, c) => n + c.sessionsMade, 0),
    committed: committed.length,
  };
  return { ok: violations.length === 0, violations, stats, faults, replay: replayCommand(opts) };
}
