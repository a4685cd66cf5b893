// The shell's commands: zkCli's everyday commands with zkCli's argument
// syntax (options anywhere, bundled flags, quoted arguments) and output.
// Normal output goes to `out`, errors and "Created /x" to `err`, as zkCli
// does.

import type { ClientState, CreateOptions, ZkClient } from '../client/client.js';
import { ZkError } from '../client/errors.js';
import { AddWatchMode, CreateMode, ErrorCode, OpCode, WatcherType, type ACL, type Request } from '../wire/protocol.js';
import { clientPathError, errorMessage, formatId, formatStat, hexDump, parsePerms, permString } from './shell-format.js';

/** The client operations the shell uses (a ZkClient provides them all). */
export type ShellClient = Pick<
  ZkClient,
  | 'getChildren'
  | 'getChildren2'
  | 'getData'
  | 'setData'
  | 'create'
  | 'delete'
  | 'exists'
  | 'getACL'
  | 'setACL'
  | 'addAuth'
  | 'sync'
  | 'whoAmI'
  | 'multi'
  | 'getEphemerals'
  | 'getAllChildrenNumber'
  | 'addWatch'
  | 'removeWatches'
  | 'close'
> & { readonly state: ClientState };

/** What a command needs from the running shell. */
export interface ShellContext {
  client: ShellClient | null;
  /** `host:port` the shell is (or was last) connected to. */
  host: string;
  printWatches: boolean;
  readonly history: string[];
  out(text: string): void;
  err(text: string): void;
  /** Connects to `host` (the `connect` command), replacing the current client. */
  connect(host: string): Promise<void>;
  /** Ends the shell (the `quit` command). */
  quit(): void;
  /** Time zone for dates (default: the local one). */
  timeZone?: string;
}

/** A command failure: the message zkCli prints and the exit code it sets. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface OptionSpec {
  arg: boolean;
  desc: string;
}

interface Parsed {
  /** positional arguments, the command name first (as zkCli counts them) */
  args: string[];
  opts: Map<string, string | true>;
}

interface Command {
  name: string;
  syntax: string;
  options: Record<string, OptionSpec>;
  /** whether the usage text lists the options (zkCli does for get and set) */
  listOptions?: boolean;
  run(ctx: ShellContext, p: Parsed, client: ShellClient): Promise<void>;
}

const TTL_MAX = 0xffffffffff;

/** Splits a command line as zkCli does: whitespace-separated, '…' and "…" quote. */
export function tokenize(line: string): string[] {
  const re = /\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*/g;
  const out: string[] = [];
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    let v = m[1]!;
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) v = v.slice(1, -1);
    out.push(v);
  }
  return out;
}

// zkCli shows option errors as the text of the commons-cli exception behind them.
const UNRECOGNIZED = 'org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: ';
const MISSING = 'org.apache.commons.cli.MissingArgumentException: Missing argument for option: ';

/** Parses options the way commons-cli's DefaultParser does for zkCli's commands. */
export function parseOptions(words: string[], options: Record<string, OptionSpec>): Parsed {
  const args: string[] = [];
  const opts = new Map<string, string | true>();
  let onlyArgs = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (onlyArgs || !w.startsWith('-') || w.length === 1) {
      args.push(w);
      continue;
    }
    if (w === '--') {
      onlyArgs = true;
      continue;
    }
    const name = w.replace(/^--?/, '');
    const spec = options[name];
    if (spec !== undefined) {
      if (spec.arg) {
        const v = words[i + 1];
        if (v === undefined) throw new CliError(`${MISSING}${name}`);
        opts.set(name, v);
        i++;
      } else {
        opts.set(name, true);
      }
      continue;
    }
    if (w.startsWith('--')) throw new CliError(`${UNRECOGNIZED}${w}`);
    // -v3 (option with its value attached) or -es (bundled flags)
    for (let k = 0; k < name.length; k++) {
      const s = options[name[k]!];
      if (s === undefined) throw new CliError(`${UNRECOGNIZED}${k === 0 ? w : '-' + name.slice(k)}`);
      if (s.arg) {
        const rest = name.slice(k + 1);
        if (rest !== '') opts.set(name[k]!, rest);
        else {
          const v = words[i + 1];
          if (v === undefined) throw new CliError(`${MISSING}${name[k]}`);
          opts.set(name[k]!, v);
          i++;
        }
        break;
      }
      opts.set(name[k]!, true);
    }
  }
  return { args, opts };
}

/** The usage text: syntax, then (for get and set, as zkCli) the options as commons-cli lists them. */
function usageOf(cmd: Command): string {
  const head = `${cmd.name} ${cmd.syntax}`;
  if (cmd.listOptions !== true) return head;
  const names = Object.keys(cmd.options).sort();
  const labels = names.map((n) => `-${n}${cmd.options[n]!.arg ? ' <arg>' : ''}`);
  const width = Math.max(...labels.map((l) => l.length));
  return [head, ...names.map((n, i) => ` ${labels[i]!.padEnd(width)}   ${cmd.options[n]!.desc}`)].join('\n');
}

function intOption(p: Parsed, name: string, fallback: number, what: string): number {
  const v = p.opts.get(name);
  if (v === undefined || v === true) return fallback;
  if (!/^[+-]?\d+$/.test(v) || Number(v) > 0x7fffffff || Number(v) < -0x80000000) {
    throw new CliError(`-${name} argument must be ${what}`);
  }
  return Number(v);
}

function checkPath(path: string, sequential = false): void {
  const e = clientPathError(path, sequential);
  if (e !== null) throw new CliError(e);
}

/** Runs a client call; a ZkError becomes the message zkCli prints for it. */
async function zk<T>(path: string | undefined, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ZkError) throw new CliError(errorMessage(e, path));
    throw e;
  }
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

function text(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
}

/** AclParser: `scheme:id:perms[,…]`; malformed entries are reported and skipped. */
export function parseAcl(s: string, warn: (msg: string) => void): ACL[] {
  const out: ACL[] = [];
  for (const a of s.split(',')) {
    const first = a.indexOf(':');
    const last = a.lastIndexOf(':');
    if (first === -1 || first === last) {
      warn(`${a} does not have the form scheme:id:perm`);
      continue;
    }
    out.push({
      id: { scheme: a.slice(0, first), id: a.slice(first + 1, last) },
      perms: parsePerms(a.slice(last + 1), warn),
    });
  }
  return out;
}

function childPath(parent: string, child: string): string {
  return (parent === '/' ? '' : parent) + '/' + child;
}

/** ZKUtil.listSubTreeBFS: the node and every descendant, breadth first. */
async function subTreeBFS(client: ShellClient, root: string): Promise<string[]> {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    const node = tree[i]!;
    for (const child of await client.getChildren(node)) tree.push(childPath(node, child));
  }
  return tree;
}

/** ZKUtil.visitSubTreeDFS: the node, then each level's children before their subtrees. */
async function visitSubTree(
  client: ShellClient,
  path: string,
  watch: boolean,
  visit: (p: string) => Promise<void> | void,
): Promise<void> {
  await client.getData(path, watch);
  await visit(path);
  const helper = async (p: string): Promise<void> => {
    let children: string[];
    try {
      children = (await client.getChildren(p, watch)).sort();
    } catch (e) {
      if (e instanceof ZkError && e.code === ErrorCode.NoNode) return;
      throw e;
    }
    for (const c of children) await visit(childPath(p, c));
    for (const c of children) await helper(childPath(p, c));
  };
  await helper(path);
}

function deprecatedWatchArg(ctx: ShellContext, p: Parsed, name: string, newSyntax: string): void {
  if (p.args.length > 2) {
    ctx.err(`'${name} path [watch]' has been deprecated. Please use '${name} ${newSyntax}' instead.\n`);
    p.args.splice(2, 1);
    p.opts.set('w', true);
  }
}

function needArgs(cmd: Command, p: Parsed, n: number): void {
  if (p.args.length < n) throw new CliError(usageOf(cmd));
}

const commands: Command[] = [
  {
    name: 'ls',
    syntax: '[-s] [-w] [-R] path',
    options: { '?': { arg: false, desc: 'help' }, s: { arg: false, desc: 'stat' }, w: { arg: false, desc: 'watch' }, R: { arg: false, desc: 'recurse' } },
    async run(ctx, p, client) {
      deprecatedWatchArg(ctx, p, 'ls', '[-w] path');
      needArgs(this, p, 2);
      const path = p.args[1]!;
      const watch = p.opts.has('w');
      checkPath(path);
      if (p.opts.has('R')) {
        await zk(path, () => visitSubTree(client, path, watch, (x) => ctx.out(x + '\n')));
        return;
      }
      if (p.opts.has('s')) {
        const { children, stat } = await zk(path, () => client.getChildren2(path, watch));
        ctx.out(`[${children.sort().join(', ')}]\n` + formatStat(stat, ctx.timeZone));
      } else {
        const children = await zk(path, () => client.getChildren(path, watch));
        ctx.out(`[${children.sort().join(', ')}]\n`);
      }
    },
  },
  {
    name: 'get',
    syntax: '[-s] [-w] [-b] [-x] path',
    listOptions: true,
    options: {
      s: { arg: false, desc: 'Print znode stats additionally' },
      w: { arg: false, desc: 'Watch for changes on the znode' },
      b: { arg: false, desc: 'Output data in base64 format' },
      x: { arg: false, desc: 'Output data in hexdump format' },
    },
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      deprecatedWatchArg(ctx, p, 'get', '[-s] [-w] path');
      const path = p.args[1]!;
      checkPath(path);
      const { data, stat } = await zk(path, () => client.getData(path, p.opts.has('w')));
      const bytes = data ?? utf8('null');
      const shown = p.opts.has('x') ? hexDump(bytes) : p.opts.has('b') ? Buffer.from(bytes).toString('base64') : text(bytes);
      ctx.out(shown + '\n');
      if (p.opts.has('s')) ctx.out(formatStat(stat, ctx.timeZone));
    },
  },
  {
    name: 'set',
    syntax: 'path data [-s] [-v version] [-b]',
    listOptions: true,
    options: {
      s: { arg: false, desc: 'Print znode stats additionally' },
      v: { arg: true, desc: 'Set with an expected version' },
      b: { arg: false, desc: 'Supply data in base64 format' },
    },
    async run(ctx, p, client) {
      needArgs(this, p, 3);
      const path = p.args[1]!;
      const data = p.opts.has('b') ? Buffer.from(p.args[2]!, 'base64') : utf8(p.args[2]!);
      const version = intOption(p, 'v', -1, 'an int value');
      checkPath(path);
      const stat = await zk(path, () => client.setData(path, data, version));
      if (p.opts.has('s')) ctx.out(formatStat(stat, ctx.timeZone));
    },
  },
  {
    name: 'create',
    syntax: '[-s] [-e] [-c] [-t ttl] path [data] [acl]',
    options: {
      e: { arg: false, desc: 'ephemeral' },
      s: { arg: false, desc: 'sequential' },
      c: { arg: false, desc: 'container' },
      t: { arg: true, desc: 'ttl' },
    },
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      const e = p.opts.has('e');
      const s = p.opts.has('s');
      const c = p.opts.has('c');
      const t = p.opts.get('t');
      if (c && (e || s)) {
        throw new CliError('-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.');
      }
      let ttl = 0;
      if (t !== undefined) {
        if (t === true || !/^[+-]?\d+$/.test(t)) throw new CliError('-t argument must be a long value');
        ttl = Number(t);
      }
      if (t !== undefined && e) throw new CliError('TTLs cannot be used with Ephemeral znodes');
      if (t !== undefined && c) throw new CliError('TTLs cannot be used with Container znodes');
      let mode: number;
      if (e && s) mode = CreateMode.EPHEMERAL_SEQUENTIAL;
      else if (e) mode = CreateMode.EPHEMERAL;
      else if (s) mode = t !== undefined ? CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL : CreateMode.PERSISTENT_SEQUENTIAL;
      else if (c) mode = CreateMode.CONTAINER;
      else mode = t !== undefined ? CreateMode.PERSISTENT_WITH_TTL : CreateMode.PERSISTENT;
      if (t !== undefined && (ttl <= 0 || ttl > TTL_MAX)) {
        throw new CliError(`ttl must be positive and cannot be larger than: ${TTL_MAX}`);
      }
      const path = p.args[1]!;
      const data = p.args.length > 2 ? utf8(p.args[2]!) : null;
      const opts: CreateOptions = { mode };
      if (p.args.length > 3) opts.acl = parseAcl(p.args[3]!, (m) => ctx.err(m + '\n'));
      if (t !== undefined) opts.ttl = ttl;
      checkPath(path, s);
      try {
        const created = await client.create(path, data, opts);
        ctx.err(`Created ${created}\n`);
      } catch (x) {
        if (x instanceof ZkError && x.code === ErrorCode.EphemeralOnLocalSession) {
          ctx.err('Unable to create ephemeral node on a local session\n');
        } else if (x instanceof ZkError && x.code === ErrorCode.InvalidACL) {
          ctx.err(x.message + '\n');
        }
        if (x instanceof ZkError) throw new CliError(errorMessage(x, path));
        throw x;
      }
    },
  },
  {
    name: 'delete',
    syntax: '[-v version] path',
    options: { v: { arg: true, desc: 'version' } },
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      if (p.args.length > 2) {
        ctx.err("'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.\n");
      }
      const path = p.args[1]!;
      const version = intOption(p, 'v', -1, 'an int value');
      checkPath(path);
      await zk(path, () => client.delete(path, version));
    },
  },
  {
    name: 'deleteall',
    syntax: 'path [-b batch size]',
    options: { b: { arg: true, desc: 'batch size' } },
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      const batch = intOption(p, 'b', 1000, 'an int value');
      const path = p.args[1]!;
      checkPath(path);
      const tree = await zk(path, () => subTreeBFS(client, path));
      if (batch <= 0) {
        for (let i = tree.length - 1; i >= 0; i--) await zk(tree[i], () => client.delete(tree[i]!));
        return;
      }
      let ok = true;
      for (let end = tree.length; end > 0 && ok; end -= batch) {
        const ops: Request[] = [];
        for (let i = end - 1; i >= Math.max(0, end - batch); i--) ops.push({ type: OpCode.delete, path: tree[i]!, version: -1 });
        ok = await client.multi(ops).then(
          () => true,
          () => false,
        );
      }
      if (!ok) ctx.err('Failed to delete some node(s) in the subtree!\n');
    },
  },
  {
    name: 'stat',
    syntax: '[-w] path',
    options: { w: { arg: false, desc: 'watch' } },
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      deprecatedWatchArg(ctx, p, 'stat', '[-w] path');
      const path = p.args[1]!;
      checkPath(path);
      const stat = await zk(path, () => client.exists(path, p.opts.has('w')));
      if (stat === null) throw new CliError(`Node does not exist: ${path}`);
      ctx.out(formatStat(stat, ctx.timeZone));
    },
  },
  {
    name: 'getAcl',
    syntax: '[-s] path',
    options: { s: { arg: false, desc: 'stats' } },
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      const path = p.args[1]!;
      checkPath(path);
      const { acl, stat } = await zk(path, () => client.getACL(path));
      for (const a of acl) ctx.out(`${formatId(a.id)}: ${permString(a.perms)}\n`);
      if (p.opts.has('s')) ctx.out(formatStat(stat, ctx.timeZone));
    },
  },
  {
    name: 'setAcl',
    syntax: '[-s] [-v version] [-R] path acl',
    options: { s: { arg: false, desc: 'stats' }, v: { arg: true, desc: 'version' }, R: { arg: false, desc: 'recursive' } },
    async run(ctx, p, client) {
      needArgs(this, p, 3);
      const path = p.args[1]!;
      const acl = parseAcl(p.args[2]!, (m) => ctx.err(m + '\n'));
      const version = intOption(p, 'v', -1, 'an int value');
      checkPath(path);
      if (p.opts.has('R')) {
        await zk(path, () =>
          visitSubTree(client, path, false, async (x) => {
            try {
              await client.setACL(x, acl, version);
            } catch (e) {
              if (!(e instanceof ZkError)) throw e;
              ctx.out(e.message);
            }
          }),
        );
        return;
      }
      const stat = await zk(path, () => client.setACL(path, acl, version));
      if (p.opts.has('s')) ctx.out(formatStat(stat, ctx.timeZone));
    },
  },
  {
    name: 'addauth',
    syntax: 'scheme auth',
    options: {},
    async run(_ctx, p, client) {
      needArgs(this, p, 2);
      const auth = p.args.length > 2 ? utf8(p.args[2]!) : null;
      await zk(undefined, () => client.addAuth(p.args[1]!, auth));
    },
  },
  {
    name: 'sync',
    syntax: 'path',
    options: {},
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      const path = p.args[1]!;
      checkPath(path);
      try {
        await client.sync(path);
        ctx.out('Sync is OK\n');
      } catch (e) {
        if (!(e instanceof ZkError)) throw e;
        ctx.out(`Sync has failed. rc=${e.code}\n`);
      }
    },
  },
  {
    name: 'whoami',
    syntax: '',
    options: {},
    async run(ctx, _p, client) {
      const infos = await zk(undefined, () => client.whoAmI());
      ctx.out('Auth scheme: User\n' + infos.map((i) => `${i.authScheme}: ${i.user}\n`).join(''));
    },
  },
  {
    name: 'getEphemerals',
    syntax: 'path',
    options: {},
    async run(ctx, p, client) {
      const path = p.args[1] ?? '/';
      if (p.args.length > 1) checkPath(path);
      const list = await zk(path, () => client.getEphemerals(path));
      ctx.out(`[${list.join(', ')}]\n`);
    },
  },
  {
    name: 'getAllChildrenNumber',
    syntax: 'path',
    options: {},
    async run(ctx, p, client) {
      needArgs(this, p, 2);
      const path = p.args[1]!;
      checkPath(path);
      ctx.out(`${await zk(path, () => client.getAllChildrenNumber(path))}\n`);
    },
  },
  {
    name: 'addWatch',
    syntax: '[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE',
    options: { m: { arg: true, desc: '' } },
    async run(_ctx, p, client) {
      if (p.args.length !== 2) throw new CliError(usageOf(this));
      const m = p.opts.get('m');
      let mode: number = AddWatchMode.PersistentRecursive;
      if (typeof m === 'string') {
        const u = m.toUpperCase();
        if (u === 'PERSISTENT') mode = AddWatchMode.Persistent;
        else if (u !== 'PERSISTENT_RECURSIVE') throw new CliError(usageOf(this));
      }
      const path = p.args[1]!;
      checkPath(path);
      await zk(path, () => client.addWatch(path, mode));
    },
  },
  {
    name: 'removewatches',
    syntax: 'path [-c|-d|-a] [-l]',
    options: {
      c: { arg: false, desc: 'child watcher type' },
      d: { arg: false, desc: 'data watcher type' },
      p: { arg: false, desc: 'persistent watcher type' },
      r: { arg: false, desc: 'persistent recursive watcher type' },
      a: { arg: false, desc: 'any watcher type' },
      l: { arg: false, desc: 'remove locally when there is no server connection' },
    },
    async run(_ctx, p, client) {
      needArgs(this, p, 2);
      const type = p.opts.has('c')
        ? WatcherType.Children
        : p.opts.has('d')
          ? WatcherType.Data
          : p.opts.has('p')
            ? WatcherType.Persistent
            : p.opts.has('r')
              ? WatcherType.PersistentRecursive
              : WatcherType.Any;
      const path = p.args[1]!;
      checkPath(path);
      await zk(path, () => client.removeWatches(path, type));
    },
  },
  {
    name: 'printwatches',
    syntax: 'on|off',
    options: {},
    async run(ctx, p) {
      if (p.args.length === 1) ctx.out(`printwatches is ${ctx.printWatches ? 'on' : 'off'}\n`);
      else ctx.printWatches = p.args[1] === 'on';
    },
  },
  {
    name: 'history',
    syntax: '',
    options: {},
    async run(ctx) {
      const n = ctx.history.length;
      for (let i = Math.max(0, n - 11); i < n; i++) ctx.out(`${i} - ${ctx.history[i]}\n`);
    },
  },
  {
    name: 'close',
    syntax: '',
    options: {},
    async run(ctx) {
      await ctx.client?.close();
    },
  },
  {
    name: 'connect',
    syntax: 'host:port',
    options: {},
    async run(ctx, p) {
      await ctx.connect(p.args[1] ?? ctx.host);
    },
  },
  {
    name: 'quit',
    syntax: '',
    options: {},
    async run(ctx) {
      ctx.quit();
    },
  },
];

const byName = new Map(commands.map((c) => [c.name, c]));
/** Commands that do not need a live session. */
const local = new Set(['printwatches', 'history', 'connect', 'quit', 'close']);

/** zkCli's usage text: the invocation, then every command and its syntax. */
export function usage(): string {
  const lines = ['verikeeper shell -server host:port -timeout ms [-r] cmd args'];
  for (const name of [...byName.keys(), 'help'].sort()) {
    lines.push(`\t${name} ${name === 'help' ? '' : byName.get(name)!.syntax}`);
  }
  return lines.join('\n') + '\n';
}

function alive(state: ClientState): boolean {
  return state !== 'CLOSED' && state !== 'AUTH_FAILED';
}

/**
 * Runs one command given as words (the command name first); returns the
 * exit code zkCli would set: 0, 1 for a failed command, 127 for an unknown
 * one.
 */
export async function runCommand(ctx: ShellContext, words: string[]): Promise<number> {
  const name = words[0];
  if (name === undefined) return 0;
  if (name === 'help') {
    ctx.out(usage());
    return 0;
  }
  const cmd = byName.get(name);
  try {
    if (cmd === undefined) {
      ctx.err(usage());
      throw new CliError(`Command not found: ${name}`, 127);
    }
    if (!local.has(name) && (ctx.client === null || !alive(ctx.client.state))) {
      ctx.out('Not connected\n');
      return 0;
    }
    const parsed = parseOptions(words, cmd.options);
    await cmd.run(ctx, parsed, ctx.client!);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      ctx.err(e.message + '\n');
      return e.exitCode;
    }
    ctx.err(errorMessage(e) + '\n');
    return 1;
  }
}

/** Runs one line as typed at the prompt; blank lines do nothing. */
export async function runLine(ctx: ShellContext, line: string): Promise<number> {
  const words = tokenize(line);
  if (words.length === 0) return 0;
  ctx.history.push(line);
  return runCommand(ctx, words);
}
