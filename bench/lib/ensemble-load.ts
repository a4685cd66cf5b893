// The throughput part of the ensemble benchmark: for several rounds, each
// ensemble is started fresh (same zoo.cfg for both kinds), the key space is
// created through member 1 and every member waited on until it holds it,
// and the load generator runs every read/write mix with its sessions spread
// round-robin over the members. Before the measured runs every ensemble is
// primed: each mix runs unmeasured for a share of `primeSec`. ZooKeeper's
// three JVMs share the machine's cores with their JIT compilers: on two
// cores they took about 25 s of load to reach their steady speed (reads
// went from 7,700 to 20,000 ops/s over four 8 s runs), which a 5 s warm-up
// per mix does not cover. The kinds take turns within a round (null
// server, ours, ZooKeeper), as bench/throughput.ts does, so that a slower
// minute of the machine falls on both.

import { populateKeys } from './keyspace.js';
import { Ensemble, ENSEMBLE_NAMES, type EnsembleKind, type EnsembleSettings, type Mode } from './ensembles.js';
import { fmt } from './report.js';
import { startServer } from './servers.js';
import { runLoad, type LoadOptions, type LoadResult } from '../loadgen.js';

export type LoadTarget = EnsembleKind | 'null';

export const TARGET_NAMES: Record<LoadTarget, string> = { ...ENSEMBLE_NAMES, null: 'null server' };

export interface LoadRun {
  round: number;
  server: LoadTarget;
  readPercent: number;
  result: LoadResult;
  /** CPU the server processes used during the load (warm-up included), in cores, all members together */
  serverCores: number;
  /** the same for each member, with its mode */
  members: Array<{ id: number; mode: Mode | null; cores: number }>;
}

export interface LoadPlan {
  rounds: number;
  servers: LoadTarget[];
  mixes: number[];
  /** seconds of unmeasured load, spread over the mixes, before an ensemble's measured runs */
  primeSec: number;
  load: Omit<LoadOptions, 'port' | 'ports' | 'readPercent'>;
  settings: EnsembleSettings;
}

function progress(round: number, server: LoadTarget, readPercent: number, r: LoadResult, cores: number): string {
  return (
    `round ${round} ${TARGET_NAMES[server].padEnd(16)} ${String(readPercent).padStart(3)}% reads: ` +
    `${fmt(r.opsPerSec).padStart(8)} ops/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms` +
    `${r.errors > 0 ? `, ${r.errors} ERRORS` : ''} (server ${fmt(cores)} cores, generator ${fmt(r.generatorCores)} cores)`
  );
}

/** Creates the key space through member 1 and waits until every member holds it. */
async function populate(e: Ensemble, plan: LoadPlan): Promise<void> {
  await populateKeys('127.0.0.1', e.member(1).clientPort, plan.load.keys, plan.load.valueSize);
  const statuses = await Promise.all(e.members.map((m) => m.status()));
  const zxid = Math.max(...statuses.map((s) => s?.zxid ?? 0));
  await e.caughtUp(zxid, 60000);
}

async function loadEnsemble(round: number, kind: EnsembleKind, plan: LoadPlan, say: (line: string) => void): Promise<{ runs: LoadRun[]; commands: string[] }> {
  const e = await Ensemble.start(kind, plan.settings);
  const runs: LoadRun[] = [];
  try {
    await populate(e, plan);
    if (plan.primeSec > 0) {
      for (const readPercent of plan.mixes) {
        await runLoad({ ...plan.load, port: e.clientPorts[0]!, ports: e.clientPorts, readPercent, warmupSec: 0, durationSec: plan.primeSec / plan.mixes.length });
      }
    }
    const modes = (await Promise.all(e.members.map((m) => m.status()))).map((s) => s?.mode ?? null);
    for (const readPercent of plan.mixes) {
      const cpu0 = e.members.map((m) => m.cpuSeconds());
      const t0 = performance.now();
      const result = await runLoad({ ...plan.load, port: e.clientPorts[0]!, ports: e.clientPorts, readPercent });
      const seconds = (performance.now() - t0) / 1000;
      const members = e.members.map((m, i) => ({ id: m.id, mode: modes[i]!, cores: (m.cpuSeconds() - cpu0[i]!) / seconds }));
      const serverCores = members.reduce((sum, m) => sum + m.cores, 0);
      runs.push({ round, server: kind, readPercent, result, serverCores, members });
      say(progress(round, kind, readPercent, result, serverCores));
      for (const m of e.members) {
        if (!m.running) throw new Error(`member ${m.id} of the ${ENSEMBLE_NAMES[kind]} ensemble exited under load:\n${e.logTails()}`);
      }
    }
    return { runs, commands: e.members.map((m) => m.command) };
  } finally {
    await e.destroy();
  }
}

async function loadNull(round: number, plan: LoadPlan, say: (line: string) => void): Promise<{ runs: LoadRun[]; commands: string[] }> {
  const srv = await startServer('null', plan.settings);
  const runs: LoadRun[] = [];
  try {
    for (const readPercent of plan.mixes) {
      const cpu0 = srv.cpuSeconds();
      const t0 = performance.now();
      const result = await runLoad({ ...plan.load, port: srv.port, readPercent });
      const serverCores = (srv.cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
      runs.push({ round, server: 'null', readPercent, result, serverCores, members: [] });
      say(progress(round, 'null', readPercent, result, serverCores));
    }
    return { runs, commands: [srv.command] };
  } finally {
    await srv.stop();
  }
}

/** Runs every round; the raw runs and the command lines each kind was started with. */
export async function runLoadRounds(plan: LoadPlan, say: (line: string) => void): Promise<{ runs: LoadRun[]; commands: Partial<Record<LoadTarget, string[]>> }> {
  const runs: LoadRun[] = [];
  const commands: Partial<Record<LoadTarget, string[]>> = {};
  for (let round = 1; round <= plan.rounds; round++) {
    for (const server of plan.servers) {
      const r = server === 'null' ? await loadNull(round, plan, say) : await loadEnsemble(round, server, plan, say);
      runs.push(...r.runs);
      commands[server] = r.commands;
    }
  }
  return { runs, commands };
}
