// Our three-member ensemble beside Apache ZooKeeper 3.9.5's, on this machine,
// in one run, in three parts (every member of both kinds gets the same
// zoo.cfg lines: forceSync on, the same tickTime, initLimit, syncLimit and
// snapCount; ZooKeeper's JVMs the heap its launcher gives):
//
// 1. throughput: rounds in which each ensemble is started fresh, the key
//    space created, and the load generator runs every read/write mix with
//    its sessions spread round-robin over the members; the null server
//    shows the generator's ceiling; medians over the rounds
//    (bench/lib/ensemble-load.ts);
// 2. re-election: the leader killed with SIGKILL, again and again, at a
//    short tickTime; the time from the kill until a survivor acknowledges a
//    write (bench/lib/leader-kills.ts);
// 3. catch-up: the time a follower restarted after many transactions takes
//    to serve with the leader's zxid (bench/lib/catch-up.ts);
// 4. write latency: one write at a time on the leader and on a follower,
//    the ensemble's own path with nothing to hide it (bench/lib/write-latency.ts).
//
// The ensembles take turns in every part. Tables go to stdout; every raw
// measurement to bench/results/ensemble-<time>.json and what the run
// printed to bench/results/ensemble-<time>.txt.
//
//   node dist/bench/ensemble.js [--parts throughput,election,catchup,latency]
//     [--servers null,verikeeper,zookeeper] [--rounds 5] [--warmup 5]
//     [--duration 10] [--mixes 100,90,0] [--sessions 16] [--inflight 8]
//     [--value 1024] [--keys 10000] [--threads 2] [--prime 30]
//     [--tick-time 2000] [--init-limit 10] [--sync-limit 5] [--snap-count 100000]
//     [--kills 10] [--kill-blocks 2] [--election-tick-time 200] [--probe-timeout 250]
//     [--transactions 100000] [--catchups 3] [--latency-writes 2000]
//     [--zk-heap 1000m] [--dir DIR] [--profile DIR] [--trace-dir DIR]
//   (--servers also knows verikeeper-traced: ours with each member writing
//   its trace, traceDir, to measure what that costs beside verikeeper)
//
// --kills is the number of kills per ensemble, made in --kill-blocks blocks
// (one ensemble's block, then the other's); --catchups the repeats per
// ensemble. --prime is the seconds of unmeasured load each ensemble gets
// before its measured runs (bench/lib/ensemble-load.ts). --profile writes a CPU profile of each of our members there
// (node --cpu-prof), to see where their time goes. --trace-dir keeps the
// traces of verikeeper-traced there (by default they go with its ensemble's
// folder).

import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureCatchUp, type CatchUpPlan, type CatchUpRecord } from './lib/catch-up.js';
import { measureLatency, type LatencyPlan, type LatencyRecord } from './lib/write-latency.js';
import { runLoadRounds, TARGET_NAMES, type LoadPlan, type LoadRun, type LoadTarget } from './lib/ensemble-load.js';
import { ENSEMBLE_NAMES, type EnsembleKind, type EnsembleSettings } from './lib/ensembles.js';
import { killLeaders, type KillPlan, type KillRecord } from './lib/leader-kills.js';
import { LOAD_OPTIONS, loadSettings, numberOption } from './lib/load-options.js';
import { COMPARISON_HEADER, comparisonCells, mixName, summarizeRuns } from './lib/load-summary.js';
import { fmt, machineInfo, markdownTable, median, percentile, resultsStamp, saveResults, saveText } from './lib/report.js';

const PARTS = ['throughput', 'election', 'catchup', 'latency'] as const;
type Part = (typeof PARTS)[number];

/** Throughput × at least this, with a p99 no worse. */
const THROUGHPUT_TARGET = 1.25;
/** Median time from killing the leader to a write acknowledged, ms. */
const ELECTION_TARGET_MS = 200;

interface Options {
  parts: Part[];
  load: LoadPlan;
  kills: KillPlan & { blocks: number };
  catchUp: CatchUpPlan & { repeats: number };
  latency: LatencyPlan & { repeats: number };
  kinds: EnsembleKind[];
}

function parse(): Options {
  const { values } = parseArgs({
    options: {
      ...LOAD_OPTIONS,
      parts: { type: 'string', default: PARTS.join(',') },
      'tick-time': { type: 'string', default: '2000' },
      'init-limit': { type: 'string', default: '10' },
      'sync-limit': { type: 'string', default: '5' },
      kills: { type: 'string', default: '10' },
      'kill-blocks': { type: 'string', default: '2' },
      'election-tick-time': { type: 'string', default: '200' },
      'probe-timeout': { type: 'string', default: '250' },
      transactions: { type: 'string', default: '100000' },
      catchups: { type: 'string', default: '3' },
      prime: { type: 'string', default: '30' },
      'latency-writes': { type: 'string', default: '2000' },
      profile: { type: 'string' },
      'trace-dir': { type: 'string' },
    },
  });
  const num = (name: keyof typeof values & string, min: number): number => numberOption(name, String(values[name]), min);
  const parts = values.parts.split(',').map((s) => s.trim()) as Part[];
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part ${p} (${PARTS.join(', ')})`);
  const base = loadSettings(values, Object.keys(TARGET_NAMES));
  const servers = base.servers as LoadTarget[];
  const settings: EnsembleSettings = {
    ...base.settings,
    tickTime: num('tick-time', 1),
    members: 3,
    initLimit: num('init-limit', 1),
    syncLimit: num('sync-limit', 1),
    logLevel: 'warn',
    nodeFlags: values.profile !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [],
    startTimeoutMs: 60000,
    ...(values['trace-dir'] !== undefined ? { traceDir: path.resolve(values['trace-dir']) } : {}),
  };
  const kills = num('kills', 1);
  const blocks = Math.min(kills, num('kill-blocks', 1));
  return {
    parts,
    kinds: servers.filter((s): s is EnsembleKind => s !== 'null'),
    load: { ...base, servers, settings, primeSec: num('prime', 0) },
    kills: {
      kills: Math.ceil(kills / blocks),
      blocks,
      // members log elections at level info, which we read
      settings: { ...settings, tickTime: num('election-tick-time', 1), logLevel: 'info' },
      requestTimeoutMs: num('probe-timeout', 1),
      retryPauseMs: 2,
      pollMs: 10,
      deadlineMs: 30000,
    },
    catchUp: {
      transactions: num('transactions', 1),
      valueSize: 100,
      inflight: 64,
      repeats: num('catchups', 1),
      settings: { ...settings, logLevel: 'info' },
      pollMs: 10,
      deadlineMs: 300000,
    },
    latency: {
      writes: num('latency-writes', 1),
      warmup: 200,
      // the same rounds as the throughput part
      repeats: base.rounds,
      settings,
    },
  };
}

// ------------------------------------------------------------------ tables

const metOrMissed = (ok: boolean): string => (ok ? 'met' : '**missed**');

function loadTables(o: Options, runs: LoadRun[]): { tables: string[]; summary: Array<Record<string, number>>; verdicts: string[] } {
  const servers = o.load.servers;
  const summary = summarizeRuns(runs, servers, o.load.mixes);
  const tables: string[] = [];
  const verdicts: string[] = [];
  const has = (s: LoadTarget): boolean => servers.includes(s);
  if (has('verikeeper') && has('zookeeper')) {
    const header = [...COMPARISON_HEADER];
    if (has('null')) header.push('generator ceiling ops/s');
    header.push(`target (≥ ${THROUGHPUT_TARGET}×, p99 ≤ 1×)`);
    tables.push(
      markdownTable(
        header,
        summary.map((r) => {
          const x = r['verikeeper.opsPerSec']! / r['zookeeper.opsPerSec']!;
          const p = r['verikeeper.p99']! / r['zookeeper.p99']!;
          const ok = x >= THROUGHPUT_TARGET && p <= 1;
          verdicts.push(`throughput, ${mixName(r.readPercent!)}: ${fmt(x)}× ZooKeeper's throughput, p99 ${fmt(p)}× — target ${ok ? 'met' : 'MISSED'}`);
          const cells = comparisonCells(r);
          if (has('null')) cells.push(fmt(r['null.opsPerSec']!));
          cells.push(metOrMissed(ok));
          return cells;
        }),
      ),
    );
  }
  if (has('verikeeper') && has('verikeeper-traced')) {
    // what member traces cost: the same ensemble with and without them, in the same rounds
    const perOp = (r: Record<string, number>, s: string): number => (r[`${s}.serverCores`]! * 1e6) / r[`${s}.opsPerSec`]!;
    tables.push(
      markdownTable(
        ['mix', 'verikeeper ops/s', 'tracing ops/s', 'throughput lost to tracing', 'p99 ms (without / with)', "members' CPU per op, µs (without / with)"],
        summary.map((r) => {
          const lost = 1 - r['verikeeper-traced.opsPerSec']! / r['verikeeper.opsPerSec']!;
          verdicts.push(`member traces, ${mixName(r.readPercent!)}: ${fmt(lost * 100, 0)} % of the throughput`);
          return [
            mixName(r.readPercent!),
            fmt(r['verikeeper.opsPerSec']!),
            fmt(r['verikeeper-traced.opsPerSec']!),
            `${fmt(lost * 100, 0)} %`,
            `${fmt(r['verikeeper.p99']!)} / ${fmt(r['verikeeper-traced.p99']!)}`,
            `${fmt(perOp(r, 'verikeeper'), 0)} / ${fmt(perOp(r, 'verikeeper-traced'), 0)}`,
          ];
        }),
      ),
    );
  }
  tables.push(
    markdownTable(
      ['mix', ...servers.flatMap((s) => [`${TARGET_NAMES[s]} ops/s`, 'p99.9 ms', s === 'null' ? 'server CPU (cores)' : 'members\' CPU (cores)', 'generator CPU (cores)'])],
      summary.map((r) => [
        mixName(r.readPercent!),
        ...servers.flatMap((s) => [fmt(r[`${s}.opsPerSec`]!), fmt(r[`${s}.p999`]!), fmt(r[`${s}.serverCores`]!), fmt(r[`${s}.generatorCores`]!)]),
      ]),
    ),
  );
  return { tables, summary, verdicts };
}

function electionTable(kinds: EnsembleKind[], kills: KillRecord[]): { table: string; verdicts: string[] } {
  const both = (xs: number[]): string => `${fmt(median(xs), 0)} / ${fmt(percentile(xs, 90), 0)}`;
  const verdicts: string[] = [];
  const rows = kinds.map((k) => {
    const ks = kills.filter((r) => r.ensemble === k);
    const first = ks.map((r) => r.firstAckMs);
    if (k === 'verikeeper') {
      const ok = median(first) <= ELECTION_TARGET_MS;
      verdicts.push(`re-election: median ${fmt(median(first), 0)} ms, p90 ${fmt(percentile(first, 90), 0)} ms from the kill to an acknowledged write — target ≤ ${ELECTION_TARGET_MS} ms ${ok ? 'met' : 'MISSED'}`);
    }
    const logged = ks.map((r) => r.log?.leaderServingMs ?? NaN);
    return [
      ENSEMBLE_NAMES[k],
      String(ks.length),
      both(first),
      both(ks.map((r) => r.allAckedMs)),
      both(ks.map((r) => r.srvrLeaderMs ?? NaN)),
      logged.some(Number.isFinite) ? both(logged) : '–',
      ks.some((r) => r.log !== null) ? String(ks.filter((r) => (r.log?.restarts ?? 0) > 0).length) : '–',
      fmt(median(ks.map((r) => r.rejoinMs)), 0),
    ];
  });
  return {
    table: markdownTable(
      [
        'ensemble',
        'kills',
        'kill → first write acknowledged, median / p90 ms',
        'kill → writes acknowledged at both survivors, median / p90 ms',
        'kill → srvr says leader, median / p90 ms',
        'kill → new leader logs serving, median / p90 ms',
        'kills after which a survivor began its election again',
        'restart of the killed member → it serves, median ms',
      ],
      rows,
    ),
    verdicts,
  };
}

function catchUpTable(kinds: EnsembleKind[], records: CatchUpRecord[]): string {
  return markdownTable(
    ['ensemble', 'transactions', 'restarts', 'written at (txn/s)', 'restart → answers srvr, ms', 'restart → serves, ms', 'restart → has the leader\'s zxid, median (min–max) ms', 'brought up to date by'],
    kinds.map((k) => {
      const rs = records.filter((r) => r.ensemble === k);
      const c = rs.map((r) => r.caughtUpMs);
      return [
        ENSEMBLE_NAMES[k],
        fmt(rs[0]?.transactions ?? NaN),
        String(rs.length),
        fmt(median(rs.map((r) => r.writeRate))),
        fmt(median(rs.map((r) => r.answersMs)), 0),
        fmt(median(rs.map((r) => r.servingMs)), 0),
        `${fmt(median(c), 0)} (${fmt(Math.min(...c), 0)}–${fmt(Math.max(...c), 0)})`,
        [...new Set(rs.map((r) => r.sync))].join(', '),
      ];
    }),
  );
}

function latencyTable(kinds: EnsembleKind[], records: LatencyRecord[]): string {
  return markdownTable(
    ['ensemble', 'written via', 'writes/s', 'p50 ms', 'p99 ms'],
    kinds.flatMap((k) =>
      (['leader', 'follower'] as const).map((via) => {
        const rs = records.filter((r) => r.ensemble === k && r.via === via);
        return [ENSEMBLE_NAMES[k], via, fmt(median(rs.map((r) => r.rate))), fmt(median(rs.map((r) => r.p50))), fmt(median(rs.map((r) => r.p99)))];
      }),
    ),
  );
}

// ------------------------------------------------------------------ main

const loadAverage = (): string => os.loadavg().map((x) => x.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const o = parse();
  const stamp = resultsStamp();
  const printed: string[] = [];
  const say = (line: string): void => {
    printed.push(line);
    process.stderr.write(line + '\n');
  };
  let report: string;
  try {
    report = await run(o, stamp, say);
  } catch (e) {
    // what was measured before the failure is kept with the failure
    say(`ensemble benchmark FAILED: ${(e as Error).stack ?? String(e)}`);
    await saveText('ensemble', printed.join('\n') + '\n', stamp);
    process.exitCode = 1;
    return;
  }
  await saveText('ensemble', [...printed, '', report, ''].join('\n'), stamp);
}

async function run(o: Options, stamp: string, say: (line: string) => void): Promise<string> {
  const started = new Date().toISOString();
  const machine = machineInfo();
  say(`${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.os}, Node.js ${machine.node}, ${machine.java}`);
  say(`every ensemble's three members and the load generator share these ${machine.cores} cores; load average at the start: ${loadAverage()}`);
  const raw: Record<string, unknown> = { started, machine, loadAverageAtStart: os.loadavg(), settings: o };
  const out: string[] = [];
  const verdicts: string[] = [];

  if (o.parts.includes('throughput')) {
    say(`\n# throughput: ${o.load.rounds} rounds, ${o.load.load.sessions} sessions × ${o.load.load.inflight} in flight`);
    const { runs, commands } = await runLoadRounds(o.load, say);
    const t = loadTables(o, runs);
    raw.throughput = { commands, summary: t.summary, runs };
    verdicts.push(...t.verdicts);
    out.push(
      `Throughput: medians of ${o.load.rounds} rounds; ${o.load.load.sessions} sessions × ${o.load.load.inflight} in flight spread round-robin over the three members, ` +
        `${o.load.load.valueSize}-byte values, ${o.load.load.keys} keys, each ensemble primed with ${o.load.primeSec} s of load, then ${o.load.load.warmupSec} s warm-up + ${o.load.load.durationSec} s per run; ` +
        `tickTime ${o.load.settings.tickTime}, initLimit ${o.load.settings.initLimit}, syncLimit ${o.load.settings.syncLimit}, snapCount ${o.load.settings.snapCount}, forceSync on:\n`,
      ...t.tables.map((x) => x + '\n'),
    );
    const errors = t.summary.flatMap((r) => o.load.servers.filter((s) => r[`${s}.errors`]! > 0).map((s) => `${TARGET_NAMES[s]} ${mixName(r.readPercent!)}: ${r[`${s}.errors`]} errors`));
    if (errors.length > 0) out.push(`ERRORS: ${errors.join('; ')}\n`);
  }

  if (o.parts.includes('election') && o.kinds.length > 0) {
    say(`\n# re-election: ${o.kills.kills * o.kills.blocks} kills of the leader per ensemble at tickTime ${o.kills.settings.tickTime}`);
    const kills: KillRecord[] = [];
    for (let block = 1; block <= o.kills.blocks; block++) {
      for (const kind of o.kinds) kills.push(...(await killLeaders(kind, block, o.kills, say)));
    }
    const t = electionTable(o.kinds, kills);
    raw.election = { kills };
    verdicts.push(...t.verdicts);
    out.push(
      `Re-election after kill -9 of the leader, tickTime ${o.kills.settings.tickTime}, initLimit ${o.kills.settings.initLimit}, syncLimit ${o.kills.settings.syncLimit} ` +
        `(a probe on each survivor retries a small write, ${o.kills.requestTimeoutMs} ms timeout, from the moment of the kill):\n`,
      t.table + '\n',
    );
  }

  if (o.parts.includes('catchup') && o.kinds.length > 0) {
    say(`\n# catch-up: a follower restarted after ${o.catchUp.transactions} transactions, ${o.catchUp.repeats} times per ensemble`);
    const records: CatchUpRecord[] = [];
    for (let repeat = 1; repeat <= o.catchUp.repeats; repeat++) {
      for (const kind of o.kinds) records.push(await measureCatchUp(kind, repeat, o.catchUp, say));
    }
    raw.catchUp = { records };
    out.push(
      `Catch-up of a follower stopped while ${o.catchUp.transactions} creates of ${o.catchUp.valueSize} bytes were committed, tickTime ${o.catchUp.settings.tickTime}:\n`,
      catchUpTable(o.kinds, records) + '\n',
    );
  }

  if (o.parts.includes('latency') && o.kinds.length > 0) {
    say(`\n# write latency: ${o.latency.writes} writes one at a time on the leader, then on a follower, ${o.latency.repeats} times per ensemble`);
    const records: LatencyRecord[] = [];
    for (let repeat = 1; repeat <= o.latency.repeats; repeat++) {
      for (const kind of o.kinds) records.push(...(await measureLatency(kind, repeat, o.latency, say)));
    }
    raw.latency = { records };
    out.push(
      `Write latency: ${o.latency.writes} setData of 16 bytes one at a time on one session (after ${o.latency.warmup} unmeasured), medians of ${o.latency.repeats} fresh ensembles, tickTime ${o.latency.settings.tickTime}:\n`,
      latencyTable(o.kinds, records) + '\n',
    );
  }

  raw.finished = new Date().toISOString();
  raw.loadAverageAtEnd = os.loadavg();
  const json = await saveResults('ensemble', raw, stamp);
  say(`load average at the end: ${loadAverage()}`);
  const report = [...out, ...(verdicts.length > 0 ? ['Targets:', ...verdicts.map((v) => `- ${v}`), ''] : []), `raw results: ${json}`].join('\n');
  console.log('\n' + report);
  return report;
}

main().catch((e: unknown) => {
  process.stderr.write(`ensemble benchmark: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
