// The merge tool: the member traces in a trace directory (traceDir) as one
// trace that make trace-check and make trace-view read.
//
//   node dist/src/trace/merge-main.js DIR [--until T] [-o FILE]
//
// --until T drops what members logged after T (microseconds of the host's
// monotonic clock, as the trace lines carry it). Without -o the trace goes
// to standard output; a summary goes to standard error.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TraceFormatError, readMemberTrace, writeTrace } from './events.js';
import { mergeMemberTraces } from './merge.js';

const USAGE = 'usage: node dist/src/trace/merge-main.js DIR [--until T] [-o FILE]';

function main(argv: readonly string[]): number {
  let dir: string | null = null;
  let out: string | null = null;
  let until = Infinity;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-o' || a === '--until') {
      const v = argv[++i];
      if (v === undefined) throw new TraceFormatError(`${a} needs a value\n${USAGE}`);
      if (a === '-o') out = v;
      else if (!/^\d+$/.test(v)) throw new TraceFormatError(`--until wants microseconds\n${USAGE}`);
      else until = Number(v);
    } else if (dir === null && !a.startsWith('-')) {
      dir = a;
    } else {
      throw new TraceFormatError(`unexpected argument ${a}\n${USAGE}`);
    }
  }
  if (dir === null) throw new TraceFormatError(USAGE);
  const files = readdirSync(dir).filter((f) => /^member-\d+\.ndjson$/.test(f)).sort();
  if (files.length === 0) throw new TraceFormatError(`${dir} holds no member traces (member-N.ndjson)`);
  const inputs = files.map((f) => ({ name: f, parts: readMemberTrace(readFileSync(path.join(dir!, f), 'utf8'), f) }));
  const r = mergeMemberTraces(inputs, `member traces in ${path.basename(path.resolve(dir))}`, until);
  const text = writeTrace(r.trace);
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
  process.stderr.write(
    `${r.trace.events.length} events from ${files.length} members; ${r.matched} messages matched to their senders, ${r.unmatched} not; ${r.crashes} crashes merged in\n`,
  );
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`trace-merge: ${(e as Error).message}\n`);
  process.exitCode = e instanceof TraceFormatError || (e as NodeJS.ErrnoException).code === 'ENOENT' ? 1 : 2;
}
