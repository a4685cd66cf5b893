// make trace-view: a Zab trace drawn as a message-sequence chart (an HTML
// page with an SVG), optionally with TLC's verdict on it.
//
//   node dist/src/trace/view-main.js TRACE.ndjson [--out FILE.html] [--check]
//
// The page goes to traces/out/<name>.html unless --out names a file. With
// --check the trace is first checked against spec/TraceZab.tla: an accepted
// trace says so in the header; a rejected one has its first unmatched event
// in red and the spec's state before it below the chart.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceVerdict } from '../tlc/trace-check.js';
import { readTrace } from './events.js';
import { renderTraceHtml } from './view.js';
import { checkZabTrace, defaultEnv } from './zab-check.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const USAGE = 'usage: view-main.js TRACE.ndjson [--out FILE.html] [--check]';

interface Options {
  trace: string;
  out?: string;
  check: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  let trace: string | undefined;
  let out: string | undefined;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--check') check = true;
    else if (a === '--out') {
      out = argv[++i];
      if (out === undefined) throw new Error('--out needs a file name');
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else if (trace === undefined) trace = a;
    else throw new Error(`one trace at a time (got ${trace} and ${a})`);
  }
  if (trace === undefined) throw new Error('no trace file given');
  return { trace, out, check };
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(opts.trace, 'utf8');
  } catch (e) {
    console.error(`cannot read ${opts.trace}: ${(e as Error).message}`);
    return 2;
  }
  let trace;
  try {
    trace = readTrace(text, opts.trace);
  } catch (e) {
    console.error(`not a trace: ${(e as Error).message}`);
    return 2;
  }
  let verdict: TraceVerdict | undefined;
  if (opts.check) {
    const env = defaultEnv(ROOT);
    mkdirSync(env.workDir, { recursive: true });
    verdict = await checkZabTrace(env, trace);
    const detail = verdict.kind === 'rejected' ? ` at event ${verdict.firstUnmatched}` : verdict.kind === 'error' ? `: ${verdict.message}` : '';
    console.log(`${opts.trace}: ${verdict.kind}${detail} (${verdict.seconds.toFixed(1)} s)`);
  }
  const out = opts.out ?? path.join(ROOT, 'traces', 'out', `${path.basename(opts.trace).replace(/\.ndjson$/, '')}.html`);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, renderTraceHtml(trace, verdict));
  console.log(`wrote ${out}`);
  return verdict?.kind === 'error' ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
