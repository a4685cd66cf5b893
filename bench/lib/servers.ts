// Starting and stopping the servers a benchmark measures, each fresh on a
// temporary dataDir with the same zoo.cfg: ours (the built CLI under Node)
// and Apache ZooKeeper 3.9.5 (QuorumPeerMain on the class path that
// scripts/install-zookeeper.sh resolves), plus the null server. Also reads a
// server process's CPU time and memory from /proc.

import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file is dist/bench/lib/servers.js once built). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ZOOKEEPER_CLASSPATH = path.join(ROOT, 'tools/zookeeper-3.9.5/*');
const CLOCK_TICKS = 100;

export type ServerKind = 'verikeeper' | 'zookeeper' | 'null';

export interface ServerSettings {
  /** where the temporary dataDirs go (the disk under test) */
  baseDir: string;
  tickTime: number;
  snapCount: number;
  forceSync: boolean;
  /** ZooKeeper's JVM options (heap) */
  jvmOptions: string[];
  /** value size the null server answers getData with */
  valueSize: number;
  /** start ours with --expose-gc and the memory-report hook */
  memoryHook: boolean;
  /** our server's entry point (another build, to compare two versions) */
  ourEntry: string;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  baseDir: os.tmpdir(),
  tickTime: 2000,
  snapCount: 100000,
  forceSync: true,
  jvmOptions: ['-Xmx1000m'],
  valueSize: 1024,
  memoryHook: false,
  ourEntry: path.join(ROOT, 'dist/src/cli/main.js'),
};

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  port: number;
  /** what it was started with, for the report */
  command: string;
  /** CPU seconds (user + system, all threads) used so far */
  cpuSeconds(): number;
  /** resident set size, bytes */
  rssBytes(): number;
  /** the server's stderr so far (last 64 KiB) */
  stderr(): string;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Sends a four-letter word and returns the answer ('' if the connection failed). */
export function fourLetterWord(port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let out = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, timeoutMs);
    s.on('connect', () => s.write(word));
    s.on('data', (d) => (out += d.toString('utf8')));
    s.on('end', done);
    s.on('error', done);
  });
}

function procStat(pid: number): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name is in parentheses and may hold spaces
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

export function cpuSecondsOf(pid: number): number {
  try {
    const f = procStat(pid);
    // fields 14 and 15 of the file (utime, stime); f[0] is field 3
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

export function rssBytesOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * The Node flags on an entry point's launcher line (`#!/usr/bin/env -S node
 * --flag …`), so that our server runs as its `verikeeper` bin runs it, as
 * ZooKeeper gets the heap its own launcher script gives it.
 */
export function launcherFlags(entry: string): string[] {
  const first = readFileSync(entry, 'utf8').split('\n', 1)[0] ?? '';
  if (!first.startsWith('#!')) return [];
  const words = first.slice(2).trim().split(/\s+/);
  const i = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
  return i < 0 ? [] : words.slice(i + 1);
}

/** The benchmarks' zoo.cfg; `extra` lines (an ensemble's limits and server.N lines) go at the end. */
export function zooCfg(dataDir: string, port: number, s: ServerSettings, extra: readonly string[] = []): string {
  return [
    `tickTime=${s.tickTime}`,
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    `forceSync=${s.forceSync ? 'yes' : 'no'}`,
    `snapCount=${s.snapCount}`,
    '4lw.commands.whitelist=*',
    ...extra,
    '',
  ].join('\n');
}

/**
 * The command line that runs a real server on `cfg`: ours under Node with
 * its launcher's flags (plus `nodeFlags`), ZooKeeper as QuorumPeerMain with
 * the JVM options of the settings.
 */
export function serverCommand(
  kind: 'verikeeper' | 'zookeeper',
  cfg: string,
  settings: ServerSettings,
  nodeFlags: readonly string[] = [],
): { program: string; args: string[] } {
  if (kind === 'verikeeper') {
    const hook = settings.memoryHook
      ? ['--expose-gc', '--import', pathToFileURL(path.join(ROOT, 'dist/bench/lib/memory-hook.js')).href]
      : [];
    return {
      program: process.execPath,
      args: [...launcherFlags(settings.ourEntry), ...nodeFlags, ...hook, settings.ourEntry, 'start-foreground', cfg],
    };
  }
  return {
    program: 'java',
    args: [
      ...settings.jvmOptions,
      '-Dzookeeper.admin.enableServer=false',
      '-cp',
      ZOOKEEPER_CLASSPATH,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      cfg,
    ],
  };
}

/** A command line for the report, with paths inside the repository made relative. */
export function describeCommand(program: string, args: readonly string[]): string {
  return [path.basename(program), ...args.map((a) => (a.startsWith(ROOT) ? path.relative(ROOT, a) : a))].join(' ');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitReady(port: number, child: ChildProcess, log: () => string, what: string): Promise<void> {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited during start-up:\n${log()}`);
    }
    // ZooKeeper answers ruok before it serves requests; srvr shows the mode once it does
    if ((await fourLetterWord(port, 'srvr', 1000)).includes('Mode:')) return;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not start serving within 60 s:\n${log()}`);
}

/** Starts a server of `kind` on a fresh temporary dataDir and waits until it answers. */
export async function startServer(kind: ServerKind, settings: ServerSettings = DEFAULT_SETTINGS): Promise<RunningServer> {
  const dir = await fsp.mkdtemp(path.join(settings.baseDir, `bench-${kind}-`));
  const port = await freePort();
  let args: string[];
  let program: string;
  if (kind === 'null') {
    program = process.execPath;
    args = [path.join(ROOT, 'dist/bench/null-server.js'), '--port', String(port), '--value', String(settings.valueSize)];
  } else {
    const dataDir = path.join(dir, 'data');
    await fsp.mkdir(dataDir);
    const cfg = path.join(dir, 'zoo.cfg');
    await fsp.writeFile(cfg, zooCfg(dataDir, port, settings));
    ({ program, args } = serverCommand(kind, cfg, settings));
  }
  const child = spawn(program, args, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VERIKEEPER_LOG: 'warn' },
  });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    err += d;
    if (err.length > 65536) err = err.slice(-65536);
  });
  const stderr = (): string => err;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    }
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    if (kind === 'null') {
      const deadline = Date.now() + 10000;
      while (Date.now() < deadline && !(await canConnect(port))) await sleep(50);
    } else {
      await waitReady(port, child, stderr, kind);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const pid = child.pid!;
  return {
    kind,
    pid,
    port,
    command: describeCommand(program, args),
    cpuSeconds: () => cpuSecondsOf(pid),
    rssBytes: () => rssBytesOf(pid),
    stderr,
    stop,
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
