// Binary form of a database snapshot: the last applied zxid, the live
// sessions, the interned ACL lists and every node (parents before children,
// which is the tree's insertion order). The storage layer frames it with a
// header and a checksum; this file knows only the content.

import { JuteError, JuteReader, JuteWriter } from '../wire/jute.js';
import { readAclVector, writeAclVector } from '../wire/records.js';
import { Database } from './database.js';
import { ZNode } from './tree.js';

const FORMAT = 1;
const CHUNK = 1 << 20;
/**
 * Node data at least this long goes into the output as it is instead of
 * being copied: the tree never changes a data array in place (setData
 * replaces it), so the array still holds the snapshot's value when the
 * chunks are written out later. Serialising a tree of large values on the
 * event loop is then mostly bookkeeping, not copying.
 */
const SHARED_MIN = 256;

/** Serialises the database into chunks of about 1 MB or single node values (views that stay valid). */
export function encodeSnapshot(db: Database): Uint8Array[] {
  const w = new JuteWriter(4 * CHUNK);
  const out: Uint8Array[] = [];
  const cut = (): void => {
    if (w.length >= CHUNK) out.push(w.finish());
  };
  const tree = db.tree;
  w.writeInt(FORMAT);
  w.writeLong(tree.lastProcessedZxid);
  w.writeInt(db.sessions.size);
  for (const [id, timeout] of db.sessions) {
    w.writeBigLong(id);
    w.writeInt(timeout);
  }
  const acls = [...tree.acls.entries()];
  w.writeInt(acls.length);
  for (const [i, list] of acls) {
    w.writeInt(i);
    writeAclVector(w, list);
  }
  w.writeInt(tree.nodes.size);
  for (const [path, n] of tree.nodes) {
    w.writeUstring(path);
    const data = n.data;
    if (data !== null && data.length >= SHARED_MIN) {
      w.writeInt(data.length);
      out.push(w.finish(), data);
    } else {
      w.writeBuffer(data);
    }
    w.writeInt(n.acl);
    w.writeLong(n.czxid);
    w.writeLong(n.mzxid);
    w.writeLong(n.ctime);
    w.writeLong(n.mtime);
    w.writeInt(n.version);
    w.writeInt(n.cversion);
    w.writeInt(n.aversion);
    w.writeBigLong(n.ephemeralOwner);
    w.writeLong(n.pzxid);
    cut();
  }
  if (w.length > 0) out.push(w.finish());
  return out;
}

/** Rebuilds a database from snapshot content; malformed content is a JuteError. */
export function decodeSnapshot(bytes: Uint8Array): Database {
  const r = new JuteReader(bytes, { maxLength: 1 << 30 });
  const format = r.readInt();
  if (format !== FORMAT) throw new JuteError(`unknown snapshot content format ${format}`);
  const db = new Database();
  const tree = db.tree;
  const zxid = r.readLong();
  const sessions = r.readVectorLength('session', 12);
  for (let i = 0; i < sessions; i++) {
    const id = r.readBigLong();
    db.sessions.set(id, r.readInt());
  }
  const aclCount = r.readVectorLength('acl list', 8);
  const aclIndex = new Map<number, number>();
  for (let i = 0; i < aclCount; i++) {
    const old = r.readInt();
    aclIndex.set(old, tree.acls.ref(readAclVector(r)));
  }
  const nodes = r.readVectorLength('node', 4 + 4 + 4 + 8 * 6 + 4 * 3);
  for (let i = 0; i < nodes; i++) {
    const path = r.readString();
    const data = r.readBuffer();
    const acl = aclIndex.get(r.readInt());
    if (acl === undefined) throw new JuteError(`node ${path} refers to an unknown ACL list`);
    const czxid = r.readLong();
    const mzxid = r.readLong();
    const ctime = r.readLong();
    const mtime = r.readLong();
    const version = r.readInt();
    const cversion = r.readInt();
    const aversion = r.readInt();
    const owner = r.readBigLong();
    const pzxid = r.readLong();
    const node = new ZNode(data, tree.acls.refIndex(acl), czxid, mzxid, ctime, mtime, version, cversion, aversion, owner, pzxid);
    try {
      tree.restoreNode(path, node);
    } catch {
      throw new JuteError(`snapshot node ${path} comes before its parent`);
    }
  }
  r.expectEnd('snapshot');
  // drop the references taken while reading the ACL table
  for (const i of aclIndex.values()) tree.acls.unref(i);
  tree.setupQuotas();
  tree.lastProcessedZxid = zxid;
  return db;
}
