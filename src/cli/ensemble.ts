// `make ensemble`: three local members in the seeds' layout — zk1, zk2, zk3
// under one folder, each with data/myid, logs and a zoo.cfg (client ports
// 2181-2183, server.N=127.0.0.1:888N:777N, tickTime 2000, initLimit 10,
// syncLimit 5) — started as three processes. It prints each member's
// client port and role once they serve, prefixes their log lines with
// their name, and stops them all on Ctrl-C (or SIGTERM).
//
//   node dist/src/cli/ensemble.js [folder] [--base-port N]

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const MEMBERS = 3;

export interface Layout {
  folder: string;
  basePort: number;
}

/** The seeds' zoo.cfg of member `id` (1-based). */
export function memberConfig(layout: Layout, id: number): string {
  const dir = path.join(layout.folder, `zk${id}`);
  const lines = [
    'tickTime=2000',
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${path.join(dir, 'data')}`,
    `dataLogDir=${path.join(dir, 'logs')}`,
    `clientPort=${layout.basePort + id}`,
    'clientPortAddress=127.0.0.1',
    '4lw.commands.whitelist=*',
  ];
  for (let n = 1; n <= MEMBERS; n++) lines.push(`server.${n}=127.0.0.1:${8880 + n}:${7770 + n}`);
  return lines.join('\n') + '\n';
}

/** Writes zkN/{data/myid, logs, zoo.cfg}; keeps data already there. */
export function prepare(layout: Layout): string[] {
  const cfgs: string[] = [];
  for (let id = 1; id <= MEMBERS; id++) {
    const dir = path.join(layout.folder, `zk${id}`);
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const myid = path.join(dir, 'data', 'myid');
    if (!existsSync(myid)) writeFileSync(myid, `${id}\n`);
    const cfg = path.join(dir, 'zoo.cfg');
    writeFileSync(cfg, memberConfig(layout, id));
    cfgs.push(cfg);
  }
  return cfgs;
}

/** A four-letter word's answer from 127.0.0.1:port ('' when the member does not answer). */
export function fourLetterWord(port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let out = '';
    const done = (): void => {
      s.destroy();
      resolve(out);
    };
    s.setTimeout(timeoutMs, done);
    s.on('connect', () => s.write(word));
    s.on('data', (d) => (out += d.toString('utf8')));
    s.on('end', done);
    s.on('error', done);
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { 'base-port': { type: 'string', default: '2180' } },
    allowPositionals: true,
    strict: true,
  });
  const layout: Layout = { folder: path.resolve(positionals[0] ?? 'ensemble'), basePort: Number(values['base-port']) };
  if (!Number.isInteger(layout.basePort) || layout.basePort < 1 || layout.basePort > 65530) {
    process.stderr.write(`--base-port must be a port number, got ${values['base-port']}\n`);
    return 2;
  }
  const cfgs = prepare(layout);
  const procs: ChildProcess[] = [];
  const serving = new Set<number>();
  let stopping = false;
  let announced = false;
  const announce = async (): Promise<void> => {
    if (announced) return;
    announced = true;
    process.stdout.write(`\nthe ensemble serves (data under ${layout.folder}):\n`);
    for (let id = 1; id <= MEMBERS; id++) {
      const port = layout.basePort + id;
      const srvr = await fourLetterWord(port, 'srvr');
      const mode = /^Mode: (\S+)/m.exec(srvr)?.[1] ?? 'not serving';
      const zxid = /^Zxid: (\S+)/m.exec(srvr)?.[1] ?? '-';
      process.stdout.write(`  zk${id}  client port ${port}  ${mode.padEnd(8)}  zxid ${zxid}\n`);
    }
    process.stdout.write(`connect with: node dist/src/cli/main.js shell -server 127.0.0.1:${layout.basePort + 1},127.0.0.1:${layout.basePort + 2},127.0.0.1:${layout.basePort + 3}\nCtrl-C stops all three.\n\n`);
  };
  cfgs.forEach((cfg, i) => {
    const id = i + 1;
    const p = spawn(process.execPath, ['--max-semi-space-size=8', MAIN, 'start-foreground', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let partial = '';
    const onData = (d: Buffer): void => {
      const text = partial + d.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        process.stdout.write(`[zk${id}] ${line}\n`);
        if (/serving clients/.test(line)) {
          serving.add(id);
          if (serving.size === MEMBERS) void announce();
        }
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('exit', (code, signal) => {
      if (!stopping) process.stdout.write(`[zk${id}] exited (${signal ?? `status ${code}`})\n`);
    });
  });
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('stopping the ensemble\n');
      let left = procs.filter((p) => p.exitCode === null && p.signalCode === null).length;
      if (left === 0) resolve(0);
      for (const p of procs) {
        if (p.exitCode !== null || p.signalCode !== null) continue;
        p.once('exit', () => {
          if (--left === 0) resolve(0);
        });
        p.kill('SIGTERM');
      }
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exitCode = 1;
    },
  );
}
