// The small jute records of the client protocol: Id, ACL, Stat, ClientInfo,
// the connect handshake, request/reply headers and watch notifications.
// Field order and types follow zookeeper.jute.

import { JuteError, JuteReader, JuteWriter } from './jute.js';
import {
  Xid,
  type ACL,
  type ClientInfo,
  type ConnectRequest,
  type ConnectResponse,
  type ReplyHeader,
  type RequestHeader,
  type Stat,
  type WatcherEvent,
} from './protocol.js';

/** The writer behind the `encode*` helpers: its output views never overlap (see JuteWriter). */
export const sharedWriter = new JuteWriter();

/** Bytes of an encoded Stat: six longs and five ints. */
export const STAT_SIZE = 68;
/** Fewest bytes an encoded ACL can take (perms + two empty strings). */
export const MIN_ACL_SIZE = 12;

// ---------------------------------------------------------------- Id, ACL

export function writeAcl(w: JuteWriter, acl: ACL): void {
  w.writeInt(acl.perms);
  w.writeUstring(acl.id.scheme);
  w.writeUstring(acl.id.id);
}

export function readAcl(r: JuteReader): ACL {
  const perms = r.readInt();
  const scheme = r.readString();
  const id = r.readString();
  return { perms, id: { scheme, id } };
}

/** vector<ACL> (an ACL list is always written, never as null). */
export function writeAclVector(w: JuteWriter, acl: readonly ACL[]): void {
  w.writeInt(acl.length);
  for (let i = 0; i < acl.length; i++) writeAcl(w, acl[i]!);
}

/** vector<ACL>; a null vector (count -1) reads as an empty list. */
export function readAclVector(r: JuteReader): ACL[] {
  const n = r.readVectorLength('ACL', MIN_ACL_SIZE);
  const out: ACL[] = [];
  for (let i = 0; i < n; i++) out.push(readAcl(r));
  return out;
}

// ---------------------------------------------------------------- Stat

export function writeStat(w: JuteWriter, s: Stat): void {
  w.writeLong(s.czxid);
  w.writeLong(s.mzxid);
  w.writeLong(s.ctime);
  w.writeLong(s.mtime);
  w.writeInt(s.version);
  w.writeInt(s.cversion);
  w.writeInt(s.aversion);
  w.writeBigLong(s.ephemeralOwner);
  w.writeInt(s.dataLength);
  w.writeInt(s.numChildren);
  w.writeLong(s.pzxid);
}

export function readStat(r: JuteReader): Stat {
  if (r.remaining < STAT_SIZE) {
    throw new JuteError(`Stat needs ${STAT_SIZE} bytes but ${r.remaining} remain at offset ${r.offset}`);
  }
  const czxid = r.readLong();
  const mzxid = r.readLong();
  const ctime = r.readLong();
  const mtime = r.readLong();
  const version = r.readInt();
  const cversion = r.readInt();
  const aversion = r.readInt();
  const ephemeralOwner = r.readBigLong();
  const dataLength = r.readInt();
  const numChildren = r.readInt();
  const pzxid = r.readLong();
  return { czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid };
}

// ---------------------------------------------------------------- ClientInfo

export function writeClientInfoVector(w: JuteWriter, v: readonly ClientInfo[]): void {
  w.writeInt(v.length);
  for (const c of v) {
    w.writeUstring(c.authScheme);
    w.writeUstring(c.user);
  }
}

export function readClientInfoVector(r: JuteReader): ClientInfo[] {
  const n = r.readVectorLength('ClientInfo', 8);
  const out: ClientInfo[] = [];
  for (let i = 0; i < n; i++) {
    const authScheme = r.readString();
    const user = r.readString();
    out.push({ authScheme, user });
  }
  return out;
}

// ---------------------------------------------------------------- connect handshake

/** Writes a ConnectRequest; the readOnly byte only when the request has the field (long form). */
export function writeConnectRequest(w: JuteWriter, c: ConnectRequest): void {
  w.writeInt(c.protocolVersion);
  w.writeLong(c.lastZxidSeen);
  w.writeInt(c.timeOut);
  w.writeBigLong(c.sessionId);
  w.writeBuffer(c.passwd);
  if (c.readOnly !== undefined) w.writeBool(c.readOnly);
}

/**
 * Reads a ConnectRequest in either form: the long form (3.4 and later) ends
 * with a readOnly byte, the short form stops after passwd. A null passwd
 * reads as an empty one.
 */
export function decodeConnectRequest(r: JuteReader): ConnectRequest {
  const protocolVersion = r.readInt();
  const lastZxidSeen = r.readLong();
  const timeOut = r.readInt();
  const sessionId = r.readBigLong();
  const passwd = r.readBuffer() ?? new Uint8Array(0);
  const req: ConnectRequest = { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd };
  if (r.remaining > 0) req.readOnly = r.readBool();
  return req;
}

/** Writes a ConnectResponse; the readOnly byte only when set (answer the long form with it). */
export function writeConnectResponse(w: JuteWriter, c: ConnectResponse): void {
  w.writeInt(c.protocolVersion);
  w.writeInt(c.timeOut);
  w.writeBigLong(c.sessionId);
  w.writeBuffer(c.passwd);
  if (c.readOnly !== undefined) w.writeBool(c.readOnly);
}

/** Reads a ConnectResponse in either form (see decodeConnectRequest). */
export function decodeConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.readInt();
  const timeOut = r.readInt();
  const sessionId = r.readBigLong();
  const passwd = r.readBuffer() ?? new Uint8Array(0);
  const res: ConnectResponse = { protocolVersion, timeOut, sessionId, passwd };
  if (r.remaining > 0) res.readOnly = r.readBool();
  return res;
}

/** A framed ConnectRequest (length prefix included). */
export function encodeConnectRequest(c: ConnectRequest, w: JuteWriter = sharedWriter): Uint8Array {
  const mark = w.beginFrame();
  writeConnectRequest(w, c);
  w.endFrame(mark);
  return w.finish();
}

/** A framed ConnectResponse (length prefix included). */
export function encodeConnectResponse(c: ConnectResponse, w: JuteWriter = sharedWriter): Uint8Array {
  const mark = w.beginFrame();
  writeConnectResponse(w, c);
  w.endFrame(mark);
  return w.finish();
}

// ---------------------------------------------------------------- headers

export function writeRequestHeader(w: JuteWriter, h: RequestHeader): void {
  w.writeInt(h.xid);
  w.writeInt(h.type);
}

export function readRequestHeader(r: JuteReader): RequestHeader {
  const xid = r.readInt();
  const type = r.readInt();
  return { xid, type };
}

export function writeReplyHeader(w: JuteWriter, h: ReplyHeader): void {
  w.writeInt(h.xid);
  w.writeLong(h.zxid);
  w.writeInt(h.err);
}

export function readReplyHeader(r: JuteReader): ReplyHeader {
  const xid = r.readInt();
  const zxid = r.readLong();
  const err = r.readInt();
  return { xid, zxid, err };
}

// ---------------------------------------------------------------- watch notifications

export function writeWatcherEvent(w: JuteWriter, e: WatcherEvent): void {
  w.writeInt(e.type);
  w.writeInt(e.state);
  w.writeUstring(e.path);
}

export function readWatcherEvent(r: JuteReader): WatcherEvent {
  const type = r.readInt();
  const state = r.readInt();
  const path = r.readString();
  return { type, state, path };
}

/**
 * A framed watch notification: ReplyHeader {xid -1, zxid, err 0} followed by
 * the WatcherEvent. `zxid` is the zxid of the change that fired the watch
 * (3.9 clients show it), or -1.
 */
export function encodeNotification(e: WatcherEvent, zxid = -1, w: JuteWriter = sharedWriter): Uint8Array {
  const mark = w.beginFrame();
  writeReplyHeader(w, { xid: Xid.notification, zxid, err: 0 });
  writeWatcherEvent(w, e);
  w.endFrame(mark);
  return w.finish();
}
