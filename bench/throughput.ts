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

import { parseArgs } from 'node:util';
import { populateKeys } from './lib/keyspace.js';
import { LOAD_OPTIONS, loadSettings } from './lib/load-options.js';
import { COMPARISON_HEADER, comparisonCells, mixName, summarizeRuns } from './lib/load-summary.js';
import { fmt, machineInfo, markdownTable, saveResults } from './lib/report.js';
import { startServer, type ServerKind, type ServerSettings } from './lib/servers.js';
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
  const { values } = parseArgs({ options: LOAD_OPTIONS });
  const o = loadSettings(values, Object.keys(NAMES));
  return { ...o, servers: o.servers as ServerKind[] };
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

  const summary = summarizeRuns(runs, o.servers, o.mixes);

  const has = (s: ServerKind): boolean => o.servers.includes(s);
  const tables: string[] = [];
  if (has('verikeeper') && has('zookeeper')) {
    const header = [...COMPARISON_HEADER];
    if (has('null')) header.push('generator ceiling ops/s');
    tables.push(
      markdownTable(
        header,
        summary.map((r) => {
          const cells = comparisonCells(r);
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
