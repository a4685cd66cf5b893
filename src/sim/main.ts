// The simulator's command line: runs one seed (to replay a failure) or a
// range of seeds, prints each failure with its violations and the command
// that replays it, and exits 1 when any run failed.
//
//   node dist/src/sim/main.js --seed 42
//   node dist/src/sim/main.js --seeds 1..1000 [--bug ackBeforeFsync]

import { parseArgs } from 'node:util';
import { decodeFaults } from './faults-codec.js';
import { type SimOptions, defaultOptions, simulate } from './simulation.js';
import type { StandaloneBugs } from './standalone-member.js';

const USAGE = `usage: node dist/src/sim/main.js (--seed N | --seeds A..B) [--clients N] [--requests N] [--in-flight N]
                                [--faults JSON] [--bug NAME]... [--verbose]
  --seed       run one seed;  --seeds  run every seed from A to B
  --faults     the fault schedule (JSON, as a failure report prints it); default: drawn from the seed
  --bug        run with a deliberately injected bug (ackBeforeFsync)`;

const BUGS: ReadonlyArray<keyof StandaloneBugs> = ['ackBeforeFsync'];

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
  let failed = 0;
  const started = performance.now();
  for (let seed = from; seed <= to; seed++) {
    const r = simulate({ ...base, seed });
    if (values.verbose) console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAILED'} ${JSON.stringify(r.stats)}`);
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

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  console.error(USAGE);
  process.exitCode = 2;
}
