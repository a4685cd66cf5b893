// io-ts codecs for the values of zoo.cfg entries. Each decodes the trimmed
// text of one value and fails with a message that says what was expected;
// config.ts adds the file, the line and the key.

import { isIP } from 'node:net';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';

/** Decode `value` with `codec`; the message of the first failure on error. */
export function decodeValue<A>(codec: t.Decoder<unknown, A>, value: string): { ok: true; value: A } | { ok: false; message: string } {
  const result = codec.decode(value);
  if (isLeft(result)) {
    const first = result.left[0];
    return { ok: false, message: first?.message ?? `is not a valid ${codec.name}` };
  }
  return { ok: true, value: result.right };
}

type Parsed<A> = { readonly value: A } | { readonly error: string };
const ok = <A>(value: A): Parsed<A> => ({ value });
const bad = <A>(error: string): Parsed<A> => ({ error });

function stringCodec<A>(name: string, parse: (s: string) => Parsed<A>, encode: (a: A) => string, is: (u: unknown) => u is A): t.Type<A, string, unknown> {
  return new t.Type<A, string, unknown>(
    name,
    is,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, `expected text, got ${typeof u}`);
      const r = parse(u);
      return 'error' in r ? t.failure(u, c, r.error) : t.success(r.value);
    },
    encode,
  );
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

const isInt = (u: unknown): u is number => typeof u === 'number' && Number.isInteger(u);

const commentHint = (s: string): string =>
  /\s[#!]/.test(s) ? " ('#' starts a comment only at the beginning of a line)" : '';

/** Java's Integer.parseInt: optional sign, decimal digits, 32-bit range. */
export const JavaInt = stringCodec<number>(
  'JavaInt',
  (s) => {
    if (!/^[+-]?\d+$/.test(s)) return bad(`'${s}' is not an integer${commentHint(s)}`);
    const n = Number(s);
    if (n < INT_MIN || n > INT_MAX) return bad(`'${s}' is out of the 32-bit integer range`);
    return ok(n);
  },
  String,
  isInt,
);

/** Java's Long.parseLong, limited to the integers a JS number holds exactly. */
export const JavaLong = stringCodec<number>(
  'JavaLong',
  (s) => {
    if (!/^[+-]?\d+$/.test(s)) return bad(`'${s}' is not an integer${commentHint(s)}`);
    const n = Number(s);
    if (!Number.isSafeInteger(n)) return bad(`'${s}' is too large`);
    return ok(n);
  },
  String,
  isInt,
);

function javaDecoded(name: string, min: number, max: number, range: string): t.Type<number, string, unknown> {
  return stringCodec<number>(
    name,
    (s) => {
      const notInt = bad<number>(`'${s}' is not an integer${commentHint(s)}`);
      const m = /^([+-]?)(0[xX]|#|0(?=\d))?([0-9a-fA-F]+)$/.exec(s);
      if (!m) return notInt;
      const [, sign, prefix, digits] = m;
      const radix = prefix === undefined ? 10 : prefix === '0' ? 8 : 16;
      const valid = radix === 10 ? /^\d+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9a-fA-F]+$/;
      if (!valid.test(digits!)) return notInt;
      const n = parseInt(digits!, radix) * (sign === '-' ? -1 : 1);
      if (n < min || n > max) return bad(`'${s}' is out of the ${range} range`);
      return ok(n);
    },
    String,
    isInt,
  );
}

/**
 * Java's Integer.decode, which ZooKeeper uses for settings read as system
 * properties (snapCount, jute.maxbuffer, znode.container.*): decimal,
 * `0x`/`0X`/`#` hexadecimal, and a leading `0` for octal.
 */
export const JavaDecodedInt = javaDecoded('JavaDecodedInt', INT_MIN, INT_MAX, '32-bit integer');
/** Java's Long.decode, limited to the integers a JS number holds exactly. */
export const JavaDecodedLong = javaDecoded('JavaDecodedLong', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'integer');

/** An integer codec narrowed to [min, max]. */
export function intInRange(base: t.Type<number, string, unknown>, min: number, max: number, what: string): t.Type<number, string, unknown> {
  return new t.Type<number, string, unknown>(
    `${base.name}[${min},${max}]`,
    (u): u is number => base.is(u) && u >= min && u <= max,
    (u, c) => {
      const r = base.validate(u, c);
      if (isLeft(r)) return r;
      const n = r.right;
      if (n < min || n > max) return t.failure(u, c, `${n} is out of range for ${what} (${min}..${max})`);
      return t.success(n);
    },
    base.encode,
  );
}

/** A TCP port as Java's InetSocketAddress takes it (0 = any free port). */
export const Port = intInRange(JavaInt, 0, 65535, 'a port');
/** A port another server connects to: 0 would name no port. */
export const PeerPort = intInRange(JavaInt, 1, 65535, 'a port');

const isBoolean = (u: unknown): u is boolean => typeof u === 'boolean';

/** `true` or `false`, any case (QuorumPeerConfig.parseBoolean). */
export const JavaBoolean = stringCodec<boolean>(
  'JavaBoolean',
  (s) => {
    const l = s.toLowerCase();
    if (l === 'true') return ok(true);
    if (l === 'false') return ok(false);
    return bad(`invalid option '${s}': choose 'true' or 'false'`);
  },
  String,
  isBoolean,
);

/** `yes` or `no` (forceSync). ZooKeeper turns syncing off only for exactly `no`. */
export const YesNo = stringCodec<boolean>(
  'YesNo',
  (s) => {
    if (s === 'yes') return ok(true);
    if (s === 'no') return ok(false);
    return bad(`invalid option '${s}': choose 'yes' or 'no'`);
  },
  (b) => (b ? 'yes' : 'no'),
  isBoolean,
);

export const PeerTypeC = t.keyof({ participant: null, observer: null }, 'PeerType');
export type PeerType = t.TypeOf<typeof PeerTypeC>;

/** `participant` or `observer`, any case. */
export const PeerTypeFromString = stringCodec<PeerType>(
  'PeerType',
  (s) => {
    const l = s.trim().toLowerCase();
    if (l === 'participant' || l === 'observer') return ok(l);
    return bad(`unrecognised peer type '${s}' (participant or observer)`);
  },
  String,
  PeerTypeC.is,
);

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** A host name, an IPv4 address or an IPv6 address (brackets optional); brackets are removed. */
export const Host = stringCodec<string>(
  'Host',
  (s) => {
    if (s.startsWith('[') || s.endsWith(']')) {
      const bare = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : '';
      return isIP(bare) === 6 ? ok(bare) : bad(`'${s}' is not an IPv6 address`);
    }
    if (isIP(s) !== 0) return ok(s);
    if (/^[\d.]+$/.test(s)) return bad(`'${s}' is not a valid IPv4 address`);
    return HOSTNAME.test(s) ? ok(s) : bad(`'${s}' is not a valid host name or address`);
  },
  (h) => (h.includes(':') ? `[${h}]` : h),
  (u): u is string => typeof u === 'string',
);
