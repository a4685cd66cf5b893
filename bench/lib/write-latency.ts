// The write-latency part of the ensemble benchmark: one session, one small
// setData at a time (the write probe), first on the leader, then on a
// follower (which forwards to the leader). With nothing else in flight a
// write's time is the ensemble's own path: the forward, the leader's log
// write and fsync, the proposal, a follower's fsync and ack, the commit and
// the answer. Every wait on that path that is not a disk or a network shows
// up here, where a throughput run hides it behind other requests.

import { ZkClient } from '../../src/client/client.js';
import { Ensemble, ENSEMBLE_NAMES, type EnsembleKind, type EnsembleSettings } from './ensembles.js';
import { fmt, median, percentile } from './report.js';
import { WriteProbe } from './write-probe.js';

export interface LatencyPlan {
  /** writes measured per member, after `warmup` unmeasured ones */
  writes: number;
  warmup: number;
  settings: EnsembleSettings;
}

export interface LatencyRecord {
  ensemble: EnsembleKind;
  repeat: number;
  /** the member written to: the leader or a follower */
  via: 'leader' | 'follower';
  member: number;
  writes: number;
  p50: number;
  p99: number;
  /** writes per second, one at a time */
  rate: number;
}

const PATH = '/latency';

async function measureOn(port: number, plan: LatencyPlan): Promise<number[]> {
  const probe = new WriteProbe({ host: '127.0.0.1', port, path: PATH, sessionTimeout: 30000, requestTimeoutMs: 10000, retryPauseMs: 10 });
  try {
    await probe.open();
    await probe.sequential(plan.warmup);
    return await probe.sequential(plan.writes);
  } finally {
    await probe.close();
  }
}

/** One fresh ensemble of `kind`: sequential writes on its leader, then on a follower, reported as they end. */
export async function measureLatency(kind: EnsembleKind, repeat: number, plan: LatencyPlan, say: (line: string) => void): Promise<LatencyRecord[]> {
  const e = await Ensemble.start(kind, plan.settings);
  try {
    const leader = await e.settled(30000);
    const client = await ZkClient.connect({ connectString: `127.0.0.1:${e.member(leader).clientPort}`, sessionTimeout: 4000, reconnect: false });
    try {
      await client.create(PATH, new Uint8Array(0));
    } finally {
      await client.close();
    }
    const follower = e.members.find((m) => m.id !== leader)!.id;
    const records: LatencyRecord[] = [];
    for (const [via, id] of [['leader', leader], ['follower', follower]] as const) {
      const times = await measureOn(e.member(id).clientPort, plan);
      const sum = times.reduce((a, b) => a + b, 0);
      const r: LatencyRecord = { ensemble: kind, repeat, via, member: id, writes: times.length, p50: median(times), p99: percentile(times, 99), rate: times.length / (sum / 1000) };
      records.push(r);
      say(`${ENSEMBLE_NAMES[kind].padEnd(16)} latency ${repeat}, via the ${via.padEnd(8)}: ${fmt(r.rate)} writes/s one at a time, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`);
    }
    return records;
  } finally {
    await e.destroy();
  }
}
