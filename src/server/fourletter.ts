// ZooKeeper's four-letter words (`echo stat | nc host 2181`), answered with
// the same text ZooKeeper 3.9 writes: the same lines, key names, separators
// and number formats, so scripts and monitoring written for ZooKeeper work.
//
// The server provides a FourLetterContext (plain values and functions that
// return plain data); runFourLetterWord turns it into the answer. The only
// effects are the context's own reset and set functions (crst, srst, stmk).
//
// Where the output cannot be byte-for-byte ZooKeeper's:
// - ZooKeeper lists hash maps (mntr metrics, watches, sessions) in hash
//   order; here mntr keys come in the order ZooKeeper registers them, and
//   sessions and paths are sorted.
// - mntr has only the values this server keeps: ZooKeeper's hundreds of
//   per-processor summary metrics are absent.
// - Dates (`dump`) are printed as Java's Date.toString does, in UTC.
// - `envi` reports Node's analogues under ZooKeeper's keys (see fourletter-env.ts).

import path from 'node:path';
import { OpCode } from '../wire/protocol.js';
import { formatQuorumServer } from './config-quorum.js';
import type { QuorumServer, ServerConfig } from './config.js';
import { isKnownFourLetterWord } from './fourletter-words.js';
import type { FourLetterWord } from './fourletter-words.js';

export {
  DEFAULT_FOUR_LETTER_WHITELIST,
  FOUR_LETTER_WORDS,
  TELNET_CLOSE_CODE,
  fourLetterArgumentBytes,
  fourLetterCode,
  fourLetterWordOfCode,
  isFourLetterWord,
  isKnownFourLetterWord,
  parseFourLetterWhitelist,
} from './fourletter-words.js';
export type { FourLetterWhitelist, FourLetterWord } from './fourletter-words.js';

/** What a server is, as `Mode:` and `zk_server_state` print it. */
export type ServerMode = 'standalone' | 'leader' | 'follower' | 'observer' | 'read-only';

/** Latency of completed requests in ms; min and max mean nothing while count is 0. */
export interface LatencyStats {
  readonly count: number;
  readonly total: number;
  readonly min: number;
  readonly max: number;
}

/** One client connection, with the fields `cons` and `stat` print. */
export interface FourLetterConnection {
  /** The peer's IP address (an IPv4-mapped IPv6 address prints as IPv4). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** NIO interest ops: 1 reading, 4 writing, 5 both, 0 throttled. */
  readonly interestOps: number;
  readonly outstandingRequests: number;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  /** 0n until the session is established (then only the brief form prints). */
  readonly sessionId: bigint;
  /** ZooKeeper's short name of the last operation (see opShortName), `NA` before any. */
  readonly lastOperation: string;
  /** When the connection was accepted (epoch ms). */
  readonly established: number;
  readonly sessionTimeout: number;
  /** -1 before any request. */
  readonly lastCxid: number;
  /** -1 before any request. */
  readonly lastZxid: number | bigint;
  /** Epoch ms of the last response, 0 before any. */
  readonly lastResponseTime: number;
  readonly lastLatency: number;
  readonly latency: LatencyStats;
}

/** A session and the paths it holds something on (watches or ephemeral nodes). */
export interface SessionPaths {
  readonly sessionId: bigint;
  readonly paths: readonly string[];
}

/** Sessions (or connections) that expire in the same tick bucket. */
export interface ExpiryBucket<T> {
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly members: readonly T[];
}

export interface ConnectionRef {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly sessionId: bigint;
}

/** What `conf` prints (ZooKeeperServer.dumpConf and, in an ensemble, QuorumZooKeeperServer's). */
export interface FourLetterConf {
  /** The bound client port (-1 if none). */
  readonly clientPort: number;
  readonly secureClientPort: number;
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly tickTime: number;
  readonly maxClientCnxns: number;
  readonly minSessionTimeout: number;
  readonly maxSessionTimeout: number;
  readonly clientPortListenBacklog: number;
  /** 0 for a standalone server, as ZooKeeper prints it. */
  readonly serverId: number;
  readonly quorum?: {
    readonly initLimit: number;
    readonly syncLimit: number;
    readonly electionAlg: number;
    readonly electionPort: number;
    readonly quorumPort: number;
    readonly peerType: 'participant' | 'observer';
    readonly members: readonly QuorumServer[];
    /** The configuration version (the zxid that made it; 0 for a static file). */
    readonly configVersion: number | bigint;
  };
}

export interface FourLetterContext {
  /** The full version, e.g. `3.9.5-verikeeper-0.1.0, built on ...`, after `Zookeeper version: `. */
  readonly version: string;
  /** False while the server is not serving (starting, electing, stopping). */
  readonly serving: boolean;
  readonly mode: ServerMode;
  /** Quorum only: `zk_peer_state`, e.g. `following - broadcast`. */
  readonly peerState?: string;
  /** Epoch ms when the server started, and now: mntr's uptime is their difference. */
  readonly startTime: number;
  readonly now: number;
  /** The last processed zxid. */
  readonly zxid: number | bigint;
  readonly latency: LatencyStats;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly numAliveConnections: number;
  readonly outstandingRequests: number;
  readonly nodeCount: number;
  /** Data and child watches together (mntr's zk_watch_count). */
  readonly watchCount: number;
  readonly ephemeralsCount: number;
  readonly approximateDataSize: number;
  readonly globalSessions: number;
  readonly localSessions: number;
  readonly authFailedCount: number;
  /** Sizes of the last/min/max response written to a client; -1 before any. */
  readonly clientResponseSize: { readonly last: number; readonly min: number; readonly max: number };
  /** -1 where the platform cannot tell. */
  readonly openFileDescriptorCount: number;
  readonly maxFileDescriptorCount: number;
  /** Leader only: the `Proposal sizes last/min/max:` line of srvr/stat. */
  readonly proposalSizes?: { readonly last: number; readonly min: number; readonly max: number };
  /** More mntr lines after ZooKeeper's own (e.g. a leader's `learners`), in order. */
  readonly monitorExtras?: ReadonlyArray<readonly [string, number | bigint | string]>;
  /** ZooTrace's mask (gtmk). */
  readonly traceMask: bigint;
  readonly conf: FourLetterConf;

  connections(): readonly FourLetterConnection[];
  /** Watches by session (wchc, wchs; wchp is derived from it). */
  watches(): readonly SessionPaths[];
  /** Ephemeral nodes by owner session (dump). */
  ephemerals(): readonly SessionPaths[];
  sessionExpiry(): readonly ExpiryBucket<bigint>[];
  connectionExpiry(): readonly ExpiryBucket<ConnectionRef>[];
  /** Total bytes of the snapshot and log files (dirs, conf). */
  dirSizes(): { readonly dataDirSize: number; readonly logDirSize: number };
  /** `key=value` pairs of `envi`, in order. */
  environment(): ReadonlyArray<readonly [string, string]>;
  /** The tree digests by zxid (hash); empty when digests are not kept. */
  digestLog(): ReadonlyArray<{ readonly zxid: number | bigint; readonly digest: number | bigint }>;
  resetServerStats(): void;
  resetConnectionStats(): void;
  setTraceMask(mask: bigint): void;
}

/** ZooKeeper's answer to most words while it is not serving. */
export const ZK_NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

/** ZooTrace's default mask: client requests, server packets, sessions, warnings. */
export const DEFAULT_TRACE_MASK = 306n;

// ---------------------------------------------------------------------------
// Java's number and date formats

/** Long.toHexString: a 64-bit two's complement value in lowercase hex. */
export function javaHex(n: number | bigint): string {
  return BigInt.asUintN(64, BigInt(n)).toString(16);
}

/** Double.toString (shortest digits, as Java 19+ prints them). */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

/** The average as ZooKeeper's AvgMinMaxCounter reports it: rounded half-up to 4 decimals. */
export function averageLatency(l: LatencyStats): number {
  if (l.count <= 0) return 0;
  const avg = l.total / l.count;
  return Math.round(avg * 10000) / 10000;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Date.toString (`EEE MMM dd HH:mm:ss zzz yyyy`), in UTC. */
export function javaDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** An IPv6 address in Java's form: eight groups, no `::`, no leading zeros. */
function javaIPv6(addr: string): string {
  const [body, zone] = addr.split('%') as [string, string | undefined];
  let groups: string[];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  let text = body;
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = body.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  if (text.includes('::')) {
    const [head, tail] = text.split('::') as [string, string];
    const h = head === '' ? [] : head.split(':');
    const tl = tail === '' ? [] : tail.split(':');
    groups = [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  } else {
    groups = text.split(':');
  }
  const out = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  return zone === undefined ? out : `${out}%${zone}`;
}

/** InetSocketAddress.toString for an address without a host name: `/ip:port`. */
export function javaSocketAddress(address: string, port: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return `/${mapped[1]}:${port}`;
  if (address.includes(':')) return `/[${javaIPv6(address)}]:${port}`;
  return `/${address}:${port}`;
}

/** The `lop=` names ZooKeeper's FinalRequestProcessor records for each operation. */
const OP_SHORT_NAMES: ReadonlyMap<number, string> = new Map([
  [OpCode.ping, 'PING'],
  [OpCode.createSession, 'SESS'],
  [OpCode.multi, 'MULT'],
  [OpCode.multiRead, 'MLTR'],
  [OpCode.create, 'CREA'],
  [OpCode.create2, 'CREA'],
  [OpCode.createTTL, 'CREA'],
  [OpCode.createContainer, 'CREA'],
  [OpCode.delete, 'DELE'],
  [OpCode.deleteContainer, 'DELE'],
  [OpCode.setData, 'SETD'],
  [OpCode.reconfig, 'RECO'],
  [OpCode.setACL, 'SETA'],
  [OpCode.closeSession, 'CLOS'],
  [OpCode.sync, 'SYNC'],
  [OpCode.check, 'CHEC'],
  [OpCode.exists, 'EXIS'],
  [OpCode.getData, 'GETD'],
  [OpCode.setWatches, 'SETW'],
  [OpCode.setWatches2, 'STW2'],
  [OpCode.addWatch, 'ADDW'],
  [OpCode.getACL, 'GETA'],
  [OpCode.getChildren, 'GETC'],
  [OpCode.getChildren2, 'GETC'],
  [OpCode.getAllChildrenNumber, 'GETACN'],
  [OpCode.checkWatches, 'CHKW'],
  [OpCode.removeWatches, 'REMW'],
  [OpCode.whoAmI, 'HOMI'],
  [OpCode.getEphemerals, 'GETE'],
]);

/** The name `cons` shows as `lop=` after a reply to this opcode (`NA` for others). */
export function opShortName(opcode: number): string {
  return OP_SHORT_NAMES.get(opcode) ?? 'NA';
}

// ---------------------------------------------------------------------------
// The words

function connectionInfo(c: FourLetterConnection, brief: boolean): string {
  let s = ` ${javaSocketAddress(c.remoteAddress, c.remotePort)}[${c.interestOps === 0 ? '0' : c.interestOps.toString(16)}]`;
  s += `(queued=${c.outstandingRequests},recved=${c.packetsReceived},sent=${c.packetsSent}`;
  if (!brief && c.sessionId !== 0n) {
    s += `,sid=0x${javaHex(c.sessionId)},lop=${c.lastOperation},est=${c.established},to=${c.sessionTimeout}`;
    if (c.lastCxid >= 0) s += `,lcxid=0x${javaHex(c.lastCxid)}`;
    s += `,lzxid=0x${javaHex(c.lastZxid)},lresp=${c.lastResponseTime},llat=${c.lastLatency}`;
    const l = c.latency;
    s += `,minlat=${l.count > 0 ? l.min : 0},avglat=${l.count > 0 ? Math.floor(l.total / l.count) : 0},maxlat=${l.count > 0 ? l.max : 0}`;
  }
  return s + ')';
}

function stat(ctx: FourLetterContext, withClients: boolean): string {
  let out = `Zookeeper version: ${ctx.version}\n`;
  if (ctx.mode === 'read-only') out += 'READ-ONLY mode; serving only read-only clients\n';
  if (withClients) {
    out += 'Clients:\n';
    for (const c of ctx.connections()) out += `${connectionInfo(c, true)}\n`;
    out += '\n';
  }
  const l = ctx.latency;
  out += `Latency min/avg/max: ${l.count > 0 ? l.min : 0}/${javaDouble(averageLatency(l))}/${l.count > 0 ? l.max : 0}\n`;
  out += `Received: ${ctx.packetsReceived}\n`;
  out += `Sent: ${ctx.packetsSent}\n`;
  out += `Connections: ${ctx.numAliveConnections}\n`;
  out += `Outstanding: ${ctx.outstandingRequests}\n`;
  out += `Zxid: 0x${javaHex(ctx.zxid)}\n`;
  out += `Mode: ${ctx.mode}\n`;
  out += `Node count: ${ctx.nodeCount}\n`;
  if (ctx.mode === 'leader' && ctx.proposalSizes !== undefined) {
    const p = ctx.proposalSizes;
    out += `Proposal sizes last/min/max: ${p.last}/${p.min}/${p.max}\n`;
  }
  return out;
}

function mntr(ctx: FourLetterContext): string {
  const l = ctx.latency;
  const lines: Array<readonly [string, string]> = [
    ['version', ctx.version],
    ['server_state', ctx.mode],
  ];
  if (ctx.peerState !== undefined) lines.push(['peer_state', ctx.peerState]);
  const int = (k: string, v: number | bigint): void => {
    lines.push([k, String(v)]);
  };
  lines.push(['avg_latency', javaDouble(averageLatency(l))]);
  int('max_latency', l.count > 0 ? l.max : 0);
  int('min_latency', l.count > 0 ? l.min : 0);
  int('packets_received', ctx.packetsReceived);
  int('packets_sent', ctx.packetsSent);
  int('num_alive_connections', ctx.numAliveConnections);
  int('outstanding_requests', ctx.outstandingRequests);
  int('uptime', Math.max(0, ctx.now - ctx.startTime));
  int('znode_count', ctx.nodeCount);
  int('watch_count', ctx.watchCount);
  int('ephemerals_count', ctx.ephemeralsCount);
  int('approximate_data_size', ctx.approximateDataSize);
  int('global_sessions', ctx.globalSessions);
  int('local_sessions', ctx.localSessions);
  int('open_file_descriptor_count', ctx.openFileDescriptorCount);
  int('max_file_descriptor_count', ctx.maxFileDescriptorCount);
  lines.push(['connection_drop_probability', javaDouble(0)]);
  int('last_client_response_size', ctx.clientResponseSize.last);
  int('max_client_response_size', ctx.clientResponseSize.max);
  int('min_client_response_size', ctx.clientResponseSize.min);
  int('outstanding_tls_handshake', 0);
  int('auth_failed_count', ctx.authFailedCount);
  int('non_mtls_remote_conn_count', 0);
  int('non_mtls_local_conn_count', 0);
  for (const [k, v] of ctx.monitorExtras ?? []) lines.push([k, String(v)]);
  return lines.map(([k, v]) => `zk_${k}\t${v}\n`).join('');
}

function conf(ctx: FourLetterContext): string {
  const c = ctx.conf;
  const sizes = ctx.dirSizes();
  let out =
    `clientPort=${c.clientPort}\n` +
    `secureClientPort=${c.secureClientPort}\n` +
    `dataDir=${c.dataDir}\n` +
    `dataDirSize=${sizes.dataDirSize}\n` +
    `dataLogDir=${c.dataLogDir}\n` +
    `dataLogSize=${sizes.logDirSize}\n` +
    `tickTime=${c.tickTime}\n` +
    `maxClientCnxns=${c.maxClientCnxns}\n` +
    `minSessionTimeout=${c.minSessionTimeout}\n` +
    `maxSessionTimeout=${c.maxSessionTimeout}\n` +
    `clientPortListenBacklog=${c.clientPortListenBacklog}\n` +
    `serverId=${c.serverId}\n`;
  const q = c.quorum;
  if (q !== undefined) {
    out +=
      `initLimit=${q.initLimit}\n` +
      `syncLimit=${q.syncLimit}\n` +
      `electionAlg=${q.electionAlg}\n` +
      `electionPort=${q.electionPort}\n` +
      `quorumPort=${q.quorumPort}\n` +
      `peerType=${q.peerType === 'participant' ? 0 : 1}\n` +
      'membership: \n' +
      [...q.members].sort((a, b) => a.id - b.id).map((m) => `server.${m.id}=${formatQuorumServer(m)}\n`).join('') +
      `version=${javaHex(q.configVersion)}`;
  }
  return out;
}

function cons(ctx: FourLetterContext): string {
  return ctx.connections().map((c) => `${connectionInfo(c, false)}\n`).join('') + '\n';
}

const bySession = (a: SessionPaths, b: SessionPaths): number => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function watchesByPath(ws: readonly SessionPaths[]): Map<string, bigint[]> {
  const m = new Map<string, bigint[]>();
  for (const w of [...ws].sort(bySession)) {
    for (const p of w.paths) {
      const list = m.get(p);
      if (list === undefined) m.set(p, [w.sessionId]);
      else list.push(w.sessionId);
    }
  }
  return m;
}

function wchs(ctx: FourLetterContext): string {
  const ws = ctx.watches().filter((w) => w.paths.length > 0);
  const total = ws.reduce((n, w) => n + w.paths.length, 0);
  return `${ws.length} connections watching ${watchesByPath(ws).size} paths\nTotal watches:${total}\n`;
}

function wchc(ctx: FourLetterContext): string {
  let out = '';
  for (const w of [...ctx.watches()].filter((x) => x.paths.length > 0).sort(bySession)) {
    out += `0x${javaHex(w.sessionId)}\n`;
    for (const p of [...w.paths].sort(byText)) out += `\t${p}\n`;
  }
  return out + '\n';
}

function wchp(ctx: FourLetterContext): string {
  const m = watchesByPath(ctx.watches());
  let out = '';
  for (const p of [...m.keys()].sort(byText)) {
    out += `${p}\n`;
    for (const sid of m.get(p)!) out += `\t0x${javaHex(sid)}\n`;
  }
  return out + '\n';
}

function expiryDump<T>(title: string, buckets: readonly ExpiryBucket<T>[], show: (m: T) => string): string {
  const sorted = [...buckets].sort((a, b) => a.expiresAt - b.expiresAt);
  const count = sorted.reduce((n, b) => n + b.members.length, 0);
  let out = `${title} Sets (${sorted.length})/(${count}):\n`;
  for (const b of sorted) {
    out += `${b.members.length} expire at ${javaDate(b.expiresAt)}:\n`;
    for (const m of b.members) out += `\t${show(m)}\n`;
  }
  return out;
}

function dump(ctx: FourLetterContext): string {
  let out = 'SessionTracker dump:\n';
  out += expiryDump('Session', ctx.sessionExpiry(), (sid) => `0x${javaHex(sid)}`);
  out += 'ephemeral nodes dump:\n';
  const eph = [...ctx.ephemerals()].sort(bySession);
  out += `Sessions with Ephemerals (${eph.length}):\n`;
  for (const e of eph) {
    out += `0x${javaHex(e.sessionId)}:\n`;
    for (const p of [...e.paths].sort(byText)) out += `\t${p}\n`;
  }
  out += 'Connections dump:\n';
  out += expiryDump('Connections', ctx.connectionExpiry(), (c) => `ip: ${javaSocketAddress(c.remoteAddress, c.remotePort)} sessionId: 0x${javaHex(c.sessionId)}`);
  return out;
}

function dirs(ctx: FourLetterContext): string {
  const s = ctx.dirSizes();
  return `datadir_size: ${s.dataDirSize}\nlogdir_size: ${s.logDirSize}\n`;
}

function envi(ctx: FourLetterContext): string {
  return 'Environment:\n' + ctx.environment().map(([k, v]) => `${k}=${v}\n`).join('');
}

function hash(ctx: FourLetterContext): string {
  return ctx.digestLog().map((d) => `${javaHex(d.zxid)}: ${d.digest}\n`).join('');
}

/** The answer to a word that is known but not enabled. */
export function notInWhitelist(word: string): string {
  return `${word} is not executed because it is not in the whitelist.\n`;
}

function enabledIn(whitelist: ReadonlySet<string> | readonly string[], word: string): boolean {
  return 'has' in whitelist ? whitelist.has(word) : whitelist.includes(word);
}

/** Whether a known word runs under this whitelist (the set of enabled words). */
export function isFourLetterWordEnabled(word: string, whitelist: ReadonlySet<string> | readonly string[]): boolean {
  return enabledIn(whitelist, word);
}

type Handler = (ctx: FourLetterContext, stmkMask: bigint | undefined) => string;

/** Most words answer ZK_NOT_SERVING (with a newline) while the server is not serving. */
const whenServing =
  (f: (ctx: FourLetterContext) => string): Handler =>
  (ctx) =>
    ctx.serving ? f(ctx) : `${ZK_NOT_SERVING}\n`;

const HANDLERS: Readonly<Record<FourLetterWord, Handler>> = {
  ruok: () => 'imok',
  srvr: whenServing((ctx) => stat(ctx, false)),
  stat: whenServing((ctx) => stat(ctx, true)),
  mntr: whenServing(mntr),
  conf: whenServing(conf),
  cons: whenServing(cons),
  crst: whenServing((ctx) => {
    ctx.resetConnectionStats();
    return 'Connection stats reset.\n';
  }),
  srst: whenServing((ctx) => {
    ctx.resetServerStats();
    return 'Server stats reset.\n';
  }),
  envi: envi,
  wchs: whenServing(wchs),
  wchc: whenServing(wchc),
  wchp: whenServing(wchp),
  dump: whenServing(dump),
  dirs: whenServing(dirs),
  isro: (ctx) => (!ctx.serving ? 'null' : ctx.mode === 'read-only' ? 'ro' : 'rw'),
  gtmk: (ctx) => BigInt.asIntN(64, ctx.traceMask).toString(),
  stmk: (ctx, stmkMask) => {
    const mask = BigInt.asIntN(64, stmkMask ?? ctx.traceMask);
    ctx.setTraceMask(mask);
    return mask.toString();
  },
  hash: (ctx) => (ctx.serving ? hash(ctx) : ZK_NOT_SERVING),
  'telnet close': () => '',
};

/**
 * The text to write back for a four-letter word, after which the connection
 * is closed; null if `word` is not one ZooKeeper knows (the bytes are then a
 * frame length). `whitelist` is the set of enabled words
 * (ServerConfig.fourLetterWords, or parseFourLetterWhitelist(...).enabled).
 * `stmkMask` is the 8-byte argument read after `stmk`. An empty answer
 * (`telnet close`) means: close without writing.
 */
export function runFourLetterWord(
  word: string,
  ctx: FourLetterContext,
  whitelist: ReadonlySet<string> | readonly string[],
  stmkMask?: bigint,
): string | null {
  if (!isKnownFourLetterWord(word)) return null;
  if (!enabledIn(whitelist, word)) return notInWhitelist(word);
  return HANDLERS[word](ctx, stmkMask);
}

/** The `conf` part of a context, from the loaded configuration and the bound port. */
export function fourLetterConf(config: ServerConfig, boundClientPort: number): FourLetterConf {
  const base = {
    clientPort: boundClientPort,
    secureClientPort: -1,
    // ZooKeeper prints the directories its snapshots and logs are in
    dataDir: path.join(config.dataDir, 'version-2'),
    dataLogDir: path.join(config.dataLogDir, 'version-2'),
    tickTime: config.tickTime,
    maxClientCnxns: config.maxClientCnxns,
    minSessionTimeout: config.minSessionTimeout,
    maxSessionTimeout: config.maxSessionTimeout,
    clientPortListenBacklog: -1,
    serverId: config.mode === 'quorum' ? (config.myid ?? 0) : 0,
  };
  const me = config.servers.find((s) => s.id === config.myid);
  if (config.mode !== 'quorum' || me === undefined) return base;
  return {
    ...base,
    quorum: {
      initLimit: config.initLimit,
      syncLimit: config.syncLimit,
      electionAlg: config.electionAlg,
      electionPort: me.electionPort,
      quorumPort: me.quorumPort,
      peerType: config.peerType,
      members: config.servers,
      configVersion: 0,
    },
  };
}
