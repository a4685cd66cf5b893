// Trace files: what writeTrace writes, readTrace reads back; a line that is
// not a spec step (an unknown action, a zxid that is not a pair, a field
// missing) is refused with its line number, on writing and on reading.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TraceFormatError, readTrace, writeTrace } from '../../src/trace/events.js';
import { simulatedTrace } from '../../src/trace/zab-check.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('trace files', () => {
  it('read back what was written, for a simulated run', () => {
    const { trace, simOk } = simulatedTrace({ seed: 3 });
    expect(simOk).toBe(true);
    expect(trace.events.length).toBeGreaterThan(100);
    const again = readTrace(writeTrace(trace));
    expect(again).toEqual(JSON.parse(JSON.stringify(trace)));
  });

  it('read the scenario fixtures', () => {
    const t = readTrace(readFileSync(path.join(root, 'traces/normal-broadcast.ndjson'), 'utf8'));
    expect(t.header.voters).toEqual([1, 2, 3]);
    expect(t.events.some((e) => e.action === 'LeaderCommit')).toBe(true);
  });

  it('refuse a line that is not a spec step, naming it', () => {
    const { trace } = simulatedTrace({ seed: 3 });
    const text = writeTrace(trace).split('\n');
    const bad = (i: number, edit: (e: Record<string, unknown>) => void): string => {
      const lines = [...text];
      const e = JSON.parse(lines[i]!) as Record<string, unknown>;
      edit(e);
      lines[i] = JSON.stringify(e);
      return lines.join('\n');
    };
    expect(() => readTrace(bad(5, (e) => (e['action'] = 'Teleport')), 't')).toThrow(/t line 6/);
    expect(() => readTrace(bad(7, (e) => ((e['post'] as Record<string, unknown>)['last'] = [1])), 't')).toThrow(TraceFormatError);
    expect(() => readTrace(bad(9, (e) => delete e['post']), 't')).toThrow(/line 10/);
    expect(() => readTrace('{"trace":"something else"}\n')).toThrow(/header/);
    expect(() => readTrace(text.slice(0, 3).join('\n') + '\n{not json\n', 't')).toThrow(/t line 4: not JSON/);
    expect(() => writeTrace({ ...trace, events: [{ ...trace.events[0]!, srv: -1 }] })).toThrow(/event 1/);
  });
});
