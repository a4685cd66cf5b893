// The re-election part of the ensemble benchmark: the leader of a serving
// ensemble is killed with SIGKILL, again and again. For each kill:
//
// - a write probe (bench/lib/write-probe.ts) on each surviving member,
//   its session opened and one write acknowledged before the kill, retries
//   a small write from the moment of the kill until one is acknowledged:
//   the first acknowledgement at either survivor is when a new leader serves
//   writes; the later one, when both survivors take writes again;
// - every survivor's `srvr` is polled meanwhile: when one first says
//   "Mode: leader";
// - for our members, which log elections at level info: when each survivor
//   logged that it went looking, and when the new leader and the follower
//   logged that they serve (with the election time each reports itself);
// - then the killed member is started again, and the next kill waits until
//   it serves and the ensemble has one leader.

import { Ensemble, ENSEMBLE_NAMES, type EnsembleKind, type EnsembleMember, type EnsembleSettings, lineTime, ours } from './ensembles.js';
import { ZkClient } from '../../src/client/client.js';
import { fmt } from './report.js';
import { WriteProbe } from './write-probe.js';

export const PROBE_PATH = '/probe';

export interface SurvivorOutcome {
  member: number;
  /** ms from the kill to this survivor's first acknowledged write */
  ackMs: number;
  writes: number;
  connects: number;
  newSessions: number;
  /** the probe's last steps, ms from the kill */
  lastSteps: Array<{ what: string; ms: number; took: number; result: string }>;
  /** ms from the kill to the first `srvr` answer with a mode after one without (null if none was seen without) */
  srvrServingMs: number | null;
}

/** What our members logged about the election (ms from the kill, by the lines' own time stamps). */
export interface ElectionLog {
  /** the first survivor's "LOOKING" line */
  lookingMs: number | null;
  /** the new leader's "LEADING … serving clients" line */
  leaderServingMs: number | null;
  /** the last survivor's "… serving clients" line */
  allServingMs: number | null;
  /** what the new leader reports: "serving clients N ms after the election began" */
  leaderReportedMs: number | null;
  /** how the follower was synchronised (DIFF, SNAP, TRUNC) */
  sync: string | null;
  /** elections a survivor began again after the first (a learner that could not join its leader goes looking again) */
  restarts: number;
  /** the lines themselves, with ms from the kill */
  lines: Array<{ member: number; ms: number; text: string }>;
}

export interface KillRecord {
  ensemble: EnsembleKind;
  block: number;
  kill: number;
  killedLeader: number;
  newLeader: number | null;
  /** ms from the kill to the first acknowledged write at any survivor */
  firstAckMs: number;
  /** ms from the kill until every survivor had a write acknowledged */
  allAckedMs: number;
  /** ms from the kill until a survivor's `srvr` said "Mode: leader" */
  srvrLeaderMs: number | null;
  survivors: SurvivorOutcome[];
  log: ElectionLog | null;
  /** ms from starting the killed member again until it served */
  rejoinMs: number;
}

export interface KillPlan {
  /** kills per block */
  kills: number;
  settings: EnsembleSettings;
  /** the probes' request timeout, ms */
  requestTimeoutMs: number;
  /** pause after a failed probe attempt, ms */
  retryPauseMs: number;
  /** how often survivors' srvr is polled, ms */
  pollMs: number;
  /** how long a kill may go without a new leader serving writes before the run fails, ms */
  deadlineMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function electionLog(survivors: EnsembleMember[], marks: number[], killWall: number): ElectionLog {
  const lines = survivors.flatMap((m, i) =>
    m
      .linesSince(marks[i]!)
      .filter((l) => /LOOKING|LEADING|FOLLOWING|serving clients|synchronis/.test(l.text))
      .map((l) => ({ member: m.id, ms: lineTime(l) - killWall, text: l.text })),
  );
  const first = (re: RegExp): (typeof lines)[number] | undefined => lines.filter((l) => re.test(l.text)).sort((a, b) => a.ms - b.ms)[0];
  const looking = first(/LOOKING/);
  const leading = first(/LEADING in epoch \d+: serving clients/);
  const serving = survivors.map((m) => lines.filter((l) => l.member === m.id && /serving clients/.test(l.text)).sort((a, b) => a.ms - b.ms)[0]);
  const sync = first(/synchronised by/);
  return {
    lookingMs: looking?.ms ?? null,
    leaderServingMs: leading?.ms ?? null,
    allServingMs: serving.every((s) => s !== undefined) ? Math.max(...serving.map((s) => s!.ms)) : null,
    leaderReportedMs: leading ? Number(/serving clients (\d+) ms/.exec(leading.text)?.[1] ?? NaN) : null,
    sync: sync ? (/synchronised by (\w+)/.exec(sync.text)?.[1] ?? null) : null,
    restarts: Math.max(0, ...survivors.map((m) => lines.filter((l) => l.member === m.id && /LOOKING/.test(l.text)).length - 1)),
    lines,
  };
}

/** Polls the survivors' srvr until `done()` and a leader was seen (or the deadline). */
async function pollSurvivors(
  survivors: EnsembleMember[],
  t0: number,
  done: () => boolean,
  plan: KillPlan,
): Promise<{ leaderMs: number | null; leader: number | null; servingMs: Map<number, number> }> {
  const servingMs = new Map<number, number>();
  /** survivors seen not serving since the kill */
  const stopped = new Set<number>();
  let leaderMs: number | null = null;
  let leader: number | null = null;
  while (performance.now() - t0 < plan.deadlineMs) {
    const statuses = await Promise.all(survivors.map((m) => m.status(500)));
    const at = performance.now() - t0;
    statuses.forEach((s, i) => {
      const id = survivors[i]!.id;
      if (s === null) {
        stopped.add(id);
        return;
      }
      // serving again: after it was seen not serving, or as the leader
      if (!servingMs.has(id) && (stopped.has(id) || s.mode === 'leader')) servingMs.set(id, at);
      if (s.mode === 'leader' && leaderMs === null) {
        leaderMs = at;
        leader = id;
      }
    });
    if (leaderMs !== null && servingMs.size === survivors.length && done()) break;
    await sleep(plan.pollMs);
  }
  return { leaderMs, leader, servingMs };
}

async function oneKill(e: Ensemble, block: number, kill: number, plan: KillPlan): Promise<KillRecord> {
  const leader = await e.settled(30000);
  const survivors = e.members.filter((m) => m.id !== leader);
  const probes = survivors.map(
    (m) =>
      new WriteProbe({
        host: '127.0.0.1',
        port: m.clientPort,
        path: PROBE_PATH,
        // the largest timeout a member allows (20 ticks): the session outlives the election
        sessionTimeout: 20 * plan.settings.tickTime,
        requestTimeoutMs: plan.requestTimeoutMs,
        retryPauseMs: plan.retryPauseMs,
      }),
  );
  let record: KillRecord;
  try {
    await Promise.all(probes.map((p) => p.open()));
    const marks = survivors.map((m) => m.mark());
    const killWall = Date.now();
    const t0 = performance.now();
    const killed = e.member(leader).kill();
    let probesDone = false;
    const poll = pollSurvivors(survivors, t0, () => probesDone, plan);
    const outcomes = await Promise.all(probes.map((p) => p.untilAcked(t0 + plan.deadlineMs)));
    probesDone = true;
    const polled = await poll;
    await killed;
    const missing = outcomes.findIndex((o) => o === null);
    if (missing >= 0) {
      throw new Error(
        `${ENSEMBLE_NAMES[e.kind]}: member ${survivors[missing]!.id} acknowledged no write within ${plan.deadlineMs} ms ` +
          `of killing leader ${leader}:\n${e.logTails()}`,
      );
    }
    const acks = outcomes.map((o) => o!.ackedAt - t0);
    record = {
      ensemble: e.kind,
      block,
      kill,
      killedLeader: leader,
      newLeader: polled.leader,
      firstAckMs: Math.min(...acks),
      allAckedMs: Math.max(...acks),
      srvrLeaderMs: polled.leaderMs,
      survivors: survivors.map((m, i) => ({
        member: m.id,
        ackMs: acks[i]!,
        writes: outcomes[i]!.writes,
        connects: outcomes[i]!.connects,
        newSessions: outcomes[i]!.newSessions,
        lastSteps: outcomes[i]!.lastSteps.map((x) => ({ what: x.what, ms: x.at - t0, took: x.ms, result: x.result })),
        srvrServingMs: polled.servingMs.get(m.id) ?? null,
      })),
      log: ours(e.kind) ? electionLog(survivors, marks, killWall) : null,
      rejoinMs: NaN,
    };
  } finally {
    await Promise.all(probes.map((p) => p.close()));
  }
  const t1 = performance.now();
  e.member(leader).start();
  await e.member(leader).waitServing();
  record.rejoinMs = performance.now() - t1;
  return record;
}

/** Starts an ensemble of `kind`, creates the probes' znode, and kills its leader `plan.kills` times. */
export async function killLeaders(kind: EnsembleKind, block: number, plan: KillPlan, say: (line: string) => void): Promise<KillRecord[]> {
  const e = await Ensemble.start(kind, plan.settings);
  const records: KillRecord[] = [];
  try {
    const client = await ZkClient.connect({ connectString: `127.0.0.1:${e.member(1).clientPort}`, sessionTimeout: 4000, reconnect: false });
    try {
      await client.create(PROBE_PATH, new Uint8Array(0));
    } finally {
      await client.close();
    }
    for (let kill = 1; kill <= plan.kills; kill++) {
      const r = await oneKill(e, block, kill, plan);
      records.push(r);
      say(
        `${ENSEMBLE_NAMES[kind].padEnd(16)} kill ${block}.${kill}: leader ${r.killedLeader} killed; a write acknowledged after ${fmt(r.firstAckMs)} ms ` +
          `(both survivors ${fmt(r.allAckedMs)} ms), srvr said leader (member ${r.newLeader ?? '?'}) after ${fmt(r.srvrLeaderMs ?? NaN)} ms` +
          (r.log ? `; logs: looking ${fmt(r.log.lookingMs ?? NaN)} ms, leader serving ${fmt(r.log.leaderServingMs ?? NaN)} ms, ${r.log.restarts} elections begun again` : '') +
          `; killed member served again ${fmt(r.rejoinMs)} ms after its restart`,
      );
    }
    await e.settled(30000);
    return records;
  } finally {
    await e.destroy();
  }
}
