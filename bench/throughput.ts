// Throughput and latency of our server beside Apache ZooKeeper 3.9.5, in one
// run: for several rounds, each server is started fresh on a temporary
// dataDir (same zoo.cfg for both: forceSync on, same snapCount and tickTime),
// the key space is created, and the load generator runs every read/write mix
// against it; the servers take turns (null server, ours, ZooKeeper, null
// server, ours, …). The null server, which answers every request at once,
// gives the generator's own ceiling. Medians over the rounds go into a
// markdown table; every run's raw numbers into bench/results/.
//
//   node dist/bench/throughput.js [--rounds 5] [--warmup 5] [--duration 10]
//     [--mixes 100,90,0] [--sessions 16] [--inflight 8] [--value 1024]
//     [--keys 10000] [--threads 2] [--servers verikeeper,zookeeper,null]
//     [--zk-heap 1000m] [--snap-count 100000] [--dir DIR]

import os from 'node:os';
import { parseArgs } from 'node:util';
import { populateKeys } from './lib/keyspace.js';
import { fmt, machineInfo, markdownTable, median, saveResults } from './lib/report.js';
import { DEFAULT_SETTINGS, startServer, type ServerKind, type ServerSettings } from './lib/servers.js';
import { runLoad, type LoadOptions, type LoadResult } from './loadgen.js';

interface Run {
  round: number;
  server: ServerKind;
  readPercent: number;
  result: LoadResult;
  /** the server's CPU use during the load (warm-up included), in cores */
  serverCores: number;
}

const NAMES: Record<ServerKind, string> = { verikeeper: 'verikeeper', zookeeper: 'ZooKeeper 3.9.5', null: 'null server' };

function parse(): {
  rounds: number;
  mixes: number[];
  servers: ServerKind[];
  load: Omit<LoadOptions, 'port' | 'readPercent'>;
  settings: ServerSettings;
} {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10' },
      mixes: { type: 'string', default: '100,90,0' },
      sessions: { type: 'string', default: '16' },
      inflight: { type: 'string', default: '8' },
      value: { type: 'string', default: '1024' },
      keys: { type: 'string', default: '10000' },
      threads: { type: 'string', default: String(Math.min(2, os.cpus().length)) },
      servers: { type: 'string', default: 'null,verikeeper,zookeeper' },
      'zk-heap': { type: 'string', default: '1000m' },
      'snap-count': { type: 'string', default: String(DEFAULT_SETTINGS.snapCount) },
      dir: { type: 'string', default: os.tmpdir() },
    },
  });
  const servers = values.servers.split(',').map((s) => s.trim()) as ServerKind[];
  for (const s of servers) if (!(s in NAMES)) throw new Error(`unknown server ${s} (verikeeper, zookeeper, null)`);
  const valueSize = Number(values.value);
  return {
    rounds: Number(values.rounds),
    mixes: values.mixes.split(',').map(Number),
    servers,
    load: {
      host: '127.0.0.1',
      sessions: Number(values.sessions),
      inflight: Number(values.inflight),
      valueSize,
      keys: Number(values.keys),
      threads: Number(values.threads),
      warmupSec: Number(values.warmup),
      durationSec: Number(values.duration),
    },
    settings: {
      ...DEFAULT_SETTINGS,
      baseDir: values.dir,
      valueSize,
      snapCount: Number(values['snap-count']),
      jvmOptions: [`-Xmx${values['zk-heap']}`],
    },
  };
}

async function main(): Promise<void> {
  const o = parse();
  const runs: Run[] = [];
  const commands: Partial<Record<ServerKind, string>> = {};
  const started = new Date().toISOString();
  for (let round = 1; round <= o.rounds; round++) {
    for (const kind of o.servers) {
      const srv = await startServer(kind, o.settings);
      commands[kind] = srv.command;
      try {
        if (kind !== 'null') await populateKeys('127.0.0.1', srv.port, o.load.keys, o.load.valueSize);
        for (const readPercent of o.mixes) {
          const cpu0 = srv.cpuSeconds();
          const t0 = performance.now();
          const result = await runLoad({ ...o.load, port: srv.port, readPercent });
          const serverCores = (srv.cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
          runs.push({ round, server: kind, readPercent, result, serverCores });
          process.stderr.write(
            `round ${round} ${NAMES[kind].padEnd(16)} ${String(readPercent).padStart(3)}% reads: ` +
              `${fmt(result.opsPerSec).padStart(8)} ops/s, p50 ${fmt(result.p50)} ms, p99 ${fmt(result.p99)} ms` +
              `${result.errors > 0 ? `, ${result.errors} ERRORS` : ''} ` +
              `(server ${fmt(serverCores)} cores, generator ${fmt(result.generatorCores)} cores)\n`,
          );
        }
      } catch (e) {
        process.stderr.write(`${NAMES[kind]} failed: ${(e as Error).message}\n${srv.stderr().slice(-4000)}\n`);
        throw e;
      } finally {
        await srv.stop();
      }
    }
  }

  const med = (server: ServerKind, mix: number, f: (r: Run) => number): number =>
    median(runs.filter((r) => r.server === server && r.readPercent === mix).map(f));
  const summary = o.mixes.map((mix) => {
    const row: Record<string, number> = { readPercent: mix };
    for (const s of o.servers) {
      row[`${s}.opsPerSec`] = med(s, mix, (r) => r.result.opsPerSec);
      row[`${s}.p50`] = med(s, mix, (r) => r.result.p50);
      row[`${s}.p99`] = med(s, mix, (r) => r.result.p99);
      row[`${s}.p999`] = med(s, mix, (r) => r.result.p999);
      row[`${s}.serverCores`] = med(s, mix, (r) => r.serverCores);
      row[`${s}.generatorCores`] = med(s, mix, (r) => r.result.generatorCores);
      row[`${s}.errors`] = runs.filter((r) => r.server === s && r.readPercent === mix).reduce((n, r) => n + r.result.errors, 0);
    }
    return row;
  });

  const mixName = (m: number): string => `${m}% reads`;
  const has = (s: ServerKind): boolean => o.servers.includes(s);
  const tables: string[] = [];
  if (has('verikeeper') && has('zookeeper')) {
    const header = ['mix', 'verikeeper ops/s', 'p50 ms', 'p99 ms', 'ZooKeeper ops/s', 'p50 ms', 'p99 ms', 'throughput ×', 'p99 ×'];
    if (has('null')) header.push('generator ceiling ops/s');
    tables.push(
      markdownTable(
        header,
        summary.map((r) => {
          const cells = [
            mixName(r.readPercent!),
            fmt(r['verikeeper.opsPerSec']!),
            fmt(r['verikeeper.p50']!),
            fmt(r['verikeeper.p99']!),
            fmt(r['zookeeper.opsPerSec']!),
            fmt(r['zookeeper.p50']!),
            fmt(r['zookeeper.p99']!),
            fmt(r['verikeeper.opsPerSec']! / r['zookeeper.opsPerSec']!),
            fmt(r['verikeeper.p99']! / r['zookeeper.p99']!),
          ];
          if (has('null')) cells.push(fmt(r['null.opsPerSec']!));
          return cells;
        }),
      ),
    );
  }
  tables.push(
    markdownTable(
      ['mix', ...o.servers.flatMap((s) => [`${NAMES[s]} ops/s`, 'p99.9 ms', 'server CPU (cores)', 'generator CPU (cores)'])],
      summary.map((r) => [
        mixName(r.readPercent!),
        ...o.servers.flatMap((s) => [
          fmt(r[`${s}.opsPerSec`]!),
          fmt(r[`${s}.p999`]!),
          fmt(r[`${s}.serverCores`]!),
          fmt(r[`${s}.generatorCores`]!),
        ]),
      ]),
    ),
  );
  const errors = summary.flatMap((r) => o.servers.filter((s) => r[`${s}.errors`]! > 0).map((s) => `${NAMES[s]} ${mixName(r.readPercent!)}: ${r[`${s}.errors`]} errors`));
  const file = await saveResults('throughput', {
    started,
    finished: new Date().toISOString(),
    machine: machineInfo(),
    settings: { ...o, settings: { ...o.settings, baseDir: undefined } },
    commands,
    summary,
    runs,
  });
  console.log(`Medians of ${o.rounds} rounds, ${o.load.sessions} sessions × ${o.load.inflight} in flight, ` +
    `${o.load.valueSize}-byte values, ${o.load.keys} keys, ${o.load.warmupSec} s warm-up + ${o.load.durationSec} s per run:\n`);
  console.log(tables.join('\n\n'));
  if (errors.length > 0) console.log(`\nERRORS: ${errors.join('; ')}`);
  console.log(`\nraw results: ${file}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`throughput: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
