// The catch-up part of the ensemble benchmark: on a fresh ensemble, one
// follower is stopped (SIGTERM), a number of small transactions (creates
// of distinct znodes, so that a snapshot carries them as much as a log does)
// is committed through the leader, and the follower is started again. From
// its start we poll its `srvr`: when it first answers at all (the process
// listens), when it serves (it has a mode), and when its zxid is the
// leader's (caught up). How it was brought up to date: ours logs it; for
// ZooKeeper, which logs nothing here, a new snapshot file at the leader's
// zxid in the member's dataDir means it was sent a snapshot.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ZkClient } from '../../src/client/client.js';
import { Ensemble, ENSEMBLE_NAMES, type EnsembleKind, type EnsembleMember, type EnsembleSettings, lineTime, parseSrvr } from './ensembles.js';
import { fmt } from './report.js';
import { fourLetterWord } from './servers.js';

export interface CatchUpRecord {
  ensemble: EnsembleKind;
  repeat: number;
  transactions: number;
  /** how fast the transactions were committed, per second */
  writeRate: number;
  stoppedMember: number;
  leader: number;
  leaderZxid: string;
  /** ms from the restart to the first `srvr` answer of any kind */
  answersMs: number;
  /** ms from the restart to a `srvr` answer with a mode */
  servingMs: number;
  /** ms from the restart to a `srvr` answer with the leader's zxid */
  caughtUpMs: number;
  /** DIFF, SNAP or TRUNC as our member logs it; for ZooKeeper inferred from its dataDir */
  sync: string;
  /** snapshot files the member wrote after its restart */
  newSnapshots: string[];
  /** our member's log lines about recovery and synchronisation, with ms from the restart */
  log: Array<{ ms: number; text: string }>;
}

export interface CatchUpPlan {
  transactions: number;
  /** bytes of each created znode */
  valueSize: number;
  /** creates in flight while writing */
  inflight: number;
  settings: EnsembleSettings;
  pollMs: number;
  deadlineMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function snapshots(dataDir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(path.join(dataDir, 'version-2'))).filter((f) => f.startsWith('snapshot.')).sort();
  } catch {
    return [];
  }
}

/** Commits `n` creates through `port`, `inflight` at a time; the rate per second. */
async function commit(port: number, plan: CatchUpPlan): Promise<number> {
  const client = await ZkClient.connect({ connectString: `127.0.0.1:${port}`, sessionTimeout: 30000, reconnect: false });
  try {
    await client.create('/catchup', new Uint8Array(0));
    const data = new Uint8Array(plan.valueSize).fill(0x61);
    let next = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (next < plan.transactions) {
        const i = next++;
        await client.create(`/catchup/t-${String(i).padStart(7, '0')}`, data);
      }
    };
    await Promise.all(Array.from({ length: plan.inflight }, lane));
    return plan.transactions / ((performance.now() - t0) / 1000);
  } finally {
    await client.close();
  }
}

async function catchUpOnce(kind: EnsembleKind, repeat: number, plan: CatchUpPlan): Promise<CatchUpRecord> {
  const e = await Ensemble.start(kind, plan.settings);
  try {
    const leader = await e.settled(30000);
    const follower: EnsembleMember = e.members.find((m) => m.id !== leader)!;
    await follower.stop();
    const writeRate = await commit(e.member(leader).clientPort, plan);
    const leaderZxid = (await e.member(leader).status())?.zxid;
    if (leaderZxid === undefined) throw new Error(`${ENSEMBLE_NAMES[kind]}: the leader stopped serving while the transactions were written:\n${e.logTails()}`);
    const before = new Set(await snapshots(follower.dataDir));
    const mark = follower.mark();
    const wall = Date.now();
    const t0 = performance.now();
    follower.start();
    let answersMs = NaN;
    let servingMs = NaN;
    let caughtUpMs = NaN;
    while (performance.now() - t0 < plan.deadlineMs) {
      if (!follower.running) throw new Error(`${ENSEMBLE_NAMES[kind]}: member ${follower.id} exited while catching up:\n${follower.tail()}`);
      const answer = await fourLetterWord(follower.clientPort, 'srvr', 1000);
      const at = performance.now() - t0;
      if (answer !== '' && Number.isNaN(answersMs)) answersMs = at;
      const status = parseSrvr(answer);
      if (status !== null) {
        if (Number.isNaN(servingMs)) servingMs = at;
        if (status.zxid >= leaderZxid) {
          caughtUpMs = at;
          break;
        }
      }
      await sleep(plan.pollMs);
    }
    if (Number.isNaN(caughtUpMs)) {
      throw new Error(`${ENSEMBLE_NAMES[kind]}: member ${follower.id} did not reach the leader's zxid within ${plan.deadlineMs} ms:\n${follower.tail()}`);
    }
    const zxidName = `snapshot.${leaderZxid.toString(16)}`;
    const newSnapshots = (await snapshots(follower.dataDir)).filter((f) => !before.has(f));
    const log = follower
      .linesSince(mark)
      .filter((l) => /recover|LOOKING|FOLLOWING|synchronis|snapshot|serving clients/.test(l.text))
      .map((l) => ({ ms: lineTime(l) - wall, text: l.text }));
    const logged = log.map((l) => /synchronised by (\w+)/.exec(l.text)?.[1]).find((s) => s !== undefined);
    const sync = logged ?? (newSnapshots.includes(zxidName) ? 'SNAP (inferred)' : newSnapshots.length === 0 ? 'DIFF (inferred)' : 'unknown');
    return {
      ensemble: kind,
      repeat,
      transactions: plan.transactions,
      writeRate,
      stoppedMember: follower.id,
      leader,
      leaderZxid: `0x${leaderZxid.toString(16)}`,
      answersMs,
      servingMs,
      caughtUpMs,
      sync,
      newSnapshots,
      log,
    };
  } finally {
    await e.destroy();
  }
}

/** One catch-up of `kind`, reported as it ends. */
export async function measureCatchUp(kind: EnsembleKind, repeat: number, plan: CatchUpPlan, say: (line: string) => void): Promise<CatchUpRecord> {
  const r = await catchUpOnce(kind, repeat, plan);
  say(
    `${ENSEMBLE_NAMES[kind].padEnd(16)} catch-up ${repeat}: ${r.transactions} transactions written at ${fmt(r.writeRate)}/s; ` +
      `the restarted member answered after ${fmt(r.answersMs)} ms, served after ${fmt(r.servingMs)} ms, ` +
      `had the leader's zxid ${r.leaderZxid} after ${fmt(r.caughtUpMs)} ms (${r.sync})`,
  );
  return r;
}
