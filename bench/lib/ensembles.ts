// Ensembles for the ensemble benchmark: ours (`verikeeper start-foreground`)
// or Apache ZooKeeper 3.9.5 (QuorumPeerMain), N members on loopback, each a
// process with its own dataDir, myid and zoo.cfg; the zoo.cfg has the same
// lines for both kinds (bench/lib/servers.ts, plus initLimit, syncLimit and
// the server.N lines). Members are killed (SIGKILL), stopped (SIGTERM) and
// started again on the same dataDir and ports; `srvr` says which member
// serves and which leads. Every line a member prints is kept with the wall
// time it arrived, so that a benchmark can line log lines up with a kill.
//
// An ensemble that does not come up is an error that names the member and
// shows the end of every member's output: a benchmark must not measure a
// broken ensemble, nor wait for it forever.

import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
// `srvr` is read as the integration suites read it
import { parseSrvr, type MemberStatus } from '../../test/integration/ensemble.js';
import {
  cpuSecondsOf,
  describeCommand,
  fourLetterWord,
  freePort,
  serverCommand,
  zooCfg,
  type ServerSettings,
} from './servers.js';

/** verikeeper-traced: ours with every member writing its trace (traceDir), to measure what that costs */
export type EnsembleKind = 'verikeeper' | 'verikeeper-traced' | 'zookeeper';

export { parseSrvr, type MemberStatus, type Mode } from '../../test/integration/ensemble.js';

export const ENSEMBLE_NAMES: Record<EnsembleKind, string> = {
  verikeeper: 'verikeeper',
  'verikeeper-traced': 'verikeeper, tracing',
  zookeeper: 'ZooKeeper 3.9.5',
};

/** Whether the kind is ours (traced or not). */
export function ours(kind: EnsembleKind): boolean {
  return kind !== 'zookeeper';
}

export interface EnsembleSettings extends ServerSettings {
  members: number;
  initLimit: number;
  syncLimit: number;
  /** VERIKEEPER_LOG of our members ('info' logs elections and synchronisation) */
  logLevel: 'warn' | 'info';
  /** more Node flags for our members (a CPU profile, say) */
  nodeFlags: string[];
  /** how long a member may take to start serving, ms */
  startTimeoutMs: number;
  /** where verikeeper-traced members write their traces (a folder per ensemble); by default in the ensemble's own folder, removed with it */
  traceDir?: string;
}

export interface LogLine {
  /** wall time the line arrived (Date.now()) */
  at: number;
  text: string;
}

/** The wall time of a log line: its own ISO time stamp if it starts with one (ours do), else when it arrived. */
export function lineTime(l: LogLine): number {
  const t = Date.parse(l.text.slice(0, l.text.indexOf(' ')));
  return Number.isFinite(t) ? t : l.at;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every member process still running, killed if the benchmark exits early. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export class EnsembleMember {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> | null = null;
  private partial = '';
  readonly lines: LogLine[] = [];
  command = '';

  constructor(
    readonly kind: EnsembleKind,
    readonly id: number,
    readonly clientPort: number,
    readonly dataDir: string,
    readonly cfgPath: string,
    private readonly settings: EnsembleSettings,
  ) {}

  get running(): boolean {
    return this.proc !== null;
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  /** Starts the process on its dataDir and ports; `waitServing` waits for it. */
  start(): void {
    if (this.proc !== null) throw new Error(`member ${this.id} is already running`);
    const { program, args } = serverCommand(ours(this.kind) ? 'verikeeper' : 'zookeeper', this.cfgPath, this.settings, this.settings.nodeFlags);
    this.command = describeCommand(program, args);
    const proc = spawn(program, args, {
      cwd: path.dirname(this.cfgPath),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VERIKEEPER_LOG: this.settings.logLevel },
    });
    live.add(proc);
    this.proc = proc;
    const collect = (chunk: Buffer): void => {
      const at = Date.now();
      const parts = (this.partial + chunk.toString('utf8')).split('\n');
      this.partial = parts.pop()!;
      for (const text of parts) this.lines.push({ at, text });
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        if (this.proc === proc) this.proc = null;
        this.lines.push({ at: Date.now(), text: `(member ${this.id} exited: ${signal ?? `status ${code}`})` });
        resolve();
      });
    });
  }

  /** What `srvr` says now; null when the member does not serve (or does not answer within `timeoutMs`). */
  async status(timeoutMs = 1000): Promise<MemberStatus | null> {
    if (this.proc === null) return null;
    return parseSrvr(await fourLetterWord(this.clientPort, 'srvr', timeoutMs));
  }

  /** Waits until the member serves clients; fails if it exits first or takes longer than the start timeout. */
  async waitServing(timeoutMs = this.settings.startTimeoutMs): Promise<MemberStatus> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.proc === null) throw new Error(`member ${this.id} exited before it served clients:\n${this.tail()}`);
      const s = await this.status();
      if (s !== null) return s;
      if (performance.now() > deadline) throw new Error(`member ${this.id} did not serve clients within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(20);
    }
  }

  private async signal(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const proc = this.proc;
    const exited = this.exited;
    if (proc === null || exited === null) return;
    proc.kill(sig);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** kill -9; resolves once the process is gone. */
  kill(): Promise<void> {
    return this.signal('SIGKILL', 0);
  }

  /** SIGTERM (SIGKILL after 15 s); resolves once the process is gone. */
  stop(): Promise<void> {
    return this.signal('SIGTERM', 15000);
  }

  /** CPU seconds (user + system, every thread) the running process has used. */
  cpuSeconds(): number {
    return this.proc === null || this.proc.pid === undefined ? NaN : cpuSecondsOf(this.proc.pid);
  }

  /** The line count so far: `linesSince(mark)` returns what came after. */
  mark(): number {
    return this.lines.length;
  }

  linesSince(mark: number): LogLine[] {
    return this.lines.slice(mark);
  }

  tail(n = 30): string {
    return this.lines
      .slice(-n)
      .map((l) => `  [${this.id}] ${l.text}`)
      .join('\n');
  }
}

export class Ensemble {
  private constructor(
    readonly kind: EnsembleKind,
    readonly dir: string,
    readonly members: EnsembleMember[],
  ) {}

  /**
   * Members 1..N on fresh dataDirs under `settings.baseDir`, started
   * together; resolves once every member serves and one of them leads.
   */
  static async start(kind: EnsembleKind, settings: EnsembleSettings): Promise<Ensemble> {
    const dir = await fsp.mkdtemp(path.join(settings.baseDir, `bench-ensemble-${kind}-`));
    const ports: Array<{ client: number; quorum: number; election: number }> = [];
    for (let i = 0; i < settings.members; i++) {
      ports.push({ client: await freePort(), quorum: await freePort(), election: await freePort() });
    }
    const serverLines = ports.map((p, i) => `server.${i + 1}=127.0.0.1:${p.quorum}:${p.election}`);
    const members: EnsembleMember[] = [];
    for (let i = 0; i < settings.members; i++) {
      const id = i + 1;
      const home = path.join(dir, `member${id}`);
      const dataDir = path.join(home, 'data');
      await fsp.mkdir(dataDir, { recursive: true });
      await fsp.writeFile(path.join(dataDir, 'myid'), `${id}\n`);
      const cfgPath = path.join(home, 'zoo.cfg');
      const extra = [`initLimit=${settings.initLimit}`, `syncLimit=${settings.syncLimit}`, ...serverLines];
      if (kind === 'verikeeper-traced') extra.push(`traceDir=${settings.traceDir !== undefined ? path.join(settings.traceDir, path.basename(dir)) : path.join(dir, 'traces')}`);
      await fsp.writeFile(cfgPath, zooCfg(dataDir, ports[i]!.client, settings, extra));
      members.push(new EnsembleMember(kind, id, ports[i]!.client, dataDir, cfgPath, settings));
    }
    const e = new Ensemble(kind, dir, members);
    try {
      for (const m of members) m.start();
      await Promise.all(members.map((m) => m.waitServing()));
      await e.settled(settings.startTimeoutMs);
    } catch (err) {
      const logs = e.logTails();
      await e.destroy();
      throw new Error(`the ${ENSEMBLE_NAMES[kind]} ensemble did not come up: ${(err as Error).message}\n${logs}`);
    }
    return e;
  }

  member(id: number): EnsembleMember {
    const m = this.members[id - 1];
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  get clientPorts(): number[] {
    return this.members.map((m) => m.clientPort);
  }

  /**
   * Waits until every running member (but those in `except`) serves and
   * exactly one leads; the leader's id.
   */
  async settled(timeoutMs: number, except: readonly number[] = []): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    let last = '';
    for (;;) {
      const running = this.members.filter((m) => m.running && !except.includes(m.id));
      const statuses = await Promise.all(running.map((m) => m.status()));
      const leaders = running.filter((_m, i) => statuses[i]?.mode === 'leader');
      if (statuses.every((s) => s !== null) && leaders.length === 1) return leaders[0]!.id;
      last = running.map((m, i) => `member ${m.id}: ${statuses[i]?.mode ?? 'not serving'}`).join(', ');
      if (performance.now() > deadline) throw new Error(`no single leader with every member serving within ${timeoutMs} ms (${last})`);
      await sleep(20);
    }
  }

  /** Waits until every running member's zxid is `zxid` (or more). */
  async caughtUp(zxid: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const statuses = await Promise.all(this.members.filter((m) => m.running).map((m) => m.status()));
      if (statuses.every((s) => s !== null && s.zxid >= zxid)) return;
      if (performance.now() > deadline) {
        throw new Error(`the members did not reach zxid 0x${zxid.toString(16)} within ${timeoutMs} ms (${statuses.map((s) => (s === null ? 'not serving' : `0x${s.zxid.toString(16)}`)).join(', ')})`);
      }
      await sleep(20);
    }
  }

  /** CPU seconds the running members have used, together. */
  cpuSeconds(): number {
    return this.members.filter((m) => m.running).reduce((sum, m) => sum + m.cpuSeconds(), 0);
  }

  /** The end of every member's output, for an error message. */
  logTails(n = 30): string {
    return this.members.map((m) => `member ${m.id} (${m.command}):\n${m.tail(n)}`).join('\n');
  }

  /** Stops every member (SIGTERM, so that a CPU profile is written) and removes the dataDirs. */
  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
