// A real run for trace checking: three `verikeeper start-foreground`
// processes on loopback ports, each writing its member trace (traceDir);
// a client writes through them; the leader is killed with SIGKILL under
// the writes; the survivors elect a new leader and take more writes; the
// old leader starts again and catches up; all stop; the members' traces are
// merged into one (./merge.ts). Every wait is for a line a member logs or a
// reply to a request, bounded by a deadline that fails the run.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ZkClient } from '../client/client.js';
import { appendCrash, traceClock } from '../server/member-trace.js';
import { readMemberTrace } from './events.js';
import { type MergeResult, mergeMemberTraces } from './merge.js';

export interface RealRunOptions {
  /** the compiled command line (dist/src/cli/main.js) */
  main: string;
  /** writes before the kill, between the kill and the restart, and after it */
  writes?: [number, number, number];
  /** how long any one wait may take, ms */
  timeoutMs?: number;
  /** keep the folder (configs, data, member traces) also when the run succeeds; a failed run keeps it */
  keep?: boolean;
}

export interface RealRunResult extends MergeResult {
  /** the member killed (the first leader) and the one that led after it */
  killed: number;
  nextLeader: number;
  /** the folder of the run: zkN/ (config, data, log) and traces/ */
  dir: string;
}

const MEMBERS = 3;
const SERVING = /(LEADING|FOLLOWING) in epoch (\d+)(?:, leader \d+)?(?:, synchronised by \w+)?: serving clients/;

class Member {
  proc: ChildProcess | null = null;
  private lines: string[] = [];
  private waiters: Array<{ re: RegExp; from: number; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void }> = [];
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly id: number,
    readonly cfg: string,
    readonly clientPort: number,
  ) {}

  start(main: string): void {
    this.lines = [];
    const proc = spawn(process.execPath, [main, 'start-foreground', this.cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let rest = '';
    const take = (chunk: Buffer): void => {
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const line of parts) this.line(line);
    };
    proc.stdout!.on('data', take);
    proc.stderr!.on('data', take);
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        for (const w of this.waiters.splice(0)) w.reject(new Error(`member ${this.id} exited (${code}) waiting for /${w.re.source}/:\n${this.lines.slice(-15).join('\n')}`));
        resolve(code);
      }),
    );
  }

  private line(line: string): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      const m = w.re.exec(line);
      if (m) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  /** The first line from now on (or, with `seen`, already logged) that matches. */
  waitFor(re: RegExp, timeoutMs: number, seen = false): Promise<RegExpExecArray> {
    if (seen) {
      for (const l of this.lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.re !== re);
        reject(new Error(`member ${this.id} logged nothing matching /${re.source}/ in ${timeoutMs} ms:\n${this.lines.slice(-15).join('\n')}`));
      }, timeoutMs);
      this.waiters.push({
        re,
        from: this.lines.length,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free port below the range the kernel hands out to outgoing connections
 * (32768 and up on Linux): a port from that range can be taken by a member's
 * connection to another before the member it was meant for listens on it.
 */
async function freePort(taken: Set<number>): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 10000 + Math.floor(Math.random() * 22000);
    if (taken.has(port)) continue;
    taken.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port between 10000 and 32000');
}

async function write(client: ZkClient, prefix: string, n: number): Promise<void> {
  // a few at a time: proposals overlap in flight
  for (let i = 0; i < n; i += 4) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 4); k++) batch.push(client.create(`/${prefix}-${k}`, `value ${k}`));
    await Promise.all(batch);
  }
}

export async function realRun(o: RealRunOptions): Promise<RealRunResult> {
  const [before, between, after] = o.writes ?? [12, 8, 4];
  const timeout = o.timeoutMs ?? 30000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verikeeper-real-'));
  const traceDir = path.join(dir, 'traces');
  const ports = [];
  const taken = new Set<number>();
  for (let i = 0; i < MEMBERS; i++) ports.push({ client: await freePort(taken), quorum: await freePort(taken), election: await freePort(taken) });
  const members: Member[] = [];
  for (let id = 1; id <= MEMBERS; id++) {
    const home = path.join(dir, `zk${id}`);
    mkdirSync(path.join(home, 'data'), { recursive: true });
    writeFileSync(path.join(home, 'data', 'myid'), `${id}\n`);
    const lines = [
      'tickTime=200',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${path.join(home, 'data')}`,
      `clientPort=${ports[id - 1]!.client}`,
      'clientPortAddress=127.0.0.1',
      `traceDir=${traceDir}`,
      ...ports.map((p, k) => `server.${k + 1}=127.0.0.1:${p.quorum}:${p.election}`),
    ];
    const cfg = path.join(home, 'zoo.cfg');
    writeFileSync(cfg, lines.join('\n') + '\n');
    members.push(new Member(id, cfg, ports[id - 1]!.client));
  }
  const connectString = members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  let client: ZkClient | null = null;
  let ok = false;
  try {
    for (const m of members) m.start(o.main);
    const roles = await Promise.all(members.map((m) => m.waitFor(SERVING, timeout, true)));
    const killed = roles.findIndex((r) => r[1] === 'LEADING') + 1;
    if (killed === 0) throw new Error('no member leads');
    client = await ZkClient.connect({ connectString, sessionTimeout: 10000, connectTimeout: timeout });
    await write(client, 'before', before);

    // the leader dies with writes in flight
    const victim = members[killed - 1]!;
    const inFlight = write(client, 'during', between).catch(() => undefined);
    const survivors = members.filter((m) => m !== victim);
    const newRoles = survivors.map((m) => m.waitFor(SERVING, timeout));
    const t = traceClock();
    victim.proc!.kill('SIGKILL');
    await victim.exited;
    appendCrash(traceDir, killed, t);
    const next = await Promise.all(newRoles);
    const nextLeader = survivors[next.findIndex((r) => r[1] === 'LEADING')]?.id;
    if (nextLeader === undefined) throw new Error('no survivor leads after the kill');
    await inFlight;
    await write(client, 'after-kill', between);

    // the old leader comes back and is brought up to date
    victim.start(o.main);
    await victim.waitFor(SERVING, timeout);
    await write(client, 'after-restart', after);
    await client.close();
    client = null;

    const stopped = traceClock();
    for (const m of members) m.proc!.kill('SIGTERM');
    const codes = await Promise.all(members.map((m) => m.exited));
    if (codes.some((c) => c !== 0)) throw new Error(`members exited with ${codes.join(', ')} on SIGTERM`);

    const files = readdirSync(traceDir).filter((f) => /^member-\d+\.ndjson$/.test(f)).sort();
    const merged = mergeMemberTraces(
      files.map((f) => ({ name: f, parts: readMemberTrace(readFileSync(path.join(traceDir, f), 'utf8'), f) })),
      `real ensemble of ${MEMBERS} processes: ${before} writes, SIGKILL of leader ${killed}, ${between} writes, leader ${nextLeader}, restart of ${killed}, ${after} writes`,
      stopped,
    );
    ok = true;
    return { ...merged, killed, nextLeader, dir };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n(the run's configs, data and member traces: ${dir})`);
  } finally {
    if (client) await client.close().catch(() => undefined);
    for (const m of members) if (m.proc && m.proc.exitCode === null && m.proc.signalCode === null) m.proc.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
    if (ok && !o.keep) rmSync(dir, { recursive: true, force: true });
  }
}
