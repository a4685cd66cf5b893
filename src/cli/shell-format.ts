// How the shell prints things: the same text zkCli prints for a Stat, an
// ACL, a watch event, a failed operation or a malformed path.

import { ZkError } from '../client/errors.js';
import { pathError } from '../core/path.js';
import { ErrorCode, EventType, KeeperState, Perms, type Id, type Stat } from '../wire/protocol.js';
import type { WatchedEvent } from '../client/client.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

function zoneName(d: Date, timeZone: string | undefined): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short', ...(timeZone ? { timeZone } : {}) }).formatToParts(d);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
}

/**
 * A time as Java's Date.toString prints it: `Thu Jan 01 00:00:00 UTC 1970`,
 * in the local time zone (or the one given).
 */
export function javaDate(ms: number, timeZone?: string): string {
  const d = new Date(ms);
  if (timeZone === undefined) {
    return (
      `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zoneName(d, undefined)} ${d.getFullYear()}`
    );
  }
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    year: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string): string => f.find((p) => p.type === t)?.value ?? '';
  return `${get('weekday')} ${get('month')} ${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${zoneName(d, timeZone)} ${get('year')}`;
}

/** Long.toHexString: two's complement for negative values. */
export function hexLong(v: number | bigint): string {
  return BigInt.asUintN(64, BigInt(v)).toString(16);
}

/** The lines zkCli's StatPrinter prints. */
export function formatStat(s: Stat, timeZone?: string): string {
  return (
    [
      `cZxid = 0x${hexLong(s.czxid)}`,
      `ctime = ${javaDate(s.ctime, timeZone)}`,
      `mZxid = 0x${hexLong(s.mzxid)}`,
      `mtime = ${javaDate(s.mtime, timeZone)}`,
      `pZxid = 0x${hexLong(s.pzxid)}`,
      `cversion = ${s.cversion}`,
      `dataVersion = ${s.version}`,
      `aclVersion = ${s.aversion}`,
      `ephemeralOwner = 0x${hexLong(s.ephemeralOwner)}`,
      `dataLength = ${s.dataLength}`,
      `numChildren = ${s.numChildren}`,
    ].join('\n') + '\n'
  );
}

/** ZKUtil.getPermString: c, d, r, w, a in that order. */
export function permString(perms: number): string {
  let s = '';
  if (perms & Perms.CREATE) s += 'c';
  if (perms & Perms.DELETE) s += 'd';
  if (perms & Perms.READ) s += 'r';
  if (perms & Perms.WRITE) s += 'w';
  if (perms & Perms.ADMIN) s += 'a';
  return s;
}

/** The letters of a permission string (AclParser): r w c d a; other letters are reported. */
export function parsePerms(s: string, warn: (msg: string) => void): number {
  let perms = 0;
  for (const ch of s) {
    switch (ch) {
      case 'r':
        perms |= Perms.READ;
        break;
      case 'w':
        perms |= Perms.WRITE;
        break;
      case 'c':
        perms |= Perms.CREATE;
        break;
      case 'd':
        perms |= Perms.DELETE;
        break;
      case 'a':
        perms |= Perms.ADMIN;
        break;
      default:
        warn(`Unknown perm type: ${ch}`);
    }
  }
  return perms;
}

function csvEscape(s: string): string {
  let out = "'";
  for (const ch of s) {
    switch (ch) {
      case '\0':
        out += '%00';
        break;
      case '\n':
        out += '%0A';
        break;
      case '\r':
        out += '%0D';
        break;
      case ',':
        out += '%2C';
        break;
      case '}':
        out += '%7D';
        break;
      case '%':
        out += '%25';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/** An Id as its jute record prints itself (getAcl shows it): `'world,'anyone` and a newline. */
export function formatId(id: Id): string {
  return `${csvEscape(id.scheme)},${csvEscape(id.id)}\n`;
}

const eventNames = new Map<number, string>(Object.entries(EventType).map(([k, v]) => [v, k]));
const stateNames = new Map<number, string>(Object.entries(KeeperState).map(([k, v]) => [v, k]));

/** WatchedEvent.toString of ZooKeeper 3.9. */
export function formatEvent(e: WatchedEvent): string {
  const state = stateNames.get(e.state) ?? 'Unknown';
  const type = eventNames.get(e.type) ?? 'None';
  return `WatchedEvent state:${state} type:${type} path:${e.path ?? 'null'} zxid: ${e.zxid}`;
}

/** What zkCli prints for a failed operation (CliWrapperException's wording). */
export function errorMessage(e: unknown, path?: string): string {
  if (!(e instanceof ZkError)) return e instanceof Error ? e.message : String(e);
  const p = e.path ?? path ?? '';
  switch (e.code) {
    case ErrorCode.NoNode:
      return `Node does not exist: ${p}`;
    case ErrorCode.NoChildrenForEphemerals:
      return `Ephemerals cannot have children: ${p}`;
    case ErrorCode.NodeExists:
      return `Node already exists: ${p}`;
    case ErrorCode.NotEmpty:
      return `Node not empty: ${p}`;
    case ErrorCode.NotReadOnly:
      return `Not a read-only call: ${p}`;
    case ErrorCode.InvalidACL:
      return `Acl is not valid : ${p}`;
    case ErrorCode.NoAuth:
      return `Insufficient permission : ${p}`;
    case ErrorCode.BadArguments:
      return `Arguments are not valid : ${p}`;
    case ErrorCode.BadVersion:
      return `version No is not valid : ${p}`;
    case ErrorCode.ReconfigInProgress:
      return 'Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)';
    case ErrorCode.QuotaExceeded:
      return `Quota has exceeded : ${p}`;
    default:
      return e.message;
  }
}

/** Why zkCli's client would refuse `path` before sending it (PathUtils wording), or null. */
export function clientPathError(path: string, sequential = false): string | null {
  const checked = sequential ? path + '1' : path;
  const reason = pathError(checked);
  if (reason === null) return null;
  if (reason.includes('@')) return `Invalid path string "${checked}" caused by ${reason}`;
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/** Netty's ByteBufUtil.prettyHexDump, which `get -x` prints. */
export function hexDump(data: Uint8Array): string {
  if (data.length === 0) return '';
  const lines = [
    '         +-------------------------------------------------+',
    '         |  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f |',
    '+--------+-------------------------------------------------+----------------+',
  ];
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    let hex = '';
    let text = '';
    for (let i = 0; i < 16; i++) {
      if (i < row.length) {
        const b = row[i]!;
        hex += ' ' + b.toString(16).padStart(2, '0');
        text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else {
        hex += '   ';
        text += ' ';
      }
    }
    lines.push(`|${off.toString(16).padStart(8, '0')}|${hex} |${text}|`);
  }
  lines.push('+--------+-------------------------------------------------+----------------+');
  return lines.join('\n');
}
