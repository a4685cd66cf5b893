// A real server process for the integration suites: `verikeeper
// start-foreground <zoo.cfg>` on a free loopback port (or on an address of
// its own, run under a command such as `ip netns exec`) with its data in a
// temporary directory, waited on until it accepts clients, stopped with
// SIGTERM or killed with SIGKILL, restarted on the same dataDir and port, its
// log collected. Processes and directories are removed when the test file
// ends, also when a test fails or the worker exits.
//
// VERIKEEPER_IT_REFERENCE=1 runs the same suites against Apache ZooKeeper
// 3.9.5 (`make zookeeper` puts its jars in tools/zookeeper-3.9.5) to check
// that an expectation is ZooKeeper's; tests of verikeeper's own files and log
// lines are skipped then.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const serverMain = path.join(repoRoot, 'dist/src/cli/main.js');
const referenceJars = path.join(repoRoot, 'tools/zookeeper-3.9.5');

/** Whether the suites run against Apache ZooKeeper instead of verikeeper. */
export const reference = process.env.VERIKEEPER_IT_REFERENCE === '1';

/** zoo.cfg keys and values; null leaves a default key out */
export type Settings = Record<string, string | number | boolean | null>;

export interface StartOptions {
  /** zoo.cfg lines added to (or replacing) the defaults below. */
  settings?: Settings;
  /** How long start-up may take, ms (default 30000). */
  timeoutMs?: number;
  /** The dataDir to use (left in place by `destroy`); default: a folder of the test's temporary directory. */
  dataDir?: string;
  /** The address clients reach the server at (default 127.0.0.1); set clientPortAddress to match. */
  host?: string;
  /** A command the server's command line runs under, such as `ip netns exec <namespace>`. */
  wrapper?: string[];
}

/** tickTime 500 ms: session timeouts between 1 s and 10 s. */
const DEFAULT_SETTINGS: Settings = {
  tickTime: 500,
  clientPortAddress: '127.0.0.1',
  '4lw.commands.whitelist': '*',
};

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class TestServer {
  readonly dir: string;
  readonly dataDir: string;
  readonly cfgPath: string;
  readonly host: string;
  port = 0;
  private proc: ChildProcess | null = null;
  private exited: Promise<Exit> | null = null;
  private readonly lines: string[] = [];
  private partial = '';
  private settings: Settings;
  private readonly wrapper: string[];

  private constructor(settings: Settings, dataDir?: string, host = '127.0.0.1', wrapper: string[] = []) {
    this.host = host;
    this.wrapper = wrapper;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'verikeeper-it-'));
    dirs.add(this.dir);
    this.dataDir = dataDir ?? path.join(this.dir, 'data');
    this.cfgPath = path.join(this.dir, 'zoo.cfg');
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
  }

  /** A server on a new temporary dataDir, started and accepting clients. */
  static async start(opts: StartOptions = {}): Promise<TestServer> {
    const s = new TestServer(opts.settings ?? {}, opts.dataDir, opts.host, opts.wrapper);
    try {
      await s.launch(opts.timeoutMs);
    } catch (e) {
      await s.destroy();
      throw e;
    }
    return s;
  }

  /** A server on a new temporary dataDir (or `opts.dataDir`), not started yet. */
  static prepare(opts: StartOptions = {}): TestServer {
    return new TestServer(opts.settings ?? {}, opts.dataDir, opts.host, opts.wrapper);
  }

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Everything the server logged, across restarts. */
  log(): string {
    return this.lines.join('\n') + (this.partial === '' ? '' : '\n' + this.partial);
  }

  /** The number of log lines so far: `logSince(mark)` returns what came after. */
  logMark(): number {
    return this.lines.length;
  }

  logSince(mark: number): string {
    return this.lines.slice(mark).join('\n');
  }

  /** Waits until a log line matches `re`. */
  async waitForLog(re: RegExp, timeoutMs = 10000, since = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(since).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`no log line matched ${re} within ${timeoutMs} ms; log:\n${this.log()}`);
      await sleep(20);
    }
  }

  /** Replaces zoo.cfg settings for the next start. */
  configure(settings: Settings): void {
    this.settings = { ...this.settings, ...settings };
  }

  private writeConfig(): void {
    const s: Settings = { ...this.settings, dataDir: this.dataDir, clientPort: this.port };
    const body = Object.entries(s)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n');
    writeFileSync(this.cfgPath, body + '\n');
  }

  private spawnProcess(): ChildProcess {
    let proc: ChildProcess;
    if (reference) {
      if (!existsSync(referenceJars)) throw new Error(`Apache ZooKeeper jars are missing: run make zookeeper`);
      const props = Object.entries(this.settings)
        .filter(([k, v]) => v !== null && (k === 'jute.maxbuffer' || k.startsWith('znode.container.')))
        .map(([k, v]) => `-D${k}=${String(v)}`);
      proc = this.spawnWrapped(
        'java',
        [
          '-Xmx256m',
          '-Dzookeeper.admin.enableServer=false',
          ...props,
          '-cp',
          path.join(referenceJars, '*'),
          'org.apache.zookeeper.server.quorum.QuorumPeerMain',
          this.cfgPath,
        ],
        {},
      );
    } else {
      proc = this.spawnWrapped(process.execPath, [serverMain, 'start-foreground', this.cfgPath], {
        VERIKEEPER_LOG: process.env.VERIKEEPER_IT_LOG ?? 'info',
      });
    }
    const collect = (chunk: Buffer): void => {
      const text = this.partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    return proc;
  }

  /** `command args` under the wrapper (the wrapper execs it: the process id is the server's). */
  private spawnWrapped(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const [program, ...rest] = [...this.wrapper, command, ...args];
    return spawn(program!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  }

  /** Starts the process on the current dataDir and port without waiting for it to serve (a member that cannot yet). */
  async begin(): Promise<{ exited: Promise<Exit> }> {
    if (this.proc !== null) throw new Error('already running');
    if (reference && this.port === 0) this.port = await freePort();
    this.writeConfig();
    const proc = this.spawnProcess();
    live.add(proc);
    this.proc = proc;
    this.exited = new Promise<Exit>((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        if (this.proc === proc) this.proc = null;
        resolve({ code, signal });
      });
    });
    return { exited: this.exited };
  }

  /** Starts the process on the current dataDir and port and waits until it accepts clients. */
  async launch(timeoutMs = 30000): Promise<void> {
    const mark = this.lines.length;
    const { exited } = await this.begin();
    const deadline = Date.now() + timeoutMs;
    const state: { gone: Exit | null } = { gone: null };
    void exited.then((e) => (state.gone = e));
    for (;;) {
      if (state.gone !== null) {
        const e = state.gone;
        throw new Error(`the server exited during start-up (code ${e.code}, signal ${e.signal}); log:\n${this.logSince(mark)}`);
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`the server did not start within ${timeoutMs} ms; log:\n${this.logSince(mark)}`);
      }
      if (!reference && this.port === 0) {
        const m = this.lines.slice(mark).map((l) => /started verikeeper .* on [^ ]*:(\d+)/.exec(l)).find((x) => x !== null);
        if (m) this.port = Number(m[1]);
      }
      if (this.port !== 0 && (await serving(this.host, this.port))) return;
      await sleep(50);
    }
  }

  /**
   * Starts the process and expects it to exit during start-up (a bad
   * configuration, corrupt files): its exit status and what it logged.
   */
  async launchExpectingExit(timeoutMs = 20000): Promise<Exit & { output: string }> {
    if (this.proc !== null) throw new Error('already running');
    this.writeConfig();
    const mark = this.lines.length;
    const proc = this.spawnProcess();
    live.add(proc);
    this.proc = proc;
    const exited = new Promise<Exit>((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        if (this.proc === proc) this.proc = null;
        resolve({ code, signal });
      });
    });
    this.exited = exited;
    const timer = sleep(timeoutMs).then(() => null);
    const e = await Promise.race([exited, timer]);
    if (e === null) {
      await this.kill();
      throw new Error(`the server kept running; log:\n${this.logSince(mark)}`);
    }
    await sleep(20); // the last pipe chunks
    return { ...e, output: this.logSince(mark) };
  }

  private async signal(sig: NodeJS.Signals, timeoutMs: number): Promise<Exit | null> {
    const proc = this.proc;
    const exited = this.exited;
    if (proc === null || exited === null) return null;
    proc.kill(sig);
    const timer = sleep(timeoutMs).then(() => null);
    const e = await Promise.race([exited, timer]);
    if (e === null) {
      proc.kill('SIGKILL');
      return exited;
    }
    return e;
  }

  /** Waits for the process to exit by itself: its exit status (null if it does not within `timeoutMs`). */
  async waitForExit(timeoutMs = 20000): Promise<Exit | null> {
    const proc = this.proc;
    const exited = this.exited;
    if (proc === null || exited === null) return exited;
    // 'close' follows 'exit' once the pipes are drained: every line it wrote is read then
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    const timer = sleep(timeoutMs).then(() => null);
    const e = await Promise.race([exited, timer]);
    if (e !== null) await closed;
    return e;
  }

  /** The process id of the running server, or null. */
  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  /** SIGTERM and wait for the exit (SIGKILL after 10 s): the exit status. */
  async stop(): Promise<Exit | null> {
    return this.signal('SIGTERM', 10000);
  }

  /** kill -9: nothing is flushed or closed. */
  async kill(): Promise<Exit | null> {
    return this.signal('SIGKILL', 10000);
  }

  /** Starts again on the same dataDir and port. */
  async restart(timeoutMs?: number): Promise<void> {
    if (this.proc !== null) await this.stop();
    await this.launch(timeoutMs);
  }

  /** Kills the process if it runs and removes the directory. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }

  /** Sends a four-letter word and returns the whole answer (the server closes the connection). */
  fourLetter(word: string, timeoutMs = 5000): Promise<string> {
    return fourLetterWord(this.host, this.port, word, timeoutMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Whether the server serves clients: `srvr` shows its zxid (ZooKeeper
 * listens, and answers four-letter words, before it serves), or the word is
 * not whitelisted and the port accepts connections.
 */
async function serving(host: string, port: number): Promise<boolean> {
  try {
    const answer = await fourLetterWord(host, port, 'srvr', 1000);
    return /Zxid: 0x/.test(answer) || /not in the whitelist/.test(answer);
  } catch {
    return false;
  }
}

export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end of the answer to ${word} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => s.write(word));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** Polls `cond` until it holds; fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, cond: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(25);
  }
}
