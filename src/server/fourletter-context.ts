// The running server seen through the four-letter words: the context that
// runFourLetterWord formats, built from the live state of a server — a
// standalone one or a member of an ensemble, through FourLetterSource.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ClientConnection } from './connection.js';
import { newServerCounters } from './connection.js';
import {
  type FourLetterConnection,
  type FourLetterContext,
  type SessionPaths,
  fourLetterArgumentBytes,
  fourLetterConf,
  fourLetterWordOfCode,
  runFourLetterWord,
} from './fourletter.js';
import { nodeEnvironment } from './fourletter-env.js';
import type { Database } from '../core/database.js';
import type { Frontend } from '../core/frontend.js';
import type { ClientPort } from './client-port.js';
import type { ServerConfig } from './config.js';
import type { ServerMode } from './fourletter.js';
import type { Logger } from './log.js';
import { serverVersion } from './version.js';

/** What the four-letter words read of a running server. */
export interface FourLetterSource {
  readonly config: ServerConfig;
  readonly port: ClientPort;
  readonly startedAt: number;
  traceMask: bigint;
  readonly log: Logger;
  /** the database and the frontend as they are now */
  readonly db: Database;
  readonly frontend: Frontend;
  /** the live sessions (size) and the expiry of those whose expiry this server decides (a learner decides none) */
  readonly expiries: { readonly size: number; entries(): Iterable<{ id: bigint; expiresAt: number }>; expiresAt(id: bigint): number | undefined };
  /** what the server is now: serving or not, its mode, and what a leader adds */
  role(): {
    serving: boolean;
    mode: ServerMode;
    peerState?: string;
    proposalSizes?: { last: number; min: number; max: number };
    monitorExtras?: ReadonlyArray<readonly [string, number | bigint | string]>;
  };
}

function connectionView(c: ClientConnection): FourLetterConnection {
  const s = c.stats;
  return {
    remoteAddress: c.address,
    remotePort: c.port,
    interestOps: c.closing || c.readingHeldBack ? 0 : 1,
    outstandingRequests: c.outstanding,
    packetsReceived: s.received,
    packetsSent: s.sent,
    sessionId: c.sessionId,
    lastOperation: s.lastOp,
    established: s.established,
    sessionTimeout: c.timeout,
    lastCxid: s.lastCxid,
    lastZxid: s.lastZxid,
    lastResponseTime: s.lastResponse,
    lastLatency: s.lastLatency,
    latency: { count: s.count, total: s.totalLatency, min: s.minLatency, max: s.maxLatency },
  };
}

function dirSize(dir: string): number {
  let total = 0;
  const vdir = path.join(dir, 'version-2');
  let names: string[];
  try {
    names = readdirSync(vdir);
  } catch {
    return 0;
  }
  for (const n of names) {
    if (!n.startsWith('log.') && !n.startsWith('snapshot.')) continue;
    try {
      total += statSync(path.join(vdir, n)).size;
    } catch {
      // removed by a purge meanwhile
    }
  }
  return total;
}

function openFileDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

function maxFileDescriptors(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+)/m.exec(limits);
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

export function fourLetterContext(server: FourLetterSource): FourLetterContext {
  const db = server.db;
  const frontend = server.frontend;
  const tree = db.tree;
  const c = server.port.counters;
  const conns = [...server.port.conns.values()];
  const role = server.role();
  let outstanding = 0;
  for (const x of conns) outstanding += x.outstanding;
  let ephemerals = 0;
  for (const set of tree.ephemerals.values()) ephemerals += set.size;
  const tick = server.config.tickTime;
  const version = serverVersion();
  return {
    version,
    serving: role.serving,
    mode: role.mode,
    ...(role.peerState !== undefined ? { peerState: role.peerState } : {}),
    ...(role.proposalSizes !== undefined ? { proposalSizes: role.proposalSizes } : {}),
    ...(role.monitorExtras !== undefined ? { monitorExtras: role.monitorExtras } : {}),
    startTime: server.startedAt,
    now: Date.now(),
    zxid: db.lastZxid,
    latency: { count: c.count, total: c.totalLatency, min: c.minLatency, max: c.maxLatency },
    packetsReceived: c.packetsReceived,
    packetsSent: c.packetsSent,
    numAliveConnections: conns.length,
    outstandingRequests: outstanding,
    // ZooKeeper's count includes the root twice (under "" and "/")
    nodeCount: tree.nodeCount + 1,
    watchCount: tree.watches.data.size + tree.watches.child.size,
    ephemeralsCount: ephemerals,
    approximateDataSize: tree.dataSize,
    globalSessions: server.expiries.size,
    localSessions: 0,
    authFailedCount: server.port.authFailures,
    clientResponseSize: { last: c.lastResponseSize, min: c.minResponseSize, max: c.maxResponseSize },
    openFileDescriptorCount: openFileDescriptors(),
    maxFileDescriptorCount: maxFileDescriptors(),
    traceMask: server.traceMask,
    conf: fourLetterConf(server.config, server.port.address().port),
    connections: () => conns.map(connectionView),
    watches: () => {
      const bySession = new Map<bigint, Set<string>>();
      for (const table of [tree.watches.data, tree.watches.child]) {
        for (const w of table.watchers()) {
          const sid = frontend.conns.get(w)?.sessionId ?? 0n;
          let set = bySession.get(sid);
          if (!set) bySession.set(sid, (set = new Set()));
          for (const p of table.pathsOf(w)) set.add(p);
        }
      }
      return [...bySession].map(([sessionId, paths]): SessionPaths => ({ sessionId, paths: [...paths] }));
    },
    ephemerals: () => [...tree.ephemerals].map(([sessionId, paths]) => ({ sessionId, paths: [...paths] })),
    sessionExpiry: () => {
      const buckets = new Map<number, bigint[]>();
      for (const s of server.expiries.entries()) {
        const at = Math.ceil(s.expiresAt / tick) * tick;
        let b = buckets.get(at);
        if (!b) buckets.set(at, (b = []));
        b.push(s.id);
      }
      return [...buckets].sort((a, b) => a[0] - b[0]).map(([expiresAt, members]) => ({ expiresAt, members }));
    },
    connectionExpiry: () => {
      const buckets = new Map<number, Array<{ remoteAddress: string; remotePort: number; sessionId: bigint }>>();
      for (const x of conns) {
        const expiresAt = x.sessionId !== 0n ? server.expiries.expiresAt(x.sessionId) : undefined;
        if (expiresAt === undefined) continue;
        const at = Math.ceil(expiresAt / tick) * tick;
        let b = buckets.get(at);
        if (!b) buckets.set(at, (b = []));
        b.push({ remoteAddress: x.address, remotePort: x.port, sessionId: x.sessionId });
      }
      return [...buckets].sort((a, b) => a[0] - b[0]).map(([expiresAt, members]) => ({ expiresAt, members }));
    },
    dirSizes: () => ({ dataDirSize: dirSize(server.config.dataDir), logDirSize: dirSize(server.config.dataLogDir) }),
    environment: () => nodeEnvironment(version),
    digestLog: () => [],
    resetServerStats: () => {
      Object.assign(c, newServerCounters());
    },
    resetConnectionStats: () => {
      for (const x of conns) x.resetStats();
    },
    setTraceMask: (mask: bigint) => {
      server.traceMask = mask;
    },
  };
}

/**
 * The answer to the first bytes of a fresh connection when they spell a
 * four-letter word (null otherwise). `stmk` takes its 8-byte mask from the
 * bytes after the word.
 */
export function serverFourLetterWord(firstChunk: Buffer, server: FourLetterSource, conn: ClientConnection): string | null {
  const word = fourLetterWordOfCode(firstChunk.readInt32BE(0));
  if (word === undefined) return null;
  let mask: bigint | undefined;
  if (fourLetterArgumentBytes(word) === 8 && firstChunk.length >= 12) mask = firstChunk.readBigInt64BE(4);
  server.log.info(`processing four-letter word ${word} from ${conn.describe()}`);
  return runFourLetterWord(word, fourLetterContext(server), server.config.fourLetterWords, mask);
}
