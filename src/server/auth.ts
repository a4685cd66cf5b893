// Authentication providers of the client port (addAuth): `digest` turns
// "user:password" into the id user:base64(sha1(user:password)) and grants the
// super user to the configured super digest; `ip` adds the client's address.

import { createHash } from 'node:crypto';
import type { Id } from '../wire/protocol.js';

/** The digest id ZooKeeper derives from "user:password". */
export function digestOf(userPassword: string): string {
  const i = userPassword.indexOf(':');
  const user = i < 0 ? userPassword : userPassword.substring(0, i);
  const hash = createHash('sha1').update(userPassword, 'utf8').digest('base64');
  return `${user}:${hash}`;
}

export interface AuthContext {
  /** the client's address, as the `ip` scheme sees it */
  address: string;
  /** `user:base64(sha1(user:password))` of the super user, or null */
  superDigest: string | null;
}

/** The ids an addAuth grants, or null when the scheme is unknown (AuthFailed). */
export function authenticate(scheme: string, auth: Uint8Array | null, ctx: AuthContext): Id[] | null {
  switch (scheme) {
    case 'digest': {
      const text = auth === null ? '' : Buffer.from(auth.buffer, auth.byteOffset, auth.byteLength).toString('utf8');
      const id = digestOf(text);
      const ids: Id[] = [];
      if (ctx.superDigest !== null && id === ctx.superDigest) ids.push({ scheme: 'super', id: '' });
      ids.push({ scheme: 'digest', id });
      return ids;
    }
    case 'ip':
      return [{ scheme: 'ip', id: ctx.address }];
    default:
      return null;
  }
}

/** Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; the ip scheme wants a.b.c.d. */
export function normaliseAddress(addr: string | undefined): string {
  if (!addr) return '0.0.0.0';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.substring(7) : addr;
}
