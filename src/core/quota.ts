// Quotas as ZooKeeper keeps them: a quota on /p is the node
// /zookeeper/quota/p/zookeeper_limits (its data: count=…,bytes=…, and in 3.7+
// countHardLimit=…,byteHardLimit=…); the server keeps
// /zookeeper/quota/p/zookeeper_stats up to date with the number of nodes and
// data bytes under /p. Soft limits are informational; hard limits reject a
// write with QuotaExceeded only when quota enforcement is on.

import { utf8Decode, utf8Encode } from './utf8.js';

export const QUOTA_ROOT = '/zookeeper/quota';
export const LIMIT_NODE = 'zookeeper_limits';
export const STAT_NODE = 'zookeeper_stats';

export function limitPath(path: string): string {
  return QUOTA_ROOT + path + '/' + LIMIT_NODE;
}

export function statPath(path: string): string {
  return QUOTA_ROOT + path + '/' + STAT_NODE;
}

/** The quota'd path a /zookeeper/quota/… node belongs to ("/p" for /zookeeper/quota/p/zookeeper_limits). */
export function quotaTarget(quotaNodeParent: string): string {
  return quotaNodeParent.substring(QUOTA_ROOT.length);
}

/** The key=value pairs of a limits or stats node; a missing value reads as -1. */
export class StatsTrack {
  readonly values = new Map<string, number>();

  static parse(data: Uint8Array | null): StatsTrack {
    const t = new StatsTrack();
    if (data === null || data.length === 0) return t;
    const text = utf8Decode(data);
    for (const pair of text.split(/[,;]+/)) {
      if (pair === '') continue;
      const [k, v] = pair.split('=');
      const n = v === undefined || v === '' ? -1 : Number(v);
      t.values.set(k!, Number.isFinite(n) ? n : -1);
    }
    return t;
  }

  get(key: string): number {
    return this.values.get(key) ?? -1;
  }

  set(key: string, v: number): void {
    this.values.set(key, v);
  }

  /** count and bytes first (older parsers read only those), then the other keys sorted after an extra '='. */
  toString(): string {
    let s = `count=${this.get('count')},bytes=${this.get('bytes')}`;
    const rest = [...this.values.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
    if (rest.length > 0) {
      s += '=';
      for (const k of rest) s += `;${k}=${this.values.get(k)}`;
    }
    return s;
  }

  toBytes(): Uint8Array {
    return utf8Encode(this.toString());
  }
}

/** The longest quota'd path that is `path` or an ancestor of it (never "/"), or null. */
export function maxQuotaPrefix(quotas: ReadonlySet<string>, path: string): string | null {
  if (quotas.size === 0) return null;
  let p = path;
  while (p.length > 1) {
    if (quotas.has(p)) return p;
    const i = p.lastIndexOf('/');
    p = i <= 0 ? '/' : p.substring(0, i);
  }
  return null;
}
