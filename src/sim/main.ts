// The simulator's command line: runs one seed (to replay a failure) or a
// range of seeds, of a standalone server or (--ensemble) of an ensemble,
// prints each failure with its violations and the command that replays it,
// and exits 1 when any run failed.
//
//   node dist/src/sim/main.js --seed 42
//   node dist/src/sim/main.js --seeds 1..1000 [--bug ackBeforeFsync]
//   node dist/src/sim/main.js --ensemble --seeds 1..1000 --voters 3 --observers 1

import { parseArgs } from 'node:util';
import type { ZabBugs } from '../core/zab/member.js';
import { type EnsembleOptions, defaultEnsemble, simulateEnsemble } from './ensemble.js';
import { decodeEnsembleFaults, decodeFaults } from './faults-codec.js';
import { type SimOptions, defaultOptions, simulate } from './simulation.js';
import type { StandaloneBugs } from './standalone-member.js';

const USAGE = `usage: node dist/src/sim/main.js [--ensemble [--voters N] [--observers N] [--commit-log N] [--max-faults N] [--snapshots N]]
                                (--seed N | --seeds A..B) [--clients N] [--requests N] [--in-flight N]
                                [--faults JSON] [--bug NAME]... [--verbose]
  --ensemble   simulate an ensemble (the Zab core) instead of a standalone server
  --seed       run one seed;  --seeds  run every seed from A to B
  --faults     the fault schedule (JSON, as a failure report prints it); default: drawn from the seed
  --snapshots  ensemble: members take up to N snapshots of their own, drawn from the seed (default 0)
  --bug        run with a deliberately injected bug: standalone ackBeforeFsync; ensemble
               commitBeforeQuorum, ackBeforeFsync, acceptStaleProposal, zxidBeforeEpoch`;

const BUGS: ReadonlyArray<keyof StandaloneBugs> = ['ackBeforeFsync'];
const ZAB_BUGS: ReadonlyArray<keyof ZabBugs> = ['commitBeforeQuorum', 'ackBeforeFsync', 'acceptStaleProposal', 'zxidBeforeEpoch'];

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
  return Number(v);
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      seeds: { type: 'string' },
      clients: { type: 'string' },
      requests: { type: 'string' },
      'in-flight': { type: 'string' },
      faults: { type: 'string' },
      bug: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      ensemble: { type: 'boolean', default: false },
      voters: { type: 'string' },
      observers: { type: 'string' },
      'commit-log': { type: 'string' },
      'max-faults': { type: 'string' },
      snapshots: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let from: number;
  let to: number;
  if (values.seed !== undefined && values.seeds === undefined) {
    from = to = int('seed', values.seed, 0);
  } else if (values.seeds !== undefined && values.seed === undefined) {
    const m = /^(\d+)\.\.(\d+)$/.exec(values.seeds);
    if (!m) throw new Error(`--seeds must be A..B, got ${values.seeds}`);
    from = Number(m[1]);
    to = Number(m[2]);
  } else {
    throw new Error('give exactly one of --seed and --seeds');
  }
  if (values.ensemble) return runEnsemble(values, from, to);
  const bugs: StandaloneBugs = {};
  for (const b of values.bug) {
    if (!BUGS.includes(b as keyof StandaloneBugs)) throw new Error(`unknown bug ${b}; known: ${BUGS.join(', ')}`);
    bugs[b as keyof StandaloneBugs] = true;
  }
  const base: Omit<SimOptions, 'seed'> = {
    clients: int('clients', values.clients, defaultOptions.clients),
    requests: int('requests', values.requests, defaultOptions.requests),
    inFlight: int('in-flight', values['in-flight'], defaultOptions.inFlight),
    ...(values.faults !== undefined ? { faults: decodeFaults(values.faults) } : {}),
    ...(values.bug.length > 0 ? { bugs } : {}),
  };
  return runSeeds(from, to, values.verbose, (seed) => simulate({ ...base, seed }));
}

/** Runs every seed, reports each failure with what replays it; 0 when all passed. */
function runSeeds(
  from: number,
  to: number,
  verbose: boolean,
  run: (seed: number) => { ok: boolean; violations: string[]; faults: unknown; replay: string; stats: object },
): number {
  let failed = 0;
  const started = performance.now();
  for (let seed = from; seed <= to; seed++) {
    const r = run(seed);
    if (verbose) console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAILED'} ${JSON.stringify({ ...r.stats, actions: undefined })}`);
    if (r.ok) continue;
    failed++;
    console.log(`seed ${seed} FAILED (${r.violations.length} violations)`);
    for (const v of r.violations.slice(0, 10)) console.log(`  ${v}`);
    console.log(`  faults: ${JSON.stringify(r.faults)}`);
    console.log(`  replay: ${r.replay}`);
  }
  const runs = to - from + 1;
  console.log(`${runs - failed} of ${runs} runs passed (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return failed === 0 ? 0 : 1;
}

function runEnsemble(
  values: {
    clients?: string;
    requests?: string;
    'in-flight'?: string;
    faults?: string;
    bug: string[];
    verbose: boolean;
    voters?: string;
    observers?: string;
    'commit-log'?: string;
    'max-faults'?: string;
    snapshots?: string;
  },
  from: number,
  to: number,
): number {
  const bugs: ZabBugs = {};
  for (const b of values.bug) {
    if (!ZAB_BUGS.includes(b as keyof ZabBugs)) throw new Error(`unknown bug ${b}; known: ${ZAB_BUGS.join(', ')}`);
    bugs[b as keyof ZabBugs] = true;
  }
  const base: Omit<EnsembleOptions, 'seed'> = {
    voters: int('voters', values.voters, defaultEnsemble.voters),
    observers: int('observers', values.observers, defaultEnsemble.observers),
    clients: int('clients', values.clients, defaultEnsemble.clients),
    requests: int('requests', values.requests, defaultEnsemble.requests),
    inFlight: int('in-flight', values['in-flight'], defaultEnsemble.inFlight),
    ...(values['commit-log'] !== undefined ? { commitLogCount: int('commit-log', values['commit-log'], 0) } : {}),
    ...(values['max-faults'] !== undefined ? { maxFaults: int('max-faults', values['max-faults'], 0) } : {}),
    ...(values.snapshots !== undefined ? { snapshots: int('snapshots', values.snapshots, 0) } : {}),
    ...(values.faults !== undefined ? { faults: decodeEnsembleFaults(values.faults) } : {}),
    ...(values.bug.length > 0 ? { bugs } : {}),
  };
  if (base.voters < 1) throw new Error('--voters must be at least 1');
  return runSeeds(from, to, values.verbose, (seed) => simulateEnsemble({ ...base, seed }));
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  console.error(USAGE);
  process.exitCode = 2;
}
