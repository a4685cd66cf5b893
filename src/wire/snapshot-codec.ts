// Binary form of a database snapshot: the last applied zxid, the live
// sessions, the interned ACL lists and every node, ended by a null path. The
// storage layer frames it with a header and a checksum; this file knows only
// the content.
//
// A snapshot is taken a slice at a time while the database goes on changing
// (SnapshotEncoder): it holds the database exactly as it was when the
// encoder was created. The tree tells the encoder before it changes or
// removes a node, and the encoder writes that node's old state first (copy
// on write); nodes created later are left out. Nodes therefore come in no
// particular order, and decoding puts parents before children itself.

import { JuteError, JuteReader, JuteWriter } from './jute.js';
import { readAclVector, writeAclVector } from './records.js';
import { Database } from '../core/database.js';
import { ZNode, type SnapshotCapture } from '../core/tree.js';

const FORMAT = 2;
const CHUNK = 1 << 20;
/**
 * Serialises a database as it is at construction, `step` by `step`, while
 * transactions go on being applied between steps. Chunks of about 1 MB come
 * out of `take`; node data is copied into them, as the tree reuses the
 * memory of data that changes (see values.ts).
 */
export class SnapshotEncoder implements SnapshotCapture {
  /** The last transaction the snapshot covers. */
  readonly zxid: number;
  private readonly w = new JuteWriter(2 * CHUNK);
  private out: Uint8Array[] = [];
  private readonly nodes: Iterator<[string, ZNode]>;
  readonly mark: number;
  private finished = false;

  constructor(private readonly db: Database) {
    const tree = db.tree;
    this.zxid = tree.lastProcessedZxid;
    const w = this.w;
    w.writeInt(FORMAT);
    w.writeLong(this.zxid);
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
    this.mark = ++tree.snapshotMarks;
    this.nodes = tree.nodes.entries();
    tree.captures.push(this);
  }

  /** Encodes up to `count` more nodes; true once the snapshot is complete. */
  step(count: number): boolean {
    if (this.finished) return true;
    for (let i = 0; i < count; i++) {
      const next = this.nodes.next();
      if (next.done) {
        this.w.writeUstring(null);
        this.out.push(this.w.finish());
        this.close();
        return true;
      }
      const [path, node] = next.value;
      this.before(path, node);
    }
    return false;
  }

  /** The chunks completed since the last call. */
  take(): Uint8Array[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Stops following the tree (the snapshot is complete or abandoned). */
  close(): void {
    this.finished = true;
    const captures = this.db.tree.captures;
    const i = captures.indexOf(this);
    if (i >= 0) captures.splice(i, 1);
  }

  /** Whether this snapshot has written `node` already; if not, marks it written. */
  private written(node: ZNode): boolean {
    const m = node.snapshotMark;
    if (m === this.mark || (typeof m !== 'number' && m.includes(this.mark))) return true;
    // keep the marks of the other snapshots in progress; drop those of finished ones
    const captures = this.db.tree.captures;
    const live = (typeof m === 'number' ? [m] : m).filter((x) => x !== this.mark && captures.some((c) => c.mark === x));
    node.snapshotMark = live.length === 0 ? this.mark : [...live, this.mark];
    return false;
  }

  /** Called by the tree before it changes or removes `node`: writes the node as it was, once. */
  before(path: string, node: ZNode): void {
    if (node.czxid > this.zxid || this.written(node)) return;
    const w = this.w;
    w.writeUstring(path);
    w.writeBuffer(node.data);
    w.writeInt(node.acl);
    w.writeLong(node.czxid);
    w.writeLong(node.mzxid);
    w.writeLong(node.ctime);
    w.writeLong(node.mtime);
    w.writeInt(node.version);
    w.writeInt(node.cversion);
    w.writeInt(node.aversion);
    w.writeBigLong(node.ephemeralOwner);
    w.writeLong(node.pzxid);
    if (w.length >= CHUNK) this.out.push(w.finish());
  }
}

/** Serialises the database at once (see SnapshotEncoder). */
export function encodeSnapshot(db: Database): Uint8Array[] {
  const e = new SnapshotEncoder(db);
  e.step(Infinity);
  return e.take();
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
  // parents first: a parent's path has fewer segments than its children's
  const byDepth: Array<Array<[string, ZNode]>> = [];
  for (let path = r.readUstring(); path !== null; path = r.readUstring()) {
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
    const node = new ZNode(tree.values, data, tree.acls.refIndex(acl), czxid, mzxid, ctime, mtime, version, cversion, aversion, owner, pzxid);
    const depth = segments(path);
    (byDepth[depth] ??= []).push([path, node]);
  }
  for (const level of byDepth) {
    for (const [path, node] of level ?? []) {
      try {
        tree.restoreNode(path, node);
      } catch {
        throw new JuteError(`snapshot node ${path} has no parent in the snapshot`);
      }
    }
  }
  r.expectEnd('snapshot');
  // drop the references taken while reading the ACL table
  for (const i of aclIndex.values()) tree.acls.unref(i);
  tree.setupQuotas();
  tree.lastProcessedZxid = zxid;
  return db;
}

function segments(path: string): number {
  if (path === '/') return 0;
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}
