// Access control as ZooKeeper enforces it: ACL lists of (perms, scheme:id),
// the schemes world, auth, digest and ip, and the super user.

import { type ACL, type Id, Perms, ErrorCode } from '../wire/protocol.js';

export const ANYONE: Id = { scheme: 'world', id: 'anyone' };
export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: Perms.ALL, id: ANYONE }];
export const READ_ACL_UNSAFE: ACL[] = [{ perms: Perms.READ, id: ANYONE }];

/** True when the ids of a connection include the super user. */
export function isSuper(ids: readonly Id[]): boolean {
  for (const a of ids) if (a.scheme === 'super') return true;
  return false;
}

/**
 * Whether the connection holding `ids` (its authenticated identities,
 * including its `ip`) may perform `perm` on a node whose ACL is `acl`.
 */
export function permits(acl: readonly ACL[], perm: number, ids: readonly Id[]): boolean {
  if (acl.length === 0) return true;
  if (isSuper(ids)) return true;
  for (const a of acl) {
    if ((a.perms & perm) === 0) continue;
    const { scheme, id } = a.id;
    if (scheme === 'world') {
      if (id === 'anyone') return true;
      continue;
    }
    for (const auth of ids) {
      if (auth.scheme !== scheme) continue;
      if (scheme === 'ip' ? ipMatches(auth.id, id) : auth.id === id) return true;
    }
  }
  return false;
}

/** Schemes that a connection can authenticate with (addAuth) and whose ids can be checked. */
export const AUTHENTICATION_SCHEMES = new Set(['digest', 'ip']);

/** Whether `id` is a well-formed id of `scheme` for use in an ACL. */
export function isValidAclId(scheme: string, id: string): boolean {
  switch (scheme) {
    case 'world':
      return id === 'anyone';
    case 'digest':
      return id.split(':').length === 2;
    case 'ip':
      return parseIpAcl(id) !== null;
    default:
      return false;
  }
}

export type FixupResult = { ok: true; acl: ACL[] } | { ok: false; err: number };

/**
 * Validates the ACL of a create or setACL and expands the `auth` scheme into
 * the requester's authenticated ids, as ZooKeeper does: an empty list, an
 * unknown scheme, a malformed id or `auth` without any authenticated id is
 * InvalidACL. Duplicates are dropped.
 */
export function fixupAcl(acl: readonly ACL[], ids: readonly Id[]): FixupResult {
  const unique: ACL[] = [];
  for (const a of acl) {
    if (!unique.some((u) => u.perms === a.perms && u.id.scheme === a.id.scheme && u.id.id === a.id.id)) unique.push(a);
  }
  if (unique.length === 0) return { ok: false, err: ErrorCode.InvalidACL };
  const out: ACL[] = [];
  for (const a of unique) {
    const { scheme, id } = a.id;
    if (scheme === 'world' && id === 'anyone') {
      out.push(a);
    } else if (scheme === 'auth') {
      let any = false;
      for (const cid of ids) {
        // only schemes that really authenticate a user count (ip does not)
        if (cid.scheme === 'digest') {
          any = true;
          out.push({ perms: a.perms, id: { scheme: cid.scheme, id: cid.id } });
        }
      }
      if (!any) return { ok: false, err: ErrorCode.InvalidACL };
    } else if (isValidAclId(scheme, id)) {
      out.push(a);
    } else {
      return { ok: false, err: ErrorCode.InvalidACL };
    }
  }
  return { ok: true, acl: out };
}

/** The user name an id shows in whoAmI. */
export function userOf(id: Id): string {
  if (id.scheme === 'digest') {
    const i = id.id.indexOf(':');
    return i < 0 ? id.id : id.id.substring(0, i);
  }
  return id.id;
}

/** A getACL answer for a reader without ADMIN: digest hashes are masked. */
export function redactDigests(acl: readonly ACL[]): ACL[] {
  return acl.map((a) =>
    a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: 'digest', id: a.id.id.replace(/:.*/s, ':x') } } : a,
  );
}

// ------------------------------------------------------------------ ip

/** Parses an IPv4 or IPv6 address into bytes, or null. */
export function parseIp(addr: string): Uint8Array | null {
  if (addr.includes(':')) return parseIpv6(addr);
  return parseIpv4(addr);
}

function parseIpv4(addr: string): Uint8Array | null {
  const parts = addr.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

function parseIpv6(addr: string): Uint8Array | null {
  let s = addr;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.substring(0, zone);
  let tail: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.substring(lastColon + 1).includes('.')) {
    tail = parseIpv4(s.substring(lastColon + 1));
    if (!tail) return null;
    s = s.substring(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (h: string): number[] | null => {
    if (h === '') return [];
    const gs = h.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !rest) return null;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

interface IpAcl {
  addr: Uint8Array;
  bits: number;
}

function parseIpAcl(id: string): IpAcl | null {
  const slash = id.indexOf('/');
  const addr = parseIp(slash < 0 ? id : id.substring(0, slash));
  if (!addr) return null;
  let bits = addr.length * 8;
  if (slash >= 0) {
    const b = id.substring(slash + 1);
    if (!/^[0-9]+$/.test(b)) return null;
    bits = Number(b);
    if (bits > addr.length * 8) return null;
  }
  return { addr, bits };
}

/** Whether the client address `client` lies in the ACL id `aclId` (address or CIDR). */
export function ipMatches(client: string, aclId: string): boolean {
  const acl = parseIpAcl(aclId);
  const c = parseIp(client);
  if (!acl || !c || c.length !== acl.addr.length) return false;
  let bits = acl.bits;
  for (let i = 0; i < c.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((c[i]! & mask) !== (acl.addr[i]! & mask)) return false;
  }
  return true;
}
