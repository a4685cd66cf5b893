// Binary form of transactions, as the log stores them (and, later, as Zab
// proposals carry them). Jute primitives, our own layout: the header, then a
// tag for the body kind and its fields.

import { JuteError, JuteReader, JuteWriter } from './jute.js';
import { readAclVector, writeAclVector } from './records.js';
import type { MultiOp, Txn, TxnBody, TxnHeader } from '../core/txn.js';

const Tag = {
  create: 1,
  delete: 2,
  setData: 3,
  setACL: 4,
  check: 5,
  multi: 6,
  createSession: 7,
  closeSession: 8,
  error: 9,
} as const;

/** Transactions are limited by the log's record size, not by jute.maxbuffer alone. */
const MAX_FIELD = 64 * 1024 * 1024;

const writer = new JuteWriter(256 * 1024);

export function encodeTxn(txn: Txn, w: JuteWriter = writer): Uint8Array {
  writeTxn(w, txn);
  return w.finish();
}

/** Appends a transaction to `w` without finishing its output (to embed it in a larger record). */
export function writeTxn(w: JuteWriter, txn: Txn): void {
  writeHeader(w, txn.hdr);
  writeBody(w, txn.body);
}

export function decodeTxn(bytes: Uint8Array): Txn {
  const r = new JuteReader(bytes, { maxLength: MAX_FIELD });
  const hdr = readHeader(r);
  const body = readBody(r, 0);
  r.expectEnd('transaction');
  return { hdr, body };
}

function writeHeader(w: JuteWriter, h: TxnHeader): void {
  w.writeBigLong(h.sessionId);
  w.writeInt(h.cxid);
  w.writeLong(h.zxid);
  w.writeLong(h.time);
  w.writeInt(h.type);
}

function readHeader(r: JuteReader): TxnHeader {
  const sessionId = r.readBigLong();
  const cxid = r.readInt();
  const zxid = r.readLong();
  const time = r.readLong();
  const type = r.readInt();
  return { sessionId, cxid, zxid, time, type };
}

function writeBody(w: JuteWriter, b: TxnBody): void {
  switch (b.kind) {
    case 'create':
      w.writeInt(Tag.create);
      w.writeUstring(b.path);
      w.writeBuffer(b.data);
      writeAclVector(w, b.acl);
      w.writeBigLong(b.ephemeralOwner);
      w.writeInt(b.parentCVersion);
      return;
    case 'delete':
      w.writeInt(Tag.delete);
      w.writeUstring(b.path);
      return;
    case 'setData':
      w.writeInt(Tag.setData);
      w.writeUstring(b.path);
      w.writeBuffer(b.data);
      w.writeInt(b.version);
      return;
    case 'setACL':
      w.writeInt(Tag.setACL);
      w.writeUstring(b.path);
      writeAclVector(w, b.acl);
      w.writeInt(b.version);
      return;
    case 'check':
      w.writeInt(Tag.check);
      w.writeUstring(b.path);
      w.writeInt(b.version);
      return;
    case 'multi':
      w.writeInt(Tag.multi);
      w.writeInt(b.ops.length);
      for (const op of b.ops) {
        w.writeInt(op.type);
        writeBody(w, op.body);
      }
      return;
    case 'createSession':
      w.writeInt(Tag.createSession);
      w.writeInt(b.timeout);
      return;
    case 'closeSession':
      w.writeInt(Tag.closeSession);
      return;
    case 'error':
      w.writeInt(Tag.error);
      w.writeInt(b.err);
      return;
  }
}

function readBody(r: JuteReader, depth: number): TxnBody {
  const at = r.offset;
  const tag = r.readInt();
  switch (tag) {
    case Tag.create: {
      const path = r.readString();
      const data = r.readBuffer();
      const acl = readAclVector(r);
      const ephemeralOwner = r.readBigLong();
      const parentCVersion = r.readInt();
      return { kind: 'create', path, data, acl, ephemeralOwner, parentCVersion };
    }
    case Tag.delete:
      return { kind: 'delete', path: r.readString() };
    case Tag.setData: {
      const path = r.readString();
      const data = r.readBuffer();
      return { kind: 'setData', path, data, version: r.readInt() };
    }
    case Tag.setACL: {
      const path = r.readString();
      const acl = readAclVector(r);
      return { kind: 'setACL', path, acl, version: r.readInt() };
    }
    case Tag.check: {
      const path = r.readString();
      return { kind: 'check', path, version: r.readInt() };
    }
    case Tag.multi: {
      if (depth > 0) throw new JuteError(`nested multi transaction at offset ${at}`);
      const n = r.readVectorLength('multi', 8);
      const ops: MultiOp[] = [];
      for (let i = 0; i < n; i++) {
        const type = r.readInt();
        ops.push({ type, body: readBody(r, depth + 1) });
      }
      return { kind: 'multi', ops };
    }
    case Tag.createSession:
      return { kind: 'createSession', timeout: r.readInt() };
    case Tag.closeSession:
      return { kind: 'closeSession' };
    case Tag.error:
      return { kind: 'error', err: r.readInt() };
    default:
      throw new JuteError(`unknown transaction tag ${tag} at offset ${at}`);
  }
}
