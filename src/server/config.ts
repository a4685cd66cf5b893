// zoo.cfg as ZooKeeper 3.9 reads it, decoded into a typed ServerConfig.
//
// How a file is read (see config-properties.ts for the syntax):
// - Keys that ZooKeeper's QuorumPeerConfig reads itself (tickTime, dataDir,
//   clientPort, server.N, ...) are decoded into fields. Every other key `k`
//   becomes the setting `zookeeper.k`, kept in `properties`, as ZooKeeper
//   turns it into the Java system property of that name; some of those
//   (snapCount, forceSync, 4lw.commands.whitelist, authProvider.N,
//   DigestAuthenticationProvider.superDigest, ...) are decoded into fields too.
//   A key already written as `zookeeper.k` is kept under that name.
// - ACTED_ON_KEYS lists the keys the server acts on. Any other key is a
//   warning that names it and its line: a ZooKeeper setting we do not act
//   on, or a key ZooKeeper does not document. Warnings never fail a load.
// - A bad value is a ConfigError whose message names the file, the line and
//   the key: `zoo.cfg:3: tickTime: 'abc' is not an integer`.
// - A repeated key: the last value wins (as in Java) with a warning; a
//   repeated server id is an error.
//
// Defaults are ZooKeeper 3.9's:
// - tickTime 3000 ms when absent, in standalone and ensemble alike
//   (ZooKeeperServer.DEFAULT_TICK_TIME; the 2000 people know is the value
//   zoo_sample.cfg sets, and the embedded default sets it too); 0 is refused
//   as "not set". minSessionTimeout / maxSessionTimeout default to 2× / 20×
//   tickTime (also when given as -1).
// - dataLogDir = dataDir; clientPortAddress: every interface; maxClientCnxns
//   60 (0 = unlimited); snapCount 100000 (below 2 raised to 2);
//   autopurge.snapRetainCount 3 (below 3 raised to 3); autopurge.purgeInterval
//   0 hours (off); forceSync yes; jute.maxbuffer 0xfffff;
//   globalOutstandingLimit 1000; container checks
//   every 60000 ms, at most 10000 deletions a minute; electionAlg 3;
//   peerType participant; standaloneEnabled, syncEnabled true;
//   reconfigEnabled, extendedTypesEnabled false; 4lw.commands.whitelist:
//   srvr only. initLimit and syncLimit have none: an ensemble needs them.
// - Standalone: no server.N line, or one participant with
//   standaloneEnabled=true (the line is then ignored, with a warning).
//   myid is required only in an ensemble, but a present myid is checked.
//
// Differences from ZooKeeper, on purpose:
// - traceDir (ours): where an ensemble member writes its trace for trace
//   checking; none by default.
// - Relative paths (dataDir, dataLogDir, traceDir, dynamicConfigFile) are resolved
//   against the directory of the config file, not the working directory, so
//   a config means the same wherever the server is started from. The embedded
//   default's `./data` is relative to the working directory.
// - The file is read as UTF-8 (Java reads ISO-8859-1); ASCII files read the same.
// - Values are checked more strictly where ZooKeeper would silently misbehave:
//   negative counts and timeouts, tickTime <= 0, server ids outside 1..255,
//   a repeated server id, a non-boolean `extendedTypesEnabled`.
// - `jute.maxbuffer` and `znode.container.*` are JVM system properties in
//   ZooKeeper (zoo.cfg cannot set them); here zoo.cfg sets them too, and
//   `systemProperties` (e.g. from `-Djute.maxbuffer=...`) also works.
//   `zookeeper.extendedTypesEnabled` is accepted as a zoo.cfg key as well.
// - `server.N` with several `|`-separated addresses (multiAddress) is
//   rejected with an error, as ZooKeeper does unless multiAddress.enabled.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Logger } from './log.js';
import { PropertiesSyntaxError, readProperties } from './config-properties.js';
import type { PropertyEntry } from './config-properties.js';
import {
  Host,
  JavaBoolean,
  JavaDecodedInt,
  JavaDecodedLong,
  JavaInt,
  JavaLong,
  PeerTypeC,
  PeerTypeFromString,
  Port,
  YesNo,
  decodeValue,
} from './config-values.js';
import type { PeerType } from './config-values.js';
import {
  LineProblem,
  MAX_EXTENDED_SERVER_ID,
  QuorumGroupC,
  QuorumServerC,
  ServerIdFromString,
  parseGroupLine,
  parseServerLine,
} from './config-quorum.js';
import type { QuorumGroup, QuorumServer } from './config-quorum.js';
import { parseFourLetterWhitelist } from './fourletter-words.js';

export type { QuorumServer, QuorumGroup } from './config-quorum.js';

// ---------------------------------------------------------------------------
// The decoded configuration

const AuthProviderC = t.readonly(
  t.type({
    /** The part after `authProvider.` (ZooKeeper only requires it to be unique). */
    name: t.string,
    className: t.string,
    /** The scheme of a provider ZooKeeper ships, null for any other class. */
    scheme: t.union([t.string, t.null]),
    /** Whether this server implements that scheme (digest and ip; world needs no provider). */
    supported: t.boolean,
  }),
  'AuthProvider',
);
export type AuthProvider = t.TypeOf<typeof AuthProviderC>;

export const ServerConfigC = t.readonly(
  t.type({
    /** The config file (absolute), or null for the embedded default. */
    source: t.union([t.string, t.null]),
    /** standalone: no ensemble; quorum: replicate through the servers below. */
    mode: t.keyof({ standalone: null, quorum: null }),
    /** The id from `dataDir/myid`; null when there is no myid file (standalone only). */
    myid: t.union([t.number, t.null]),
    tickTime: t.number,
    initLimit: t.number,
    syncLimit: t.number,
    dataDir: t.string,
    dataLogDir: t.string,
    /** Ours: where an ensemble member writes its trace (src/server/member-trace.ts); null: none. */
    traceDir: t.union([t.string, t.null]),
    /** The port to listen on for clients (0: any free port). */
    clientPort: t.number,
    /** The address to listen on; null: every interface. */
    clientPortAddress: t.union([t.string, t.null]),
    /** Parsed and checked, but no TLS listener is opened. */
    secureClientPort: t.union([t.number, t.null]),
    /** Per client IP address; 0 means unlimited. */
    maxClientCnxns: t.number,
    minSessionTimeout: t.number,
    maxSessionTimeout: t.number,
    snapCount: t.number,
    autopurgeSnapRetainCount: t.number,
    /** Hours between purges; 0 disables purging. */
    autopurgePurgeInterval: t.number,
    /** The enabled four-letter words, sorted. */
    fourLetterWords: t.readonlyArray(t.string),
    authProviders: t.readonlyArray(AuthProviderC),
    /** `user:base64(sha1(user:password))` that is granted every permission, or null. */
    superDigest: t.union([t.string, t.null]),
    extendedTypesEnabled: t.boolean,
    /** zookeeper.enforceQuota: hard quota limits reject writes with QuotaExceeded. */
    enforceQuota: t.boolean,
    reconfigEnabled: t.boolean,
    peerType: PeerTypeC,
    standaloneEnabled: t.boolean,
    syncEnabled: t.boolean,
    electionAlg: t.literal(3),
    /** Every `server.N`, sorted by id (participants and observers). */
    servers: t.readonlyArray(QuorumServerC),
    /** Hierarchical quorum groups (`group.N`); parsed, not acted on. */
    groups: t.readonlyArray(QuorumGroupC),
    /** `weight.N` by server id; parsed, not acted on. */
    weights: t.readonlyArray(t.readonly(t.type({ server: t.number, weight: t.number }))),
    /** fsync the transaction log before acknowledging (`forceSync=yes`). */
    forceSync: t.boolean,
    /** Largest packet and znode data accepted, in bytes. */
    juteMaxBuffer: t.number,
    /** zookeeper.globalOutstandingLimit: above this many requests in flight, connections with some stop reading. */
    globalOutstandingLimit: t.number,
    /** zookeeper.commitLogCount: committed transactions a member keeps to bring learners up to date by DIFF. */
    commitLogCount: t.number,
    containerCheckIntervalMs: t.number,
    containerMaxPerMinute: t.number,
    containerMaxNeverUsedIntervalMs: t.number,
    /** Every `zookeeper.*` setting: zoo.cfg keys ZooKeeper does not read itself, and system properties. */
    properties: t.readonly(t.record(t.string, t.string)),
  }),
  'ServerConfig',
);
export type ServerConfig = t.TypeOf<typeof ServerConfigC>;

export interface ConfigWarning {
  readonly file: string;
  readonly line: number | null;
  readonly key: string | null;
  readonly message: string;
}

export interface LoadedConfig {
  readonly config: ServerConfig;
  readonly warnings: readonly ConfigWarning[];
}

function locate(file: string, line: number | null, key: string | null): string {
  return `${file}${line !== null ? `:${line}` : ''}: ${key !== null ? `${key}: ` : ''}`;
}

/** A configuration that cannot be used. The message names the file, the line and the key. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly key: string | null,
    readonly detail: string,
  ) {
    super(locate(file, line, key) + detail);
    this.name = 'ConfigError';
  }
}

export function formatConfigWarning(w: ConfigWarning): string {
  return locate(w.file, w.line, w.key) + w.message;
}

// ---------------------------------------------------------------------------
// Defaults (ZooKeeper 3.9's)

/** ZooKeeperServer.DEFAULT_TICK_TIME: used when zoo.cfg has no tickTime (zoo_sample.cfg sets 2000). */
export const DEFAULT_TICK_TIME = 3000;
export const DEFAULT_MAX_CLIENT_CNXNS = 60;
export const DEFAULT_SNAP_COUNT = 100000;
/** ZooKeeper raises a smaller snapCount to 2. */
export const MIN_SNAP_COUNT = 2;
export const DEFAULT_SNAP_RETAIN_COUNT = 3;
/** ZooKeeper raises a smaller autopurge.snapRetainCount to 3. */
export const MIN_SNAP_RETAIN_COUNT = 3;
/** ZooKeeperServer's default zookeeper.globalOutstandingLimit. */
export const DEFAULT_GLOBAL_OUTSTANDING_LIMIT = 1000;
/**
 * Committed transactions a member keeps in memory for DIFF. ZooKeeper keeps
 * 500 in memory and reads further back from its log files; this server
 * keeps a longer window in memory instead, and sends a snapshot beyond it.
 */
export const DEFAULT_COMMIT_LOG_COUNT = 10000;

/** BinaryInputArchive's default jute.maxbuffer: 0xfffff bytes. */
export const DEFAULT_JUTE_MAX_BUFFER = 0xfffff;
export const DEFAULT_CONTAINER_CHECK_INTERVAL_MS = 60000;
export const DEFAULT_CONTAINER_MAX_PER_MINUTE = 10000;
export const DEFAULT_CONTAINER_MAX_NEVER_USED_INTERVAL_MS = 0;
/** Only FastLeaderElection (3) exists since ZooKeeper 3.6. */
export const ELECTION_ALG = 3;

/** The file a server starts from when given none. */
export const EMBEDDED_DEFAULT_ZOO_CFG = [
  'tickTime=2000',
  'dataDir=./data',
  'clientPort=2181',
  'clientPortAddress=127.0.0.1',
  '4lw.commands.whitelist=*',
  '',
].join('\n');

const EMBEDDED_NAME = '<embedded default>';

// ---------------------------------------------------------------------------
// The keys

type Codec = t.Type<unknown, string, unknown>;

interface KeySpec {
  /** Checks the value's form even when the key is not acted on, as ZooKeeper would fail on it. */
  readonly codec: Codec | null;
  readonly acted: boolean;
  /** Why a key we do not act on is ignored, for the warning. */
  readonly note?: string;
}

const acted = (codec: Codec | null = null): KeySpec => ({ codec, acted: true });
const ignored = (codec: Codec | null = null, note?: string): KeySpec =>
  note === undefined ? { codec, acted: false } : { codec, acted: false, note };

const c = <A>(codec: t.Type<A, string, unknown>): Codec => codec as unknown as Codec;

const NO_SASL = 'quorum SASL authentication is not supported';
const NO_JVM = 'there is no JVM pause monitor';

/** Keys QuorumPeerConfig reads itself: they never become zookeeper.* settings. */
const PEER_KEYS: ReadonlyMap<string, KeySpec> = new Map(Object.entries({
  dataDir: acted(),
  dataLogDir: acted(),
  traceDir: acted(),
  clientPort: acted(c(Port)),
  clientPortAddress: acted(c(Host)),
  tickTime: acted(c(JavaInt)),
  maxClientCnxns: acted(c(JavaInt)),
  minSessionTimeout: acted(c(JavaInt)),
  maxSessionTimeout: acted(c(JavaInt)),
  initLimit: acted(c(JavaInt)),
  syncLimit: acted(c(JavaInt)),
  electionAlg: acted(c(JavaInt)),
  peerType: acted(c(PeerTypeFromString)),
  syncEnabled: acted(c(JavaBoolean)),
  dynamicConfigFile: acted(),
  'autopurge.snapRetainCount': acted(c(JavaInt)),
  'autopurge.purgeInterval': acted(c(JavaInt)),
  standaloneEnabled: acted(c(JavaBoolean)),
  reconfigEnabled: acted(c(JavaBoolean)),
  secureClientPort: ignored(c(Port), 'TLS client connections are not supported; no secure port is opened'),
  secureClientPortAddress: ignored(c(Host), 'TLS client connections are not supported'),
  localSessionsEnabled: ignored(c(JavaBoolean), 'local sessions are not supported; every session is global'),
  localSessionsUpgradingEnabled: ignored(c(JavaBoolean), 'local sessions are not supported'),
  observerMasterPort: ignored(c(Port)),
  clientPortListenBacklog: ignored(c(JavaInt)),
  connectToLearnerMasterLimit: ignored(c(JavaInt)),
  quorumListenOnAllIPs: ignored(c(JavaBoolean)),
  sslQuorum: ignored(c(JavaBoolean), 'quorum TLS is not supported'),
  portUnification: ignored(c(JavaBoolean), 'TLS client connections are not supported'),
  sslQuorumReloadCertFiles: ignored(c(JavaBoolean), 'quorum TLS is not supported'),
  'quorum.auth.enableSasl': ignored(c(JavaBoolean), NO_SASL),
  'quorum.auth.serverRequireSasl': ignored(c(JavaBoolean), NO_SASL),
  'quorum.auth.learnerRequireSasl': ignored(c(JavaBoolean), NO_SASL),
  'quorum.auth.learner.saslLoginContext': ignored(null, NO_SASL),
  'quorum.auth.server.saslLoginContext': ignored(null, NO_SASL),
  'quorum.auth.kerberos.servicePrincipal': ignored(null, NO_SASL),
  'quorum.cnxn.threads.size': ignored(c(JavaInt)),
  'jvm.pause.info-threshold.ms': ignored(c(JavaLong), NO_JVM),
  'jvm.pause.warn-threshold.ms': ignored(c(JavaLong), NO_JVM),
  'jvm.pause.sleep.time.ms': ignored(c(JavaLong), NO_JVM),
  'jvm.pause.monitor': ignored(c(JavaBoolean), NO_JVM),
  'metricsProvider.className': ignored(null, 'metrics are served by mntr only'),
  'multiAddress.enabled': ignored(c(JavaBoolean), 'several addresses per server are not supported'),
  'multiAddress.reachabilityCheckTimeoutMs': ignored(c(JavaInt), 'several addresses per server are not supported'),
  'multiAddress.reachabilityCheckEnabled': ignored(c(JavaBoolean), 'several addresses per server are not supported'),
  oraclePath: ignored(null, 'the quorum oracle is not supported'),
}));

/** zookeeper.* settings the server acts on (named without the prefix). */
const ACTED_PROPERTY_KEYS: ReadonlyMap<string, KeySpec> = new Map(Object.entries({
  '4lw.commands.whitelist': acted(),
  extendedTypesEnabled: acted(c(JavaBoolean)),
  forceSync: acted(c(YesNo)),
  snapCount: acted(c(JavaDecodedInt)),
  'DigestAuthenticationProvider.superDigest': acted(),
  'jute.maxbuffer': acted(c(JavaDecodedInt)),
  'znode.container.checkIntervalMs': acted(c(JavaDecodedInt)),
  'znode.container.maxPerMinute': acted(c(JavaDecodedInt)),
  'znode.container.maxNeverUsedIntervalMs': acted(c(JavaDecodedLong)),
  enforceQuota: acted(c(JavaBoolean)),
  globalOutstandingLimit: acted(c(JavaInt)),
  commitLogCount: acted(c(JavaInt)),
}));

/** ZooKeeper settings (documented in its administrator's guide) that we accept and ignore. */
const IGNORED_PROPERTY_KEYS: ReadonlySet<string> = new Set([
  'preAllocSize', 'snapSizeLimitInKb', 'txnLogSizeLimitInKb',
  'maxCnxns', 'fsync.warningthresholdms', 'maxResponseCacheSize', 'maxGetChildrenResponseCacheSize',
  'emulate353TTLNodes', 'watchManagerName', 'watcherCleanThreadsNum', 'watcherCleanThreshold',
  'watcherCleanIntervalInSeconds', 'maxInProcessingDeadWatchers', 'bitHashCacheSize',
  'fastleader.minNotificationInterval', 'fastleader.maxNotificationInterval', 'connectionMaxTokens',
  'connectionTokenFillTime', 'connectionTokenFillCount', 'connectionFreezeTime', 'connectionDropIncrease',
  'connectionDropDecrease', 'connectionDecreaseRatio', 'connection_throttle_weight_enabled',
  'connection_throttle_global_session_weight', 'connection_throttle_local_session_weight',
  'connection_throttle_renew_session_weight', 'serverCnxnFactory', 'flushDelay', 'maxWriteQueuePollTime',
  'maxBatchSize', 'requestThrottleLimit', 'requestThrottleStallTime', 'requestThrottleDropStale',
  'requestStaleLatencyCheck', 'requestStaleConnectionCheck', 'request_throttler.shutdownTimeout',
  'advancedFlowControlEnabled', 'enableEagerACLCheck', 'maxConcurrentSnapSyncs', 'maxConcurrentDiffSyncs',
  'digest.enabled', 'snapshot.compression.method', 'snapshot.trust.empty', 'audit.enable', 'audit.impl.class',
  'largeRequestMaxBytes', 'largeRequestThreshold', 'maxTimeToWaitForEpoch', 'leaderServes', 'cnxTimeout',
  'quorumCnxnTimeoutMs', 'tcpKeepAlive', 'clientTcpKeepAlive', 'electionPortBindRetry',
  'observer.reconnectDelayMs', 'observer.election.DelayMs', 'DigestAuthenticationProvider.enabled',
  'DigestAuthenticationProvider.digestAlg', 'IPAuthenticationProvider.usexforwardedfor',
  'X509AuthenticationProvider.superUser', 'superUser', 'ensembleAuthName', 'sessionRequireClientSASLAuth',
  'enforce.auth.enabled', 'enforce.auth.schemes', 'client.certReload', 'client.portUnification', 'fips-mode',
  'follower.skipLearnerRequestToNextProcessor', 'jute.maxbuffer.extrasize', 'skipACL',
  'nio.numSelectorThreads', 'nio.numWorkerThreads', 'commitProcessor.numWorkerThreads',
  'commitProcessor.maxReadBatchSize', 'commitProcessor.maxCommitBatchSize', 'messageTracker.BufferSize',
  'messageTracker.Enabled',
]);

/** Prefixes of ZooKeeper settings we accept and ignore, with the reason. */
const IGNORED_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['admin.', 'no AdminServer (HTTP) is started; use the four-letter words'],
  ['ssl.', 'TLS is not supported'],
  ['metricsProvider.', 'metrics are served by mntr only'],
];

const AUTH_PROVIDER_PREFIX = 'authProvider.';

/** The provider classes ZooKeeper ships, by scheme. */
const BUILT_IN_AUTH_PROVIDERS: ReadonlyMap<string, string> = new Map(Object.entries({
  'org.apache.zookeeper.server.auth.DigestAuthenticationProvider': 'digest',
  'org.apache.zookeeper.server.auth.IPAuthenticationProvider': 'ip',
  'org.apache.zookeeper.server.auth.SASLAuthenticationProvider': 'sasl',
  'org.apache.zookeeper.server.auth.X509AuthenticationProvider': 'x509',
  'org.apache.zookeeper.server.auth.EnsembleAuthenticationProvider': 'ensemble',
}));
/** Schemes this server implements (`world` and `auth` need no provider). */
export const SUPPORTED_AUTH_SCHEMES: readonly string[] = ['digest', 'ip', 'world', 'auth'];

/** Every key the server acts on; any other key is warned about. */
export const ACTED_ON_KEYS: readonly string[] = [
  ...[...PEER_KEYS].filter(([, spec]) => spec.acted).map(([k]) => k),
  'server.N',
  ...ACTED_PROPERTY_KEYS.keys(),
  `${AUTH_PROVIDER_PREFIX}N`,
  'zookeeper.extendedTypesEnabled',
];

// ---------------------------------------------------------------------------
// Reading

/** Where the loader reads files; replaceable for tests. */
export interface ConfigFileSystem {
  /** The text of a regular file, or undefined if there is none at that path. */
  readText(path: string): string | undefined;
}

export const nodeFileSystem: ConfigFileSystem = {
  readText(path) {
    if (!existsSync(path) || !statSync(path).isFile()) return undefined;
    return readFileSync(path, 'utf8');
  },
};

export interface ParseConfigOptions {
  /** Java system properties (`-Dname=value`): `zookeeper.*` settings, `jute.maxbuffer`, `znode.container.*`. */
  readonly systemProperties?: Readonly<Record<string, string>>;
  readonly fs?: ConfigFileSystem;
  /** The directory relative paths are resolved against; default: the config file's. */
  readonly baseDir?: string;
}

export interface LoadConfigOptions extends ParseConfigOptions {
  /** When given, every warning is also logged on it. */
  readonly logger?: Logger;
}

interface Setting {
  readonly value: string;
  /** null: from a system property. */
  readonly line: number | null;
  /** The key as written. */
  readonly key: string;
}

const ZK = 'zookeeper.';

class Reader {
  readonly warnings: ConfigWarning[] = [];
  readonly peer = new Map<string, Setting>();
  /** By setting name without the `zookeeper.` prefix. */
  readonly props = new Map<string, Setting>();
  readonly serverLines: PropertyEntry[] = [];
  readonly groupLines: PropertyEntry[] = [];
  readonly weightLines: PropertyEntry[] = [];

  constructor(readonly file: string) {}

  warn(line: number | null, key: string | null, message: string): void {
    this.warnings.push({ file: this.file, line, key, message });
  }

  fail(line: number | null, key: string | null, detail: string): never {
    throw new ConfigError(this.file, line, key, detail);
  }

  /** Decode a setting's value with a codec; a failure names its line and key. */
  decode<A>(codec: t.Type<A, string, unknown>, s: Setting): A {
    const r = decodeValue(codec, s.value);
    if (!r.ok) this.fail(s.line, s.key, r.message);
    return r.value;
  }

  setOnce(map: Map<string, Setting>, name: string, s: Setting): void {
    const prev = map.get(name);
    if (prev !== undefined && prev.line !== null) {
      this.warn(s.line, s.key, `set again (first on line ${prev.line}); the later value '${s.value}' wins`);
    }
    map.set(name, s);
  }
}

function classify(r: Reader, entries: readonly PropertyEntry[], hasDynamicFile: boolean): void {
  for (const e of entries) {
    const s: Setting = { value: e.value, line: e.line, key: e.key };
    if (e.key.startsWith('server.') || e.key.startsWith('group.') || e.key.startsWith('weight.')) {
      if (hasDynamicFile) r.fail(e.line, e.key, 'must be in the separate dynamic config file (dynamicConfigFile is set)');
      (e.key.startsWith('server.') ? r.serverLines : e.key.startsWith('group.') ? r.groupLines : r.weightLines).push(e);
      continue;
    }
    if (e.key === '') {
      r.warn(e.line, null, `a line with an empty key (value '${e.value}') is ignored`);
      continue;
    }
    const peerSpec = PEER_KEYS.get(e.key) ?? (e.key.startsWith('metricsProvider.') ? ignored() : undefined);
    if (peerSpec !== undefined) {
      r.setOnce(r.peer, e.key, s);
      continue;
    }
    const name = e.key.startsWith(ZK) ? e.key.slice(ZK.length) : e.key;
    r.setOnce(r.props, name, s);
  }
}

function warnNotActedOn(r: Reader): void {
  for (const [key, s] of r.peer) {
    const spec = PEER_KEYS.get(key) ?? ignored(null, 'metrics are served by mntr only');
    if (spec.codec !== null) r.decode(spec.codec, s);
    if (!spec.acted) r.warn(s.line, s.key, `not acted on: ${spec.note ?? 'this server ignores this ZooKeeper setting'}`);
  }
  for (const [name, s] of r.props) {
    if (s.line === null) continue;
    if (ACTED_PROPERTY_KEYS.has(name) || name.startsWith(AUTH_PROVIDER_PREFIX)) continue;
    const prefix = IGNORED_PREFIXES.find(([p]) => name.startsWith(p));
    if (prefix !== undefined) r.warn(s.line, s.key, `not acted on: ${prefix[1]}`);
    else if (IGNORED_PROPERTY_KEYS.has(name)) r.warn(s.line, s.key, 'not acted on: this server ignores this ZooKeeper setting');
    else r.warn(s.line, s.key, `unknown key: not a ZooKeeper setting; kept as the setting ${ZK}${name}`);
  }
}

function resolvePath(base: string, p: string): string {
  return isAbsolute(p) ? resolve(p) : resolve(base, p);
}

function requirePath(r: Reader, s: Setting | undefined, key: string, base: string): string | undefined {
  if (s === undefined) return undefined;
  if (s.value === '') r.fail(s.line, s.key, 'is empty');
  if (/\s[#!]/.test(s.value)) {
    r.warn(s.line, s.key, `the value '${s.value}' contains a '#' or '!' after a blank: a comment starts only at the beginning of a line, so it is part of the ${key}`);
  }
  return resolvePath(base, s.value);
}

function intSetting(r: Reader, map: Map<string, Setting>, key: string, codec: t.Type<number, string, unknown>, fallback: number): { value: number; setting: Setting | undefined } {
  const s = map.get(key);
  return { value: s === undefined ? fallback : r.decode(codec, s), setting: s };
}

function atLeast(r: Reader, v: { value: number; setting: Setting | undefined }, min: number, key: string, what: string): number {
  if (v.value < min) r.fail(v.setting?.line ?? null, v.setting?.key ?? key, `${v.value} is not allowed: ${what}`);
  return v.value;
}

function boolSetting(r: Reader, map: Map<string, Setting>, key: string, codec: t.Type<boolean, string, unknown>, fallback: boolean): boolean {
  const s = map.get(key);
  return s === undefined ? fallback : r.decode(codec, s);
}

interface Ensemble {
  readonly servers: QuorumServer[];
  readonly groups: QuorumGroup[];
  readonly weights: { server: number; weight: number }[];
}

function readEnsemble(r: Reader, serverLines: readonly PropertyEntry[], groupLines: readonly PropertyEntry[], weightLines: readonly PropertyEntry[]): Ensemble {
  const byId = new Map<number, PropertyEntry>();
  const servers: QuorumServer[] = [];
  const problem = (e: PropertyEntry, err: unknown): never => {
    if (err instanceof LineProblem) r.fail(e.line, e.key, err.message);
    throw err;
  };
  const idOf = (e: PropertyEntry, prefix: string): number => r.decode(ServerIdFromString, { value: e.key.slice(prefix.length), line: e.line, key: e.key });
  for (const e of serverLines) {
    const id = idOf(e, 'server.');
    const prev = byId.get(id);
    if (prev !== undefined) r.fail(e.line, e.key, `server id ${id} is already defined on line ${prev.line} (${prev.key})`);
    byId.set(id, e);
    try {
      servers.push(parseServerLine(id, e.value));
    } catch (err) {
      problem(e, err);
    }
  }
  servers.sort((a, b) => a.id - b.id);

  const groups: QuorumGroup[] = [];
  const groupOf = new Map<number, number>();
  for (const e of groupLines) {
    const gid = r.decode(JavaLong, { value: e.key.slice('group.'.length), line: e.line, key: e.key });
    let g: QuorumGroup;
    try {
      g = parseGroupLine(gid, e.value);
    } catch (err) {
      return problem(e, err);
    }
    for (const sid of g.servers) {
      if (groupOf.has(sid)) r.fail(e.line, e.key, `server ${sid} is in more than one group`);
      groupOf.set(sid, gid);
    }
    groups.push(g);
  }
  const weights: { server: number; weight: number }[] = [];
  for (const e of weightLines) {
    const server = idOf(e, 'weight.');
    const weight = atLeast(r, { value: r.decode(JavaLong, { value: e.value, line: e.line, key: e.key }), setting: { value: e.value, line: e.line, key: e.key } }, 0, e.key, 'a weight cannot be negative');
    weights.push({ server, weight });
  }
  if (groupLines.length + weightLines.length > 0) {
    for (const s of servers) {
      if (s.type === 'participant' && !groupOf.has(s.id)) {
        const e = byId.get(s.id)!;
        r.fail(e.line, e.key, `server ${s.id} is not in a group (every participant must be when group./weight. lines are given)`);
      }
    }
    const first = [...groupLines, ...weightLines].sort((a, b) => a.line - b.line)[0]!;
    r.warn(first.line, first.key, 'not acted on: hierarchical quorums (group./weight.) are parsed and checked, but quorums are plain majorities');
  }
  groups.sort((a, b) => a.id - b.id);
  weights.sort((a, b) => a.server - b.server);
  return { servers, groups, weights };
}

function readDynamicFile(r: Reader, fs: ConfigFileSystem, s: Setting, base: string): Ensemble {
  const path = resolvePath(base, s.value);
  const text = fs.readText(path);
  if (text === undefined) r.fail(s.line, s.key, `cannot read the dynamic config file ${path}`);
  const dyn: Reader = new Reader(path);
  let entries: PropertyEntry[];
  try {
    entries = readProperties(stripBom(text));
  } catch (err) {
    if (err instanceof PropertiesSyntaxError) dyn.fail(err.line, err.key, err.detail);
    throw err;
  }
  for (const e of entries) {
    if (e.key === 'version') dyn.fail(e.line, e.key, 'a dynamic config file must not contain a version');
    if (!e.key.startsWith('server.') && !e.key.startsWith('group.') && !e.key.startsWith('weight.')) {
      dyn.fail(e.line, e.key, 'unrecognised parameter in a dynamic config file (only server.N, group.N, weight.N)');
    }
  }
  const ens = readEnsemble(
    dyn,
    entries.filter((e) => e.key.startsWith('server.')),
    entries.filter((e) => e.key.startsWith('group.')),
    entries.filter((e) => e.key.startsWith('weight.')),
  );
  r.warnings.push(...dyn.warnings);
  return ens;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function readMyid(fs: ConfigFileSystem, dataDir: string, extendedTypesEnabled: boolean): number | null {
  const path = resolve(dataDir, 'myid');
  const text = fs.readText(path);
  if (text === undefined) return null;
  const first = (text.split(/\r\n|\r|\n/)[0] ?? '').trim();
  const r = decodeValue(ServerIdFromString, first);
  if (!r.ok) throw new ConfigError(path, 1, 'myid', first === '' ? 'the myid file is empty' : r.message);
  if (extendedTypesEnabled && r.value > MAX_EXTENDED_SERVER_ID) {
    throw new ConfigError(path, 1, 'myid', `${r.value} is too large: with extendedTypesEnabled=true a server id cannot be larger than ${MAX_EXTENDED_SERVER_ID}`);
  }
  return r.value;
}

function authProviders(r: Reader): AuthProvider[] {
  const out: AuthProvider[] = [];
  for (const [name, s] of r.props) {
    if (!name.startsWith(AUTH_PROVIDER_PREFIX)) continue;
    const scheme = BUILT_IN_AUTH_PROVIDERS.get(s.value) ?? null;
    const supported = scheme !== null && SUPPORTED_AUTH_SCHEMES.includes(scheme);
    if (!supported) {
      r.warn(
        s.line,
        s.key,
        `not acted on: the authentication provider '${s.value}'${scheme !== null ? ` (scheme ${scheme})` : ''} is not available; the schemes are ${SUPPORTED_AUTH_SCHEMES.join(', ')}`,
      );
    }
    out.push({ name: name.slice(AUTH_PROVIDER_PREFIX.length), className: s.value, scheme, supported });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Parse the text of a zoo.cfg. `file` names it in messages and, unless
 * `baseDir` is given, relative paths are resolved against its directory.
 * Reads `dataDir/myid` (and a dynamic config file) through `options.fs`.
 */
export function parseConfig(text: string, file: string, options: ParseConfigOptions = {}): LoadedConfig {
  const fs = options.fs ?? nodeFileSystem;
  const base = options.baseDir ?? dirname(resolve(file));
  const r: Reader = new Reader(file);

  let entries: PropertyEntry[];
  try {
    entries = readProperties(stripBom(text));
  } catch (err) {
    if (err instanceof PropertiesSyntaxError) r.fail(err.line, err.key, err.detail);
    throw err;
  }
  for (const [k, v] of Object.entries(options.systemProperties ?? {})) {
    if (k.startsWith(ZK)) r.props.set(k.slice(ZK.length), { value: v.trim(), line: null, key: `-D${k}` });
  }
  const sys = (k: string): Setting | undefined => {
    const v = options.systemProperties?.[k];
    return v === undefined ? undefined : { value: v.trim(), line: null, key: `-D${k}` };
  };
  for (const k of ['jute.maxbuffer', 'znode.container.checkIntervalMs', 'znode.container.maxPerMinute', 'znode.container.maxNeverUsedIntervalMs']) {
    const s = sys(k);
    if (s !== undefined && !r.props.has(k)) r.props.set(k, s);
  }
  const hasDynamicFile = entries.some((e) => e.key === 'dynamicConfigFile');
  classify(r, entries, hasDynamicFile);
  warnNotActedOn(r);

  // Paths
  const dataDirSetting = r.peer.get('dataDir');
  const dataDir = requirePath(r, dataDirSetting, 'dataDir', base);
  if (dataDir === undefined) r.fail(null, 'dataDir', 'is not set (the directory for snapshots and the myid file)');
  const dataLogDir = requirePath(r, r.peer.get('dataLogDir'), 'dataLogDir', base) ?? dataDir;
  const traceDir = requirePath(r, r.peer.get('traceDir'), 'traceDir', base) ?? null;

  // Time
  const tick = intSetting(r, r.peer, 'tickTime', JavaInt, DEFAULT_TICK_TIME);
  if (tick.value === 0) r.fail(tick.setting?.line ?? null, 'tickTime', 'is not set (0)');
  const tickTime = atLeast(r, tick, 1, 'tickTime', 'tickTime must be positive');
  const initLimit = atLeast(r, intSetting(r, r.peer, 'initLimit', JavaInt, 0), 0, 'initLimit', 'initLimit cannot be negative');
  const syncLimit = atLeast(r, intSetting(r, r.peer, 'syncLimit', JavaInt, 0), 0, 'syncLimit', 'syncLimit cannot be negative');
  const minS = intSetting(r, r.peer, 'minSessionTimeout', JavaInt, -1);
  const maxS = intSetting(r, r.peer, 'maxSessionTimeout', JavaInt, -1);
  atLeast(r, minS, -1, 'minSessionTimeout', 'a timeout cannot be negative (-1 means the default, 2 × tickTime)');
  atLeast(r, maxS, -1, 'maxSessionTimeout', 'a timeout cannot be negative (-1 means the default, 20 × tickTime)');
  const minSessionTimeout = minS.value === -1 ? 2 * tickTime : minS.value;
  const maxSessionTimeout = maxS.value === -1 ? 20 * tickTime : maxS.value;
  if (minSessionTimeout > maxSessionTimeout) {
    const at = minS.setting ?? maxS.setting;
    r.fail(at?.line ?? null, at?.key ?? 'minSessionTimeout', `minSessionTimeout (${minSessionTimeout}) must not be larger than maxSessionTimeout (${maxSessionTimeout})`);
  }

  // Limits and housekeeping
  const maxClientCnxns = atLeast(r, intSetting(r, r.peer, 'maxClientCnxns', JavaInt, DEFAULT_MAX_CLIENT_CNXNS), 0, 'maxClientCnxns', 'use 0 for no limit');
  const snap = intSetting(r, r.props, 'snapCount', JavaDecodedInt, DEFAULT_SNAP_COUNT);
  let snapCount = atLeast(r, snap, 0, 'snapCount', 'snapCount cannot be negative');
  if (snapCount < MIN_SNAP_COUNT) {
    r.warn(snap.setting?.line ?? null, snap.setting?.key ?? 'snapCount', `${snapCount} is too small; using ${MIN_SNAP_COUNT}, as ZooKeeper does`);
    snapCount = MIN_SNAP_COUNT;
  }
  const retain = intSetting(r, r.peer, 'autopurge.snapRetainCount', JavaInt, DEFAULT_SNAP_RETAIN_COUNT);
  let autopurgeSnapRetainCount = retain.value;
  if (autopurgeSnapRetainCount < MIN_SNAP_RETAIN_COUNT) {
    r.warn(retain.setting?.line ?? null, retain.setting?.key ?? null, `${autopurgeSnapRetainCount} is below the minimum; using ${MIN_SNAP_RETAIN_COUNT}, as ZooKeeper does`);
    autopurgeSnapRetainCount = MIN_SNAP_RETAIN_COUNT;
  }
  const purge = intSetting(r, r.peer, 'autopurge.purgeInterval', JavaInt, 0);
  const autopurgePurgeInterval = Math.max(0, purge.value);
  if (purge.value < 0) r.warn(purge.setting?.line ?? null, purge.setting?.key ?? null, `${purge.value} disables purging, as 0 does`);

  const juteMaxBuffer = atLeast(r, intSetting(r, r.props, 'jute.maxbuffer', JavaDecodedInt, DEFAULT_JUTE_MAX_BUFFER), 1, 'jute.maxbuffer', 'must be positive');
  const containerCheckIntervalMs = atLeast(r, intSetting(r, r.props, 'znode.container.checkIntervalMs', JavaDecodedInt, DEFAULT_CONTAINER_CHECK_INTERVAL_MS), 1, 'znode.container.checkIntervalMs', 'must be positive');
  const containerMaxPerMinute = atLeast(r, intSetting(r, r.props, 'znode.container.maxPerMinute', JavaDecodedInt, DEFAULT_CONTAINER_MAX_PER_MINUTE), 1, 'znode.container.maxPerMinute', 'must be positive');
  const containerMaxNeverUsedIntervalMs = atLeast(r, intSetting(r, r.props, 'znode.container.maxNeverUsedIntervalMs', JavaDecodedLong, DEFAULT_CONTAINER_MAX_NEVER_USED_INTERVAL_MS), 0, 'znode.container.maxNeverUsedIntervalMs', 'cannot be negative (0: never-used containers are kept)');
  const forceSync = boolSetting(r, r.props, 'forceSync', YesNo, true);
  const globalOutstandingLimit = atLeast(r, intSetting(r, r.props, 'globalOutstandingLimit', JavaInt, DEFAULT_GLOBAL_OUTSTANDING_LIMIT), 1, 'globalOutstandingLimit', 'must be positive');
  const commitLogCount = atLeast(r, intSetting(r, r.props, 'commitLogCount', JavaInt, DEFAULT_COMMIT_LOG_COUNT), 1, 'commitLogCount', 'must be positive');

  // Switches
  const extendedTypesEnabled = boolSetting(r, r.props, 'extendedTypesEnabled', JavaBoolean, false);
  const enforceQuota = boolSetting(r, r.props, 'enforceQuota', JavaBoolean, false);
  const reconfigEnabled = boolSetting(r, r.peer, 'reconfigEnabled', JavaBoolean, false);
  if (reconfigEnabled) {
    const s = r.peer.get('reconfigEnabled')!;
    r.warn(s.line, s.key, 'dynamic reconfiguration is not implemented; reconfig requests are refused');
  }
  const standaloneEnabled = boolSetting(r, r.peer, 'standaloneEnabled', JavaBoolean, true);
  const syncEnabled = boolSetting(r, r.peer, 'syncEnabled', JavaBoolean, true);
  const alg = intSetting(r, r.peer, 'electionAlg', JavaInt, ELECTION_ALG);
  if (alg.value !== ELECTION_ALG) r.fail(alg.setting?.line ?? null, 'electionAlg', `${alg.value} is not supported: only 3 (FastLeaderElection) is`);
  const peerTypeSetting = r.peer.get('peerType');
  let peerType: PeerType = peerTypeSetting === undefined ? 'participant' : r.decode(PeerTypeFromString, peerTypeSetting);

  // Four-letter words, authentication
  const wl = r.props.get('4lw.commands.whitelist');
  const whitelist = parseFourLetterWhitelist(wl?.value);
  if (wl !== undefined && whitelist.unknown.length > 0) {
    r.warn(wl.line, wl.key, `not four-letter words ZooKeeper knows: ${whitelist.unknown.join(', ')}`);
  }
  const fourLetterWords = [...whitelist.enabled].sort();
  const superDigestSetting = r.props.get('DigestAuthenticationProvider.superDigest');
  const superDigest = superDigestSetting === undefined || superDigestSetting.value === '' ? null : superDigestSetting.value;
  if (superDigest !== null && !/^[^:]+:[A-Za-z0-9+/]{27}=$/.test(superDigest)) {
    r.warn(superDigestSetting!.line, superDigestSetting!.key, "does not look like user:base64(sha1(user:password)); no password will match it");
  }
  const providers = authProviders(r);

  // Ensemble and mode
  const dyn = r.peer.get('dynamicConfigFile');
  const ensemble = dyn !== undefined ? readDynamicFile(r, fs, dyn, base) : readEnsemble(r, r.serverLines, r.groupLines, r.weightLines);
  const { servers } = ensemble;
  const participants = servers.filter((s) => s.type === 'participant').length;
  const observers = servers.length - participants;
  const firstServer = r.serverLines[0] ?? null;
  const at = firstServer === null ? null : firstServer.line;
  if (participants === 0) {
    if (!standaloneEnabled) r.fail(r.peer.get('standaloneEnabled')?.line ?? null, 'standaloneEnabled', 'is false, so at least one participant server.N is needed');
    if (observers > 0) r.fail(at, firstServer?.key ?? 'server.N', 'observers without participants is an invalid configuration');
  } else if (participants === 1 && standaloneEnabled) {
    if (observers > 0) r.fail(at, firstServer?.key ?? 'server.N', 'observers without a quorum is an invalid configuration');
    r.warn(at, firstServer?.key ?? 'server.N', 'only one server is given: running standalone (set standaloneEnabled=false for a one-server ensemble)');
  } else if (participants <= 2) {
    r.warn(at, firstServer?.key ?? 'server.N', 'no server failure will be tolerated: an ensemble needs at least 3 servers');
  } else if (participants % 2 === 0) {
    r.warn(at, firstServer?.key ?? 'server.N', 'non-optimal configuration: consider an odd number of servers');
  }
  const distributed = servers.length > 0 && (!standaloneEnabled || participants > 1);
  const mode = distributed ? 'quorum' : 'standalone';

  const myid = readMyid(fs, dataDir, extendedTypesEnabled);
  if (distributed) {
    if (initLimit === 0) r.fail(null, 'initLimit', 'is not set (needed for an ensemble)');
    if (syncLimit === 0) r.fail(null, 'syncLimit', 'is not set (needed for an ensemble)');
    if (myid === null) r.fail(null, 'myid', `the myid file is missing from ${dataDir} (needed for an ensemble)`);
    if (!servers.some((s) => s.id === myid)) {
      throw new ConfigError(resolve(dataDir, 'myid'), 1, 'myid', `${myid} is not among the server.N ids (${servers.map((s) => s.id).join(', ')})`);
    }
  }
  const me = myid === null ? undefined : servers.find((s) => s.id === myid);
  if (me !== undefined && servers.length > 0 && me.type !== peerType) {
    if (peerTypeSetting !== undefined) {
      r.warn(peerTypeSetting.line, peerTypeSetting.key, `${peerType} does not match the server list (${me.type}); using the server list`);
    }
    peerType = me.type;
  }

  // Client port: zoo.cfg's clientPort/clientPortAddress, or this server's `;[addr:]port`.
  const portSetting = r.peer.get('clientPort');
  const addrSetting = r.peer.get('clientPortAddress');
  let clientPort = portSetting === undefined ? null : r.decode(Port, portSetting);
  let clientPortAddress = addrSetting === undefined ? null : r.decode(Host, addrSetting);
  if (clientPort === null && clientPortAddress !== null) r.fail(addrSetting!.line, addrSetting!.key, 'is set but clientPort is not');
  if (me !== undefined && me.clientPort !== null) {
    const lineAddr = me.clientAddress ?? '0.0.0.0';
    const wildcard = clientPortAddress === null || clientPortAddress === '0.0.0.0' || clientPortAddress === '::';
    if (clientPort !== null && ((wildcard && clientPort !== me.clientPort) || (!wildcard && (clientPortAddress !== lineAddr || clientPort !== me.clientPort)))) {
      const e = r.serverLines.find((l) => l.key === `server.${me.id}`) ?? portSetting!;
      r.fail(e.line, e.key, `the client address of this server (${lineAddr}:${me.clientPort}) differs from clientPortAddress/clientPort (${clientPortAddress ?? '0.0.0.0'}:${clientPort})`);
    }
    clientPort = me.clientPort;
    clientPortAddress = lineAddr === '0.0.0.0' ? null : lineAddr;
  }
  if (clientPort === null) r.fail(null, 'clientPort', 'is not set (and no server.N line gives this server a client port)');

  const secureClientPort = r.peer.has('secureClientPort') ? r.decode(Port, r.peer.get('secureClientPort')!) : null;
  const secureAddr = r.peer.get('secureClientPortAddress');
  if (secureAddr !== undefined && secureClientPort === null) r.fail(secureAddr.line, secureAddr.key, 'is set but secureClientPort is not');

  const properties: Record<string, string> = {};
  for (const [name, s] of r.props) properties[ZK + name] = s.value;

  const config: ServerConfig = {
    source: file === EMBEDDED_NAME ? null : resolve(file),
    mode,
    myid,
    tickTime,
    initLimit,
    syncLimit,
    dataDir,
    dataLogDir,
    traceDir,
    clientPort,
    clientPortAddress,
    secureClientPort,
    maxClientCnxns,
    minSessionTimeout,
    maxSessionTimeout,
    snapCount,
    autopurgeSnapRetainCount,
    autopurgePurgeInterval,
    fourLetterWords,
    authProviders: providers,
    superDigest,
    extendedTypesEnabled,
    enforceQuota,
    reconfigEnabled,
    peerType,
    standaloneEnabled,
    syncEnabled,
    electionAlg: ELECTION_ALG,
    servers,
    groups: ensemble.groups,
    weights: ensemble.weights,
    forceSync,
    juteMaxBuffer,
    globalOutstandingLimit,
    commitLogCount,
    containerCheckIntervalMs,
    containerMaxPerMinute,
    containerMaxNeverUsedIntervalMs,
    properties,
  };
  const checked = ServerConfigC.decode(config);
  if (isLeft(checked)) r.fail(null, null, `internal error: the decoded configuration does not match its type (${checked.left.map((e) => e.context.map((x) => x.key).join('.')).join('; ')})`);
  return { config: checked.right, warnings: r.warnings };
}

/**
 * The configuration a server runs with when given no file: standalone,
 * tickTime=2000, 127.0.0.1:2181, data under `./data` (relative to `cwd`),
 * every four-letter word enabled. Its text is EMBEDDED_DEFAULT_ZOO_CFG.
 */
export function embeddedDefaultConfig(cwd: string = process.cwd(), options: ParseConfigOptions = {}): ServerConfig {
  return parseConfig(EMBEDDED_DEFAULT_ZOO_CFG, EMBEDDED_NAME, { ...options, baseDir: cwd }).config;
}

/**
 * Load a zoo.cfg (or, with no path, the embedded default). Throws ConfigError
 * for a file that cannot be read or a bad value; warnings (keys not acted on,
 * unknown keys, values adjusted as ZooKeeper adjusts them) are returned, and
 * logged when `options.logger` is given.
 */
export function loadConfig(path?: string, options: LoadConfigOptions = {}): LoadedConfig {
  let loaded: LoadedConfig;
  if (path === undefined) {
    loaded = { config: embeddedDefaultConfig(process.cwd(), options), warnings: [] };
  } else {
    const fs = options.fs ?? nodeFileSystem;
    let text: string | undefined;
    try {
      text = fs.readText(path);
    } catch (err) {
      throw new ConfigError(path, null, null, `cannot read the file: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (text === undefined) throw new ConfigError(path, null, null, 'the file does not exist');
    loaded = parseConfig(text, path, options);
  }
  for (const w of loaded.warnings) options.logger?.warn(formatConfigWarning(w));
  return loaded;
}
