// The election connection: the handshake the connecting member sends, then
// notifications both ways, each in a length-prefixed frame (see
// peer-codec.ts for the byte layouts).

import type { Notification, PeerState, ServerId } from '../../core/zab/messages.js';
import { hostAndPorts, LineProblem } from '../config-quorum.js';
import { endOfStream, StreamDecoder, takeFrame } from './byte-queue.js';
import { checkFingerprint, checkPeerId, type PeerCheck } from './ensemble.js';
import { fail } from './errors.js';
import { readRange } from './numbers.js';

/** The connection protocol version ZooKeeper 3.5+ sends (one election address). */
export const ELECTION_PROTOCOL_VERSION = -65536n;
/** The multi-address version of ZooKeeper 3.6+, which this member does not speak. */
const ELECTION_PROTOCOL_VERSION_MULTI = -65535n;
/** The notification format version (ZooKeeper 3.5+: with a configuration field). */
export const NOTIFICATION_VERSION = 2;
/** The longest election address accepted in a handshake, as in ZooKeeper. */
export const MAX_ADDRESS_BYTES = 2048;
/** The largest election frame accepted by default, as in ZooKeeper. */
export const DEFAULT_MAX_ELECTION_FRAME = 512 * 1024;

const NOTIFICATION_BYTES = 44;
const FINGERPRINT_BYTES = 8;

/** Server states in the order of their numbers on the wire. */
const STATES: readonly PeerState[] = ['LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING'];

export interface ElectionAddress {
  host: string;
  port: number;
}

export interface ElectionHandshake {
  serverId: ServerId;
  electionAddress: ElectionAddress;
  fingerprint: bigint;
}

/** What an election connection carries, decoded. */
export type ElectionMessage =
  | ({ kind: 'handshake' } & ElectionHandshake)
  | { kind: 'notification'; from: ServerId; n: Notification };

/** `host:port`, an IPv6 host in brackets. */
export function formatAddress(a: ElectionAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function parseAddress(text: string): ElectionAddress {
  let parts: string[];
  try {
    parts = hostAndPorts(text);
  } catch (e) {
    if (e instanceof LineProblem) fail('garbage', `election address '${text}': ${e.message}`);
    throw e;
  }
  const [host, port] = parts;
  if (parts.length !== 2 || !host) fail('garbage', `election address '${text}' is not host:port`);
  if (!/^\d{1,5}$/.test(port!) || Number(port) < 1 || Number(port) > 65535) {
    fail('garbage', `election address '${text}' has no valid port`);
  }
  return { host, port: Number(port) };
}

/** The handshake a member sends first on an election connection it opens. */
export function encodeElectionHandshake(h: ElectionHandshake): Uint8Array {
  const address = Buffer.from(formatAddress(h.electionAddress), 'utf8');
  if (address.length > MAX_ADDRESS_BYTES) throw new Error(`election address is longer than ${MAX_ADDRESS_BYTES} bytes`);
  const out = Buffer.allocUnsafe(20 + address.length + 4 + FINGERPRINT_BYTES);
  out.writeBigInt64BE(ELECTION_PROTOCOL_VERSION, 0);
  out.writeBigInt64BE(BigInt(h.serverId), 8);
  out.writeInt32BE(address.length, 16);
  address.copy(out, 20);
  const p = 20 + address.length;
  out.writeInt32BE(FINGERPRINT_BYTES, p);
  out.writeBigInt64BE(h.fingerprint, p + 4);
  return out;
}

/** A notification in its frame. */
export function encodeNotification(n: Notification): Uint8Array {
  const out = Buffer.allocUnsafe(4 + NOTIFICATION_BYTES);
  out.writeInt32BE(NOTIFICATION_BYTES, 0);
  out.writeInt32BE(STATES.indexOf(n.state), 4);
  out.writeBigInt64BE(BigInt(n.leader), 8);
  out.writeBigInt64BE(BigInt(n.zxid), 16);
  out.writeBigInt64BE(BigInt(n.electionEpoch), 24);
  out.writeBigInt64BE(BigInt(n.peerEpoch), 32);
  out.writeInt32BE(NOTIFICATION_VERSION, 40);
  // the configuration ZooKeeper sends here: none
  out.writeInt32BE(0, 44);
  return out;
}

/** Decodes the payload of a notification frame. */
export function decodeNotification(payload: Uint8Array): Notification {
  if (payload.length < NOTIFICATION_BYTES) {
    fail('truncated', `a notification needs ${NOTIFICATION_BYTES} bytes, got ${payload.length}`);
  }
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const stateNo = b.readInt32BE(0);
  const state = STATES[stateNo];
  if (state === undefined) fail('garbage', `notification with unknown server state ${stateNo}`);
  const leader = readRange(b.readBigInt64BE(4), -1, 'notification leader');
  const zxid = readRange(b.readBigInt64BE(12), 0, 'notification zxid');
  const electionEpoch = readRange(b.readBigInt64BE(20), 0, 'notification election epoch');
  const peerEpoch = readRange(b.readBigInt64BE(28), 0, 'notification peer epoch');
  const version = b.readInt32BE(36);
  if (version !== NOTIFICATION_VERSION) fail('version', `notification version ${version}; this member speaks ${NOTIFICATION_VERSION}`);
  const configLength = b.readInt32BE(40);
  if (configLength < 0) fail('garbage', `notification configuration length ${configLength} is negative`);
  const rest = payload.length - NOTIFICATION_BYTES;
  if (configLength > rest) fail('truncated', `notification configuration of ${configLength} bytes, ${rest} present`);
  if (configLength < rest) fail('trailing', `${rest - configLength} bytes after a notification`);
  return { state, leader, zxid, electionEpoch, peerEpoch };
}

export interface ElectionDecoderOptions {
  check: PeerCheck;
  /**
   * The member this connection was opened to, when this member opened it:
   * no handshake comes back. Absent on an accepted connection, which must
   * begin with the handshake.
   */
  peer?: ServerId;
  /** The largest frame accepted (default DEFAULT_MAX_ELECTION_FRAME). */
  maxFrameBytes?: number;
}

type Stage = 'version' | 'address' | 'fingerprint' | 'notifications';

/**
 * Decodes what arrives on one election connection, chunk by chunk: the
 * handshake first on an accepted connection (its sender vetted against the
 * ensemble), then notifications, each tagged with its sender.
 */
export class ElectionDecoder extends StreamDecoder<ElectionMessage> {
  private readonly check: PeerCheck;
  private readonly maxFrame: number;
  private stage: Stage;
  private sid: ServerId | null;
  private address: ElectionAddress | null = null;

  constructor(options: ElectionDecoderOptions) {
    super();
    this.check = options.check;
    this.maxFrame = options.maxFrameBytes ?? DEFAULT_MAX_ELECTION_FRAME;
    this.sid = options.peer ?? null;
    this.stage = this.sid === null ? 'version' : 'notifications';
  }

  /** The member at the other end, once known. */
  get peer(): ServerId | null {
    return this.sid;
  }

  protected ended(): void {
    endOfStream(this.q, this.stage === 'notifications' ? 'notification frame' : 'handshake');
  }

  protected drain(out: ElectionMessage[]): void {
    const q = this.q;
    for (;;) {
      switch (this.stage) {
        case 'version': {
          if (!q.has(8)) return;
          const version = q.bigLong(0);
          if (version !== ELECTION_PROTOCOL_VERSION) {
            fail(
              'version',
              version === ELECTION_PROTOCOL_VERSION_MULTI
                ? 'election handshake in the multi-address protocol (version -65535), which this member does not speak'
                : `election handshake protocol version ${version}; this member speaks ${ELECTION_PROTOCOL_VERSION}`,
            );
          }
          if (!q.has(16)) return;
          this.sid = checkPeerId(this.check, q.bigLong(8), 'election handshake');
          q.consume(16);
          this.stage = 'address';
          break;
        }
        case 'address': {
          const text = takeFrame(q, MAX_ADDRESS_BYTES, 'election address');
          if (text === null) return;
          this.address = parseAddress(Buffer.from(text.buffer, text.byteOffset, text.length).toString('utf8'));
          this.stage = 'fingerprint';
          break;
        }
        case 'fingerprint': {
          const f = takeFrame(q, this.maxFrame, 'ensemble fingerprint');
          if (f === null) return;
          if (f.length !== FINGERPRINT_BYTES) {
            fail(f.length < FINGERPRINT_BYTES ? 'truncated' : 'trailing', `the ensemble fingerprint frame holds ${f.length} bytes, not ${FINGERPRINT_BYTES}`);
          }
          const fingerprint = Buffer.from(f.buffer, f.byteOffset, 8).readBigInt64BE(0);
          checkFingerprint(this.check, fingerprint, this.sid!, 'election handshake');
          out.push({ kind: 'handshake', serverId: this.sid!, electionAddress: this.address!, fingerprint });
          this.stage = 'notifications';
          break;
        }
        case 'notifications': {
          const f = takeFrame(q, this.maxFrame, 'notification');
          if (f === null) return;
          out.push({ kind: 'notification', from: this.sid!, n: decodeNotification(f) });
          break;
        }
      }
    }
  }
}
