// The cores are pure: they compile against the language alone (no Node
// types: no Buffer, no timers, no process) and read no clock and no
// randomness, so that the server, the simulator and the model-based tests
// run the same code and a seed reproduces a run.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const BANNED: Array<[RegExp, string]> = [
  [/\bfrom\s+['"]node:/, 'imports a Node module'],
  [/\brequire\s*\(/, 'calls require'],
  [/\bimport\s*\(/, 'imports dynamically'],
  [/\bDate\s*\.\s*now\b|\bnew\s+Date\b/, 'reads the clock'],
  [/\bperformance\s*\./, 'reads the clock'],
  [/\bMath\s*\.\s*random\b/, 'draws randomness'],
  [/\bcrypto\s*\./, 'draws randomness'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, 'schedules work'],
  [/\bprocess\s*\./, 'reads the process'],
  [/\bconsole\s*\./, 'writes to the console'],
];

/** What a source file does that a core must not (comments and strings are skipped). */
export function impurities(source: string): string[] {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (s) => (/^['"]node:/.test(s) ? s : "''"));
  const found: string[] = [];
  for (const [re, what] of BANNED) {
    const m = re.exec(code);
    if (m) found.push(`${what}: ${m[0]}`);
  }
  return found;
}

function coreFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...coreFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('the cores are pure', () => {
  it('the checker catches every banned construct', () => {
    expect(impurities("import fs from 'node:fs';")).toHaveLength(1);
    expect(impurities('const t = Date.now();')).toHaveLength(1);
    expect(impurities('const t = new Date();')).toHaveLength(1);
    expect(impurities('const r = Math.random();')).toHaveLength(1);
    expect(impurities('setTimeout(() => 1, 5);')).toHaveLength(1);
    expect(impurities('const e = process.env;')).toHaveLength(1);
    expect(impurities('const m = require("x");')).toHaveLength(1);
    expect(impurities('const b = crypto.getRandomValues(x);')).toHaveLength(1);
    // words in comments and strings are not code
    expect(impurities('// Date.now() is never read here\nconst s = "Math.random()";')).toEqual([]);
  });

  it('no file under src/core reads a clock, draws randomness, schedules work or imports Node', () => {
    const bad: string[] = [];
    for (const f of coreFiles(path.join(root, 'src/core'))) {
      for (const what of impurities(readFileSync(f, 'utf8'))) bad.push(`${path.relative(root, f)}: ${what}`);
    }
    expect(bad).toEqual([]);
  });

  it('src/core compiles without Node types', () => {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.core.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out).toBe('');
  });
});
