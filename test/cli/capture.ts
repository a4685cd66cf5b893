// Streams standing in for a terminal or a pipe, capturing what the shell prints.

import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import type { ShellIO } from '../../src/cli/shell.js';

export function captureIO(isTTY: boolean): { io: ShellIO; stdin: PassThrough; out: () => string; err: () => string } {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdin, stdout, stderr, isTTY, timeZone: 'UTC' }, stdin, out: () => o, err: () => e };
}

/** Polls until `cond` holds (for up to 5 s), then asserts it. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
