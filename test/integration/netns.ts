// Members on hosts of their own, for the partition suites: each member runs
// in a Linux network namespace with one interface, plugged by a veth pair
// into a bridge (a switch) that lives in a namespace of its own; the test's
// own namespace is plugged into the same switch, so clients reach every
// member over the virtual wire. Everything is made with iproute2's `ip`, as
// root.
//
//   host ns: vkn-…(10.a.b.254) ─┐
//                               │ switch ns: br0
//   member ns m1: eth0 10.a.b.1 ┤
//   member ns m2: eth0 10.a.b.2 ┤
//   member ns m3: eth0 10.a.b.3 ┘
//
// A cut between two members makes each one's neighbour entry for the other
// point at a MAC address that no port has: their frames are flooded by the
// switch and taken by nobody. Packets between the two vanish silently, as on
// a pulled cable (no reset, no "unreachable"); each still reaches the third
// member and the clients. Healing removes the entries and ARP finds the real
// addresses again. This needs nothing beyond the bridge and veth drivers
// (no tc qdiscs, classifiers or actions, no netfilter), which every kernel
// that has network namespaces has.
//
// Names carry the test process's id (`vkn-<pid base 36>-<random>`) so that
// runs in parallel never collide; a run removes what an earlier run whose
// process is gone left behind (a crashed worker), and its own networks when
// the test ends or the process exits.

import { execFile, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';

const PREFIX = 'vkn-';
/** A locally administered MAC address that no interface here has: frames to it go nowhere. */
const NOWHERE = '02:00:00:00:0b:ad';
const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];

let ipPath: string | null = null;

function ipBinary(): string {
  if (ipPath === null) ipPath = IP_CANDIDATES.find((p) => existsSync(p)) ?? 'ip';
  return ipPath;
}

/** Runs `ip <args>`; throws with what it printed on failure. */
function ip(...args: string[]): string {
  try {
    return execFileSync(ipBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

/** `ip <args>` without blocking: the cuts of a partition are made side by side. */
function ipAsync(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(ipBinary(), args, { encoding: 'utf8' }, (e, _out, stderr) =>
      e ? reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || e.message}`)) : resolve(),
    ),
  );
}

function quietly(f: () => unknown): void {
  try {
    f();
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(name: string): number | null {
  const m = /^vkn-([0-9a-z]+)-/.exec(name);
  return m ? parseInt(m[1]!, 36) : null;
}

/** Namespaces and host links of earlier runs whose process is gone: their processes are killed, they are deleted. */
function sweepLeftovers(): void {
  // (this runs before the process makes its first network: one named after its own id is an earlier process's)
  const stale = (name: string): boolean => {
    const owner = ownerOf(name);
    return owner !== null && (owner === process.pid || !alive(owner));
  };
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!stale(name)) continue;
    for (const pid of ip('netns', 'pids', name).split('\n').filter(Boolean)) quietly(() => process.kill(Number(pid), 'SIGKILL'));
    quietly(() => ip('netns', 'delete', name));
  }
  const links = JSON.parse(ip('-j', 'link', 'show')) as Array<{ ifname: string }>;
  for (const l of links) if (stale(l.ifname)) quietly(() => ip('link', 'delete', l.ifname));
}

/**
 * Why members cannot be put in network namespaces here, or null when they
 * can: it tries the whole construction once, on a small scale.
 */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces are a Linux feature (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root: creating network namespaces, veth pairs and bridges needs root';
  try {
    ip('-V');
  } catch {
    return "iproute2's `ip` is not installed (scripts/install-debian.sh installs it)";
  }
  let net: VirtualNetwork | null = null;
  try {
    net = VirtualNetwork.create(2);
    execFileSync(ipBinary(), ['netns', 'exec', net.namespace(1), ipBinary(), 'address', 'show', 'dev', 'eth0'], { stdio: 'ignore' });
    const n = net.namespace(1);
    ip('-n', n, 'neigh', 'replace', net.address(2), 'lladdr', NOWHERE, 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', n, 'neigh', 'delete', net.address(2), 'dev', 'eth0');
    return null;
  } catch (e) {
    return `cannot build a network of namespaces here: ${(e as Error).message}`;
  } finally {
    net?.destroy();
  }
}

const networks = new Set<VirtualNetwork>();
let swept = false;
process.on('exit', () => {
  for (const n of networks) n.destroy();
});

/** A /24 of 10.0.0.0/8 that no route or address here overlaps: its first three octets. */
function freeSubnet(): string {
  const routes = JSON.parse(ip('-j', '-4', 'route', 'show', 'table', 'all')) as Array<{ dst?: string }>;
  const addrs = JSON.parse(ip('-j', '-4', 'address', 'show')) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
  const taken: Array<[number, number]> = [];
  const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0) >>> 0;
  const add = (addr: string, len: number): void => {
    const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
    taken.push([(toInt(addr) & mask) >>> 0, mask]);
  };
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    const [a, len] = r.dst.split('/');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(a!)) add(a!, len === undefined ? 32 : Number(len));
  }
  for (const i of addrs) for (const a of i.addr_info ?? []) add(a.local, a.prefixlen);
  for (let attempt = 0; attempt < 200; attempt++) {
    const subnet = `10.${randomInt(16, 255)}.${randomInt(0, 256)}`;
    const base = toInt(`${subnet}.0`);
    // two prefixes overlap when the shorter one's mask maps both to the same network
    const clash = taken.some(([net, mask]) => {
      const m = Math.min(mask, 0xffffff00);
      return ((base & m) >>> 0) === ((net & m) >>> 0);
    });
    if (!clash) return subnet;
  }
  throw new Error('no free /24 in 10.0.0.0/8');
}

/**
 * A switch, `size` member namespaces plugged into it, and the test's own
 * namespace plugged in too. Member `id` (1-based) has address `address(id)`.
 */
export class VirtualNetwork {
  /** the cuts in force, as "a-b" with a < b */
  private readonly cuts = new Set<string>();
  private destroyed = false;

  private constructor(
    readonly tag: string,
    readonly subnet: string,
    readonly size: number,
  ) {}

  static create(size: number): VirtualNetwork {
    if (!swept) {
      swept = true;
      sweepLeftovers();
    }
    const tag = `${PREFIX}${process.pid.toString(36)}-${randomInt(36 ** 3).toString(36).padStart(3, '0')}`;
    const net = new VirtualNetwork(tag, freeSubnet(), size);
    networks.add(net);
    try {
      net.build();
    } catch (e) {
      net.destroy();
      throw e;
    }
    return net;
  }

  get switchNamespace(): string {
    return `${this.tag}-sw`;
  }

  namespace(id: number): string {
    this.check(id);
    return `${this.tag}-m${id}`;
  }

  address(id: number): string {
    this.check(id);
    return `${this.subnet}.${id}`;
  }

  /** The test's own address on the switch. */
  get hostAddress(): string {
    return `${this.subnet}.254`;
  }

  /** The command that runs a program inside member `id`'s namespace. */
  wrapper(id: number): string[] {
    return [ipBinary(), 'netns', 'exec', this.namespace(id)];
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 1 || id > this.size) throw new Error(`no member ${id} in a network of ${this.size}`);
  }

  private build(): void {
    const sw = this.switchNamespace;
    ip('netns', 'add', sw);
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');
    // the test's namespace: one end here (named after the tag, unique), the other a switch port
    ip('link', 'add', this.tag, 'type', 'veth', 'peer', 'name', 'port0', 'netns', sw);
    ip('-n', sw, 'link', 'set', 'port0', 'master', 'br0', 'up');
    ip('address', 'add', `${this.hostAddress}/24`, 'dev', this.tag);
    ip('link', 'set', this.tag, 'up');
    for (let id = 1; id <= this.size; id++) {
      const ns = this.namespace(id);
      ip('netns', 'add', ns);
      ip('-n', sw, 'link', 'add', `port${id}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', sw, 'link', 'set', `port${id}`, 'master', 'br0', 'up');
      ip('-n', ns, 'address', 'add', `${this.address(id)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  }

  private static key(a: number, b: number): string {
    return a < b ? `${a}-${b}` : `${b}-${a}`;
  }

  /** Member `from` stops (true) or starts again (false) sending to member `to`. */
  private blind(from: number, to: number, cut: boolean): Promise<void> {
    const ns = this.namespace(from);
    return cut
      ? ipAsync('-n', ns, 'neigh', 'replace', this.address(to), 'lladdr', NOWHERE, 'dev', 'eth0', 'nud', 'permanent')
      : ipAsync('-n', ns, 'neigh', 'delete', this.address(to), 'dev', 'eth0');
  }

  /**
   * Makes the wires between the pairs `cut` and `mend` so, all at once
   * (each member's entries are changed side by side, not one after the
   * other); resolves when every change is in force.
   */
  private async change(cut: Array<[number, number]>, mend: Array<[number, number]>): Promise<void> {
    const steps: Array<Promise<void>> = [];
    for (const [a, b] of cut) steps.push(this.blind(a, b, true), this.blind(b, a, true));
    for (const [a, b] of mend) steps.push(this.blind(a, b, false), this.blind(b, a, false));
    const results = await Promise.allSettled(steps);
    for (const [a, b] of cut) this.cuts.add(VirtualNetwork.key(a, b));
    for (const [a, b] of mend) this.cuts.delete(VirtualNetwork.key(a, b));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Cuts the wire between members `a` and `b`, both ways; both keep reaching everyone else. */
  cut(a: number, b: number): Promise<void> {
    return this.change([[a, b]], []);
  }

  /** Mends the wire between `a` and `b`. */
  heal(a: number, b: number): Promise<void> {
    return this.change([], [[a, b]]);
  }

  /**
   * Splits the members into `groups` (every member in exactly one): wires
   * between groups are cut, wires inside a group are whole. Clients reach
   * every member whatever the split.
   */
  partition(...groups: number[][]): Promise<void> {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (let id = 1; id <= this.size; id++) if (!groupOf.has(id)) throw new Error(`member ${id} is in no group of ${JSON.stringify(groups)}`);
    const cut: Array<[number, number]> = [];
    const mend: Array<[number, number]> = [];
    for (let a = 1; a <= this.size; a++) {
      for (let b = a + 1; b <= this.size; b++) {
        const apart = groupOf.get(a) !== groupOf.get(b);
        const isCut = this.cuts.has(VirtualNetwork.key(a, b));
        if (apart && !isCut) cut.push([a, b]);
        if (!apart && isCut) mend.push([a, b]);
      }
    }
    return this.change(cut, mend);
  }

  /** Cuts member `id` off from every other member. */
  isolate(id: number): Promise<void> {
    const rest: number[] = [];
    for (let x = 1; x <= this.size; x++) if (x !== id) rest.push(x);
    return this.partition([id], rest);
  }

  /** Mends every cut wire. */
  healAll(): Promise<void> {
    return this.change([], this.cutWires);
  }

  /** The cuts in force, as [a, b] pairs. */
  get cutWires(): Array<[number, number]> {
    return [...this.cuts].map((k) => k.split('-').map(Number) as [number, number]);
  }

  /**
   * Removes the namespaces and the links (the veth ends inside a namespace
   * go with it). Processes still running in a member namespace keep it
   * alive until they exit: stop them first.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    networks.delete(this);
    quietly(() => ip('link', 'delete', this.tag));
    for (let id = 1; id <= this.size; id++) quietly(() => ip('netns', 'delete', `${this.tag}-m${id}`));
    quietly(() => ip('netns', 'delete', this.switchNamespace));
  }
}
