// make trace-check: Zab traces checked against spec/TraceZab.tla by TLC.
//
//   node dist/src/trace/check-main.js [--seeds A..B] [--fixtures DIR] [--real N] [--mutants]
//                                     [--corrupt] [--parallel N] [--batch N] [--report FILE]
//                                     [--save DIR]
//
// - every trace in the fixtures folder (scenario traces kept as regression
//   fixtures) must be accepted, every one in its `rejected/` folder rejected;
// - a fresh simulated run per seed, with the simulator's faults (every
//   fifth with an observer), must be accepted;
// - --real N: N runs of a real three-process ensemble whose leader is
//   killed (./real-run.ts), the members' traces merged, must be accepted;
// - --mutants: for each injected protocol bug, the trace of a run where the
//   bug shows must be rejected;
// - --corrupt: an accepted trace with an event dropped, and with a zxid
//   changed, must be rejected.
// Traces with the same servers are checked up to --batch at a time in one
// TLC run (each on its own: a behaviour replays one trace), --parallel runs
// at once. It prints one line per trace, the time per trace (its share of
// its run, by events) and per event, and how often each spec action
// occurred in accepted traces, and exits non-zero when anything is not as
// expected.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZabBugs } from '../core/zab/member.js';
import { SPEC_ACTIONS } from '../core/zab/trace.js';
import { inParallel, type TraceVerdict } from '../tlc/trace-check.js';
import { type Trace, readTrace, writeTrace } from './events.js';
import { realRun } from './real-run.js';
import { BUGS, actionCounts, batches, checkZabTraces, defaultEnv, simulatedTrace } from './zab-check.js';

/** dist/src/trace/check-main.js lives three folders below the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const USAGE =
  'usage: node dist/src/trace/check-main.js [--seeds A..B] [--fixtures DIR] [--real N] [--mutants] [--corrupt] [--parallel N] [--batch N] [--report FILE] [--save DIR]';

/** Traces per TLC run unless --batch says otherwise: TLC's start is then a small part of a trace's time. */
const BATCH = 10;

interface Options {
  seeds: [number, number] | null;
  fixtures: string | null;
  real: number;
  mutants: boolean;
  corrupt: boolean;
  parallel: number;
  batch: number;
  report: string | null;
  save: string | null;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { seeds: null, fixtures: null, real: 0, mutants: false, corrupt: false, parallel: 2, batch: BATCH, report: null, save: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--seeds': {
        const m = /^(\d+)\.\.(\d+)$/.exec(value());
        if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--seeds wants A..B with A <= B\n${USAGE}`);
        o.seeds = [Number(m[1]), Number(m[2])];
        break;
      }
      case '--fixtures':
        o.fixtures = value();
        break;
      case '--real':
        o.real = Math.max(0, Number(value()) || 0);
        break;
      case '--mutants':
        o.mutants = true;
        break;
      case '--corrupt':
        o.corrupt = true;
        break;
      case '--parallel':
        o.parallel = Math.max(1, Number(value()) || 1);
        break;
      case '--batch':
        o.batch = Math.max(1, Number(value()) || 1);
        break;
      case '--report':
        o.report = value();
        break;
      case '--save':
        o.save = value();
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}

interface Checked {
  name: string;
  expect: 'accepted' | 'rejected';
  trace: Trace;
  verdict: TraceVerdict;
}

function describe(c: Checked): string {
  const v = c.verdict;
  const head = `${c.name}: ${v.kind}, ${v.events} events, ${v.seconds.toFixed(1)} s`;
  if (v.kind === 'rejected') return `${head}; first unmatched event ${v.firstUnmatched}: ${JSON.stringify(v.event)}`;
  if (v.kind === 'error') return `${head}; ${v.message}`;
  return head;
}

/** The state before the first unmatched event, a variable per line. */
function stateLines(v: TraceVerdict): string[] {
  if (v.kind !== 'rejected' || !v.stateBefore) return [];
  return Object.entries(v.stateBefore).map(([k, s]) => `    ${k} = ${s}`);
}

function loadFixtures(dir: string): { name: string; expect: 'accepted' | 'rejected'; trace: Trace }[] {
  const out: { name: string; expect: 'accepted' | 'rejected'; trace: Trace }[] = [];
  const read = (d: string, expect: 'accepted' | 'rejected'): void => {
    if (!existsSync(d)) return;
    for (const f of readdirSync(d).sort()) {
      if (!f.endsWith('.ndjson')) continue;
      const file = path.join(d, f);
      out.push({ name: path.relative(ROOT, file), expect, trace: readTrace(readFileSync(file, 'utf8'), file) });
    }
  };
  read(dir, 'accepted');
  read(path.join(dir, 'rejected'), 'rejected');
  return out;
}

/** A run of `bug` whose own checks failed: the bug showed. */
function mutantTrace(bug: keyof ZabBugs): { trace: Trace; seed: number } | null {
  for (let seed = 1; seed <= 3000; seed++) {
    const r = simulatedTrace({ seed, bug, maxFaults: 8 });
    if (!r.simOk) return { trace: r.trace, seed };
  }
  return null;
}

/** `t` with one event dropped, and with one logged zxid changed. */
function corruptions(t: Trace): { name: string; trace: Trace }[] {
  const at = Math.floor(t.events.length * 0.6);
  const dropped = { header: t.header, events: t.events.filter((_, i) => i !== at) };
  const k = t.events.findIndex((e, i) => i >= at && e.post.last[1] > 0);
  const changed = {
    header: t.header,
    events: t.events.map((e, i) => (i === k ? { ...e, post: { ...e.post, last: [e.post.last[0], e.post.last[1] + 1] as [number, number] } } : e)),
  };
  return [
    { name: `event ${at + 1} (${t.events[at]!.action}) dropped`, trace: dropped },
    { name: `zxid of event ${k + 1} (${t.events[k]!.action}) changed`, trace: changed },
  ];
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const env = defaultEnv(ROOT);
  mkdirSync(env.workDir, { recursive: true });
  const started = Date.now();
  const jobs: { name: string; expect: 'accepted' | 'rejected'; trace: Trace }[] = [];
  if (opts.fixtures) jobs.push(...loadFixtures(path.resolve(opts.fixtures)));
  if (opts.seeds) {
    for (let seed = opts.seeds[0]; seed <= opts.seeds[1]; seed++) {
      const { trace } = simulatedTrace({ seed, observers: seed % 5 === 0 ? 1 : 0 });
      jobs.push({ name: `seed ${seed}`, expect: 'accepted', trace });
    }
  }
  const missing: string[] = [];
  /** the folders of real runs (their configs, data and member traces), kept until their trace is accepted */
  const runDirs = new Map<string, string>();
  // real runs one after another, before TLC takes the cores: the members' timers are real
  for (let n = 1; n <= opts.real; n++) {
    try {
      const r = await realRun({ main: path.join(ROOT, 'dist/src/cli/main.js'), keep: true });
      console.log(`real run ${n}: ${r.trace.events.length} events from 3 processes, ${r.matched} messages matched to their senders, ${r.unmatched} not, ${r.crashes} crash merged in`);
      const name = `real run ${n} (leader ${r.killed} killed)`;
      runDirs.set(name, r.dir);
      jobs.push({ name, expect: 'accepted', trace: r.trace });
    } catch (e) {
      console.log(`FAIL real run ${n}: ${(e as Error).message}`);
      missing.push(`real run ${n}`);
    }
  }
  if (opts.mutants) {
    for (const bug of BUGS) {
      const m = mutantTrace(bug);
      if (!m) missing.push(bug);
      else jobs.push({ name: `bug ${bug} (seed ${m.seed})`, expect: 'rejected', trace: m.trace });
    }
  }
  /** Checks `list` in batches, printing a line per trace as each batch ends. */
  const check = async (list: readonly { name: string; expect: 'accepted' | 'rejected'; trace: Trace }[]): Promise<Checked[]> => {
    const out: Checked[] = [];
    const groups = batches(list.map((j) => j.trace), opts.batch);
    await inParallel(groups, opts.parallel, async (group) => {
      const verdicts = await checkZabTraces(env, group.map((i) => list[i]!.trace));
      for (const [k, i] of group.entries()) {
        const c: Checked = { ...list[i]!, verdict: verdicts[k]! };
        console.log(`${c.verdict.kind === c.expect ? 'ok  ' : 'FAIL'} ${describe(c)}`);
        out[i] = c;
      }
    });
    return out;
  };
  const results: Checked[] = await check(jobs);
  if (opts.corrupt) {
    const base = results.find((r) => r.expect === 'accepted' && r.verdict.kind === 'accepted' && r.trace.events.length > 50);
    if (!base) {
      console.log('FAIL no accepted trace to corrupt');
      missing.push('corruption');
    } else {
      const more = await check(corruptions(base.trace).map((c) => ({ name: `${base.name}, ${c.name}`, expect: 'rejected' as const, trace: c.trace })));
      results.push(...more);
    }
  }
  const fileName = (name: string): string => `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.ndjson`;
  if (opts.save) {
    mkdirSync(opts.save, { recursive: true });
    for (const r of results) {
      const file = path.join(opts.save, fileName(r.name));
      writeFileSync(file, writeTrace(r.trace));
    }
  }

  for (const r of results) {
    const dir = runDirs.get(r.name);
    if (dir === undefined) continue;
    if (r.verdict.kind === r.expect) {
      rmSync(dir, { recursive: true, force: true });
    } else {
      // a real run cannot be repeated: what it was is kept
      writeFileSync(path.join(dir, fileName(r.name)), writeTrace(r.trace));
      console.log(`${r.name}: its configs, data, member traces and merged trace are kept in ${dir}`);
    }
  }

  const wrong = results.filter((r) => r.verdict.kind !== r.expect);
  const accepted = results.filter((r) => r.verdict.kind === 'accepted');
  const events = accepted.reduce((n, r) => n + r.verdict.events, 0);
  const secs = accepted.reduce((n, r) => n + r.verdict.seconds, 0);
  const counts = actionCounts(accepted.map((r) => r.trace));
  console.log('');
  console.log(`${results.length} traces checked in ${((Date.now() - started) / 1000).toFixed(0)} s: ${accepted.length} accepted, ${results.length - accepted.length} rejected or failed; ${wrong.length} not as expected`);
  if (accepted.length > 0) {
    console.log(`accepted traces: ${events} events, ${(secs / accepted.length).toFixed(1)} s per trace, ${((secs / events) * 1000).toFixed(1)} ms per event`);
  }
  console.log('action coverage in accepted traces:');
  for (const a of SPEC_ACTIONS) console.log(`  ${a.padEnd(28)} ${String(counts.get(a) ?? 0).padStart(7)}`);
  for (const r of wrong) {
    console.log(`\nNOT AS EXPECTED (${r.expect}): ${describe(r)}\n  from ${r.trace.header.source}`);
    for (const l of stateLines(r.verdict)) console.log(l);
  }
  for (const m of missing) console.log(`\nFAIL no trace of ${m} to check`);
  if (opts.report) {
    mkdirSync(path.dirname(opts.report), { recursive: true });
    writeFileSync(
      opts.report,
      JSON.stringify(
        {
          traces: results.map((r) => ({ name: r.name, expect: r.expect, source: r.trace.header.source, verdict: r.verdict })),
          coverage: Object.fromEntries(SPEC_ACTIONS.map((a) => [a, counts.get(a) ?? 0])),
          secondsPerTrace: accepted.length ? secs / accepted.length : null,
          msPerEvent: events ? (secs / events) * 1000 : null,
        },
        null,
        2,
      ),
    );
  }
  return wrong.length === 0 && missing.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`trace-check: ${e.message}`);
    process.exit(2);
  },
);
