// The virtual network of the partition suites (netns.ts) checked on its
// own: every way through the switch carries TCP, a cut silences exactly the
// two members it names to each other (both ways; the clients' namespace
// still reaches both), and healing mends it. Proof that the partition
// suites cut what they say they cut.

import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { VirtualNetwork, netnsUnavailable } from './netns.js';

const unavailable = netnsUnavailable();
if (unavailable !== null) console.warn(`network namespace suite skipped: ${unavailable}`);

/**
 * A process in member `id`'s namespace (or in the test's, with no address)
 * that greets whoever connects to port 7000 of its address and, for each
 * line of JSON [hosts, withinMs] on its stdin, writes a line of JSON: what
 * a connection from there to port 7000 of each host saw within withinMs,
 * 'answered' (the greeting came), 'silence' (nothing came back: the packets
 * were dropped) or 'refused: <code>' (an error came back).
 */
const GREETER = `function probe(hosts, withinMs) {
  return Promise.all(hosts.map((host) => new Promise((resolve) => {
    const s = require('net').connect({ host, port: 7000 });
    const done = (what) => { clearTimeout(t); s.destroy(); resolve(what); };
    const t = setTimeout(() => done('silence'), withinMs);
    s.on('data', () => done('answered'));
    s.on('error', (e) => done('refused: ' + e.code));
  })));
}
if (process.argv[1]) require('net').createServer((s) => s.end('hi')).listen(7000, process.argv[1], () => console.log('up'));
else console.log('up');
require('readline').createInterface({ input: process.stdin }).on('line', async (l) => console.log(JSON.stringify(await probe(...JSON.parse(l)))));`;

class Greeter {
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private exit: number | string | null = null;

  private constructor(private readonly proc: ChildProcess) {
    readline.createInterface({ input: proc.stdout! }).on('line', (l) => {
      this.lines.push(l);
      this.waiter?.();
    });
    proc.once('exit', (code, signal) => {
      this.exit = code ?? signal ?? 'exited';
      this.waiter?.();
    });
  }

  static async start(net: VirtualNetwork, id: number | null): Promise<Greeter> {
    const [cmd, ...args] = id === null ? [process.execPath, '-e', GREETER] : [...net.wrapper(id), process.execPath, '-e', GREETER, net.address(id)];
    const g = new Greeter(spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] }));
    if ((await g.next()) !== 'up') throw new Error(`the greeter of ${id === null ? 'the test' : `member ${id}`} did not start`);
    return g;
  }

  /** The next line it writes. */
  private async next(): Promise<string> {
    while (this.lines.length === 0) {
      if (this.exit !== null) throw new Error(`the greeter exited (${this.exit})`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.lines.shift()!;
  }

  async probe(hosts: string[], withinMs: number): Promise<string[]> {
    this.proc.stdin!.write(JSON.stringify([hosts, withinMs]) + '\n');
    return JSON.parse(await this.next()) as string[];
  }

  stop(): void {
    this.proc.kill('SIGKILL');
  }
}

describe.skipIf(unavailable !== null)(`a network of namespaces${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('carries TCP every way; a cut silences the two members it names to each other, both ways, and nothing else; a new split mends the old; healing mends all', async () => {
    const net = VirtualNetwork.create(3);
    const greeters: Greeter[] = [];
    try {
      // greeters[0] probes from the test's namespace, greeters[id] from member id's
      for (const id of [null, 1, 2, 3]) greeters.push(await Greeter.start(net, id));
      // every way through the switch, tried side by side; "no answer within 700 ms" is what a cut looks like
      const all = async (): Promise<Record<string, string>> => {
        const addrs = [1, 2, 3].map((id) => net.address(id));
        const seen = await Promise.all(greeters.map((g) => g.probe(addrs, 700)));
        const r: Record<string, string> = {};
        seen.forEach((answers, i) => answers.forEach((a, j) => i !== j + 1 && (r[`${i === 0 ? 'host' : i}->${j + 1}`] = a)));
        return r;
      };
      const whole = await all();
      expect(Object.values(whole).every((v) => v === 'answered'), JSON.stringify(whole)).toBe(true);
      await net.cut(1, 2);
      expect(net.cutWires).toEqual([[1, 2]]);
      expect(await all()).toEqual({ ...whole, '1->2': 'silence', '2->1': 'silence' });
      // {3} | {1, 2}: the wire 1-2 is whole again
      await net.isolate(3);
      expect(net.cutWires.sort()).toEqual([[1, 3], [2, 3]]);
      expect(await all()).toEqual({ ...whole, '1->3': 'silence', '3->1': 'silence', '2->3': 'silence', '3->2': 'silence' });
      await net.healAll();
      expect(net.cutWires).toEqual([]);
      expect(await all()).toEqual(whole);
    } finally {
      for (const g of greeters) g.stop();
      net.destroy();
    }
  });
});
