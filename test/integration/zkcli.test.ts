// The seeds' session, typed into Debian's stock zkCli.sh (ZooKeeper 3.8)
// and into our own `verikeeper shell`: create /zk-demo 123, get /zk-demo
// prints 123, create /Dog, create -e /Dog/Puppy 123 is seen from a second
// client and gone once the first quits, ls / lists it all.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestEnsemble } from './ensemble.js';
import { TestServer, repoRoot } from './server.js';

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
const SHELL = [process.execPath, path.join(repoRoot, 'dist/src/cli/main.js'), 'shell'];

/** The command line that starts a client against `server` (with a command: runs it and exits). */
type Cli = (server: string, ...command: string[]) => string[];

const clis: Record<string, Cli> = {
  'zkCli.sh': (server, ...command) => [ZKCLI, '-server', server, ...command],
  'verikeeper shell': (server, ...command) => [...SHELL, '-server', server, ...command],
};

/** How both print a list of children. */
const list = (names: string[]): string => `[${names.join(', ')}]`;

const running = new Set<ChildProcess>();
const servers: Array<TestServer | TestEnsemble> = [];

afterEach(async () => {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
  for (const s of servers.splice(0)) await s.destroy();
});

/** Where the session runs: a standalone server, or a member of a three-member ensemble. */
const targets: Record<string, () => Promise<string>> = {
  'a standalone server': async () => {
    const server = await TestServer.start();
    servers.push(server);
    return server.connectString;
  },
  'an ensemble member': async () => {
    const e = await TestEnsemble.start({ voters: 3 });
    servers.push(e);
    await e.settled();
    // a follower: its writes go through the leader
    for (let id = 1; id <= 3; id++) if ((await e.status(id))?.mode === 'follower') return e.member(id).connectString;
    throw new Error('no follower');
  },
};

/** A client fed line by line on stdin, its stdout and stderr collected. */
class Session {
  private out = '';
  private readonly exited: Promise<number | null>;

  constructor(private readonly proc: ChildProcess) {
    running.add(proc);
    proc.stdout!.on('data', (c: Buffer) => (this.out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (this.out += c.toString()));
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        running.delete(proc);
        resolve(code);
      }),
    );
  }

  get output(): string {
    return this.out;
  }

  /** Types `line` and waits until the output (from where it was) matches `expect`. */
  async type(line: string, expectAfter: RegExp, timeoutMs = 20000): Promise<string> {
    const from = this.out.length;
    this.proc.stdin!.write(line + '\n');
    const deadline = Date.now() + timeoutMs;
    while (!expectAfter.test(this.out.slice(from))) {
      if (Date.now() > deadline) throw new Error(`'${line}': no output matching ${expectAfter} within ${timeoutMs} ms; output:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.out.slice(from);
  }

  async quit(): Promise<number | null> {
    this.proc.stdin!.end('quit\n');
    return this.exited;
  }
}

/** Runs one command in a client of its own: its exit code and output. */
function once(argv: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(p);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} did not finish; output:\n${out}`));
    }, 30000);
    p.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(p);
      resolve({ code, out });
    });
  });
}

const lines = (out: string): string[] => out.split('\n').map((l) => l.trim());

describe.each(Object.entries(clis).flatMap(([name, cli]) => Object.entries(targets).map(([where, start]) => [name, where, cli, start] as const)))(
  "the seeds' session in %s against %s",
  (name, _where, cli, start) => {
    it.skipIf(name === 'zkCli.sh' && !existsSync(ZKCLI))(
      'create, get, an ephemeral seen by a second client and gone after the first quits, ls /',
      async () => {
        const addr = await start();
        const argv = cli(addr);
        const first = new Session(spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));

        await first.type('create /zk-demo 123', /Created \/zk-demo\n/);
        const got = await first.type('get /zk-demo', /^123$/m);
        expect(lines(got)).toContain('123');
        await first.type('create /Dog', /Created \/Dog\n/);
        await first.type('create -e /Dog/Puppy 123', /Created \/Dog\/Puppy\n/);

        const puppy = await once(cli(addr, 'get', '/Dog/Puppy'));
        expect(puppy.code).toBe(0);
        expect(lines(puppy.out)).toContain('123');
        expect(lines((await once(cli(addr, 'ls', '/Dog'))).out)).toContain(list(['Puppy']));
        const stat = await once(cli(addr, 'stat', '/Dog/Puppy'));
        expect(stat.out).toMatch(/ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*\n/);
        expect(lines((await once(cli(addr, 'ls', '/'))).out)).toContain(list(['Dog', 'zk-demo', 'zookeeper']));

        expect(await first.quit()).toBe(0);

        expect(lines((await once(cli(addr, 'ls', '/Dog'))).out)).toContain(list([]));
        const gone = await once(cli(addr, 'get', '/Dog/Puppy'));
        expect(gone.out).toMatch(/Node does not exist: \/Dog\/Puppy/);
        const all = lines((await once(cli(addr, 'ls', '/'))).out);
        expect(all).toContain(list(['Dog', 'zk-demo', 'zookeeper']));
      },
    );
  },
);
