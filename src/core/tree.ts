// The znode tree: nodes by path, their Stat fields, children, ACLs (interned),
// ephemerals by owner session, container and TTL nodes, and the watches that
// its changes fire. It changes only by applying transactions (apply.ts), in
// zxid order; everything else reads it.

import { type ACL, type Stat, EventType } from '../wire/protocol.js';
import { OPEN_ACL_UNSAFE, READ_ACL_UNSAFE } from './acl.js';
import { nameOf, parentOf } from './path.js';
import { LIMIT_NODE, QUOTA_ROOT, STAT_NODE, StatsTrack, maxQuotaPrefix, quotaTarget, statPath } from './quota.js';
import { NULL_REF, ValueStore } from './values.js';
import { type WatcherId, Watches } from './watches.js';

/** ephemeralOwner of a container node. */
export const CONTAINER_OWNER = -(1n << 63n);
const EXTENDED_MASK = 0xff00000000000000n;
const RESERVED_MASK = 0x00ffff0000000000n;
const TTL_VALUE_MASK = ~(EXTENDED_MASK | RESERVED_MASK) & 0xffffffffffffffffn;
/** Largest TTL (ms) a TTL node may have. */
export const MAX_TTL = Number(TTL_VALUE_MASK);

/** ephemeralOwner of a TTL node (the TTL in the low bits, extended mask on top). */
export function ttlOwner(ttl: number): bigint {
  return BigInt.asIntN(64, EXTENDED_MASK | BigInt(ttl));
}

export type NodeKind = 'persistent' | 'ephemeral' | 'container' | 'ttl';

export function kindOf(owner: bigint): NodeKind {
  if (owner === 0n) return 'persistent';
  if (owner === CONTAINER_OWNER) return 'container';
  if ((BigInt.asUintN(64, owner) & EXTENDED_MASK) === EXTENDED_MASK) return 'ttl';
  return 'ephemeral';
}

/** The TTL (ms) encoded in a TTL node's ephemeralOwner. */
export function ttlOf(owner: bigint): number {
  return Number(BigInt.asUintN(64, owner) & TTL_VALUE_MASK);
}

/**
 * A snapshot in progress (see src/wire/snapshot-codec.ts): the tree calls `before`
 * ahead of every change to a node's own fields and ahead of its removal, so
 * that the snapshot can write the node as it was.
 */
export interface SnapshotCapture {
  /** the mark this snapshot leaves on the nodes it has written */
  readonly mark: number;
  before(path: string, node: ZNode): void;
}

export class ZNode {
  children: Set<string> | null = null;
  /**
   * Which snapshots in progress have written this node already (see
   * SnapshotCapture): one mark, or several while snapshots overlap.
   */
  snapshotMark: number | number[] = 0;
  /** The data's slot in the tree's value store, and its length (-1: null). */
  private ref = NULL_REF;
  private size = -1;
  constructor(
    private readonly values: ValueStore,
    data: Uint8Array | null,
    public acl: number,
    public czxid: number,
    public mzxid: number,
    public ctime: number,
    public mtime: number,
    public version: number,
    public cversion: number,
    public aversion: number,
    public ephemeralOwner: bigint,
    public pzxid: number,
  ) {
    this.data = data;
  }

  /** The node's data: a view valid until the data changes or the node is deleted. */
  get data(): Uint8Array | null {
    return this.values.view(this.ref, this.size);
  }

  /** Stores a copy of `data`; views of the old data must not be used after this. */
  set data(data: Uint8Array | null) {
    if (this.ref !== NULL_REF) this.values.release(this.ref, this.size);
    this.ref = this.values.put(data);
    this.size = data === null ? -1 : data.length;
  }

  get dataLength(): number {
    return this.size < 0 ? 0 : this.size;
  }

  get numChildren(): number {
    return this.children === null ? 0 : this.children.size;
  }
}

/**
 * The Stat a client sees, as ZooKeeper's DataNode.copyStat makes it. A node
 * keeps in `cversion` the number of children ever created under it (the next
 * sequence number); clients are shown the number of changes to its children,
 * creates and deletes: 2 × creates − children still there. The owner of a
 * container or TTL node is a marker, shown as 0.
 */
export function statOf(n: ZNode): Stat {
  const numChildren = n.numChildren;
  return {
    czxid: n.czxid,
    mzxid: n.mzxid,
    ctime: n.ctime,
    mtime: n.mtime,
    version: n.version,
    cversion: n.cversion * 2 - numChildren,
    aversion: n.aversion,
    ephemeralOwner: kindOf(n.ephemeralOwner) === 'ephemeral' ? n.ephemeralOwner : 0n,
    dataLength: n.dataLength,
    numChildren,
    pzxid: n.pzxid,
  };
}

/** ACL lists interned by value, reference-counted, as numbers on the nodes. */
export class AclCache {
  private readonly lists: (ACL[] | undefined)[] = [];
  private readonly refs: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly free: number[] = [];

  static key(acl: readonly ACL[]): string {
    let k = '';
    for (const a of acl) k += `${a.perms},${a.id.scheme},${a.id.id.length}:${a.id.id};`;
    return k;
  }

  /** Interns `acl` and takes a reference to it. */
  ref(acl: readonly ACL[]): number {
    const k = AclCache.key(acl);
    let i = this.index.get(k);
    if (i === undefined) {
      i = this.free.pop() ?? this.lists.length;
      this.lists[i] = acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } }));
      this.refs[i] = 0;
      this.index.set(k, i);
    }
    this.refs[i]!++;
    return i;
  }

  unref(i: number): void {
    if (--this.refs[i]! > 0) return;
    const list = this.lists[i]!;
    this.index.delete(AclCache.key(list));
    this.lists[i] = undefined;
    this.free.push(i);
  }

  get(i: number): ACL[] {
    return this.lists[i]!;
  }

  /** Takes one more reference to an interned list. */
  refIndex(i: number): number {
    this.refs[i]!++;
    return i;
  }

  /** Every interned list with its index. */
  *entries(): IterableIterator<[number, ACL[]]> {
    for (let i = 0; i < this.lists.length; i++) {
      const l = this.lists[i];
      if (l !== undefined) yield [i, l];
    }
  }

  get size(): number {
    return this.index.size;
  }
}

/** A watch event leaving the tree: who gets it is decided by the watch tables. */
export interface TreeEvent {
  type: number;
  path: string;
  zxid: number;
  /** ACL of the node the event is about: delivery needs READ on it. */
  acl: ACL[];
  watchers: Set<WatcherId>;
}

export type EventSink = (e: TreeEvent) => void;

export class DataTree {
  readonly nodes = new Map<string, ZNode>();
  readonly acls = new AclCache();
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly watches = new Watches();
  /** paths that have a quota (a zookeeper_limits node under /zookeeper/quota) */
  readonly quotas = new Set<string>();
  /** zxid of the last transaction applied. */
  lastProcessedZxid = 0;
  /** Sum of data lengths plus path lengths, as ZooKeeper's approximate data size. */
  dataSize = 0;
  /**
   * Snapshots being taken (the member's own, one per learner being sent
   * SNAP): each is told before any node changes or goes.
   */
  readonly captures: SnapshotCapture[] = [];
  /** Marks handed out to snapshots so far. */
  snapshotMarks = 0;

  /** Tells every snapshot in progress that `node` is about to change or go. */
  private before(path: string, node: ZNode): void {
    for (const c of this.captures) c.before(path, node);
  }
  /** The nodes' data. */
  readonly values = new ValueStore();
  private sink: EventSink = () => {};

  constructor() {
    const open = this.acls.ref(OPEN_ACL_UNSAFE);
    const root = new ZNode(this.values, new Uint8Array(0), open, 0, 0, 0, 0, 0, 0, 0, 0n, 0);
    this.nodes.set('/', root);
    this.insertChild('/', 'zookeeper', new ZNode(this.values, new Uint8Array(0), this.acls.ref(OPEN_ACL_UNSAFE), 0, 0, 0, 0, 0, 0, 0, 0n, 0));
    this.insertChild('/zookeeper', 'quota', new ZNode(this.values, new Uint8Array(0), this.acls.ref(OPEN_ACL_UNSAFE), 0, 0, 0, 0, 0, 0, 0, 0n, 0));
    // ZooKeeper sets /zookeeper/config's ACL with version -1, which leaves aversion at -1.
    this.insertChild('/zookeeper', 'config', new ZNode(this.values, new Uint8Array(0), this.acls.ref(READ_ACL_UNSAFE), 0, 0, 0, 0, 0, 0, -1, 0n, 0));
    this.dataSize = 0;
    for (const p of this.nodes.keys()) this.dataSize += p.length;
  }

  /** Where watch events go (the connection layer filters and delivers them). */
  onEvent(sink: EventSink): void {
    this.sink = sink;
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  aclOf(n: ZNode): ACL[] {
    return this.acls.get(n.acl);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  /** The reserved paths that cannot be deleted. */
  static isSpecialPath(path: string): boolean {
    return path === '/' || path === '/zookeeper' || path === '/zookeeper/quota' || path === '/zookeeper/config';
  }

  /**
   * Puts a node read from a snapshot in place (its parent is already there;
   * the reserved nodes are overwritten). No watches fire.
   */
  restoreNode(path: string, node: ZNode): void {
    const old = this.nodes.get(path);
    if (old) {
      if (this.captures.length > 0) this.before(path, old);
      node.children = old.children;
      this.acls.unref(old.acl);
      this.dataSize -= path.length + old.dataLength;
      old.data = null;
      this.nodes.set(path, node);
    } else {
      const parentPath = parentOf(path);
      const parent = this.nodes.get(parentPath);
      if (!parent) throw new TreeError('NoNode', parentPath);
      (parent.children ??= new Set()).add(nameOf(path));
      this.nodes.set(path, node);
    }
    this.dataSize += path.length + node.dataLength;
    this.indexOwner(path, node.ephemeralOwner);
  }

  /** Files a node under its owner: the session's ephemerals, the containers or the TTL nodes. */
  private indexOwner(path: string, owner: bigint): void {
    if (owner === 0n) return;
    const kind = kindOf(owner);
    if (kind === 'container') this.containers.add(path);
    else if (kind === 'ttl') this.ttls.add(path);
    else {
      let set = this.ephemerals.get(owner);
      if (!set) this.ephemerals.set(owner, (set = new Set()));
      set.add(path);
    }
  }

  private unindexOwner(path: string, owner: bigint): void {
    if (owner === 0n) return;
    const kind = kindOf(owner);
    if (kind === 'container') this.containers.delete(path);
    else if (kind === 'ttl') this.ttls.delete(path);
    else {
      const set = this.ephemerals.get(owner);
      if (set) {
        set.delete(path);
        if (set.size === 0) this.ephemerals.delete(owner);
      }
    }
  }

  private insertChild(parentPath: string, name: string, node: ZNode): void {
    const parent = this.nodes.get(parentPath)!;
    (parent.children ??= new Set()).add(name);
    this.nodes.set(parentPath === '/' ? '/' + name : parentPath + '/' + name, node);
  }

  // ------------------------------------------------------------- mutations

  createNode(
    path: string,
    data: Uint8Array | null,
    acl: readonly ACL[],
    ephemeralOwner: bigint,
    parentCVersion: number,
    zxid: number,
    time: number,
  ): ZNode {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (!parent) throw new TreeError('NoNode', parentPath);
    if (this.nodes.has(path)) throw new TreeError('NodeExists', path);
    if (this.captures.length > 0) this.before(parentPath, parent);
    const cv = parentCVersion === -1 ? parent.cversion + 1 : parentCVersion;
    if (cv > parent.cversion) {
      parent.cversion = cv;
      parent.pzxid = zxid;
    }
    const node = new ZNode(this.values, data, this.acls.ref(acl), zxid, zxid, time, time, 0, 0, 0, ephemeralOwner, zxid);
    (parent.children ??= new Set()).add(nameOf(path));
    this.nodes.set(path, node);
    this.dataSize += path.length + (data === null ? 0 : data.length);
    this.indexOwner(path, ephemeralOwner);
    if (parentPath.startsWith(QUOTA_ROOT + '/')) {
      const name = nameOf(path);
      if (name === LIMIT_NODE) this.quotas.add(quotaTarget(parentPath));
      else if (name === STAT_NODE) this.recountQuota(quotaTarget(parentPath));
    }
    this.quotaChange(path, data === null ? 0 : data.length, 1);
    this.fire(this.watches.data, EventType.NodeCreated, path, zxid, node, true, null);
    this.fire(this.watches.child, EventType.NodeChildrenChanged, parentPath, zxid, parent, false, null);
    return node;
  }

  deleteNode(path: string, zxid: number): void {
    const node = this.nodes.get(path);
    if (!node) throw new TreeError('NoNode', path);
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath)!;
    if (this.captures.length > 0) {
      this.before(path, node);
      this.before(parentPath, parent);
    }
    parent.children!.delete(nameOf(path));
    if (parent.children!.size === 0) parent.children = null;
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.nodes.delete(path);
    this.dataSize -= path.length + node.dataLength;
    this.unindexOwner(path, node.ephemeralOwner);
    if (parentPath.startsWith(QUOTA_ROOT + '/') && nameOf(path) === LIMIT_NODE) this.quotas.delete(quotaTarget(parentPath));
    this.quotaChange(path, -node.dataLength, -1);
    const reached = this.fire(this.watches.data, EventType.NodeDeleted, path, zxid, node, true, null);
    this.fire(this.watches.child, EventType.NodeDeleted, path, zxid, node, false, reached);
    this.fire(this.watches.child, EventType.NodeChildrenChanged, parentPath, zxid, parent, false, null);
    this.acls.unref(node.acl);
    node.data = null;
  }

  setData(path: string, data: Uint8Array | null, version: number, zxid: number, time: number): ZNode {
    const node = this.nodes.get(path);
    if (!node) throw new TreeError('NoNode', path);
    if (this.captures.length > 0) this.before(path, node);
    const diff = (data === null ? 0 : data.length) - node.dataLength;
    this.dataSize += diff;
    this.quotaChange(path, diff, 0);
    node.data = data;
    node.version = version;
    node.mzxid = zxid;
    node.mtime = time;
    this.fire(this.watches.data, EventType.NodeDataChanged, path, zxid, node, true, null);
    return node;
  }

  setAcl(path: string, acl: readonly ACL[], aversion: number): ZNode {
    const node = this.nodes.get(path);
    if (!node) throw new TreeError('NoNode', path);
    if (this.captures.length > 0) this.before(path, node);
    const old = node.acl;
    node.acl = this.acls.ref(acl);
    this.acls.unref(old);
    node.aversion = aversion;
    return node;
  }

  // ------------------------------------------------------------- quotas

  /** Keeps the stats node of the quota covering `path` current. */
  private quotaChange(path: string, bytes: number, count: number): void {
    const prefix = maxQuotaPrefix(this.quotas, path);
    if (prefix === null) return;
    const stats = statPath(prefix);
    const node = this.nodes.get(stats);
    if (!node) return;
    const t = StatsTrack.parse(node.data);
    t.set('count', t.get('count') + count);
    t.set('bytes', t.get('bytes') + bytes);
    this.replaceData(stats, node, t.toBytes());
  }

  /** Counts the nodes and data bytes under a quota'd path into its stats node. */
  recountQuota(path: string): void {
    const stats = statPath(path);
    const node = this.nodes.get(stats);
    if (!node) return;
    let count = 0;
    let bytes = 0;
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const n = this.nodes.get(p);
      if (!n) continue;
      count++;
      bytes += n.dataLength;
      if (n.children) for (const c of n.children) stack.push(p === '/' ? '/' + c : p + '/' + c);
    }
    const t = new StatsTrack();
    t.set('count', count);
    t.set('bytes', bytes);
    this.replaceData(stats, node, t.toBytes());
  }

  /** After loading a snapshot: find every quota and recount it. */
  setupQuotas(): void {
    this.quotas.clear();
    const stack = [QUOTA_ROOT];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const n = this.nodes.get(p);
      if (!n?.children) continue;
      for (const c of n.children) {
        if (c === LIMIT_NODE && p !== QUOTA_ROOT) this.quotas.add(quotaTarget(p));
        else stack.push(p + '/' + c);
      }
    }
    for (const q of this.quotas) this.recountQuota(q);
  }

  private replaceData(path: string, node: ZNode, data: Uint8Array): void {
    if (this.captures.length > 0) this.before(path, node);
    this.dataSize += data.length - node.dataLength;
    node.data = data;
  }

  private fire(
    table: Watches['data'],
    type: number,
    path: string,
    zxid: number,
    node: ZNode,
    ancestors: boolean,
    suppress: Set<WatcherId> | null,
  ): Set<WatcherId> | null {
    // most changes find no watch at all: no set for them
    if (table.pathCount === 0) return null;
    const reached = new Set<WatcherId>();
    table.trigger(path, ancestors, reached);
    if (reached.size === 0) return null;
    let deliver = reached;
    if (suppress) {
      deliver = new Set();
      for (const w of reached) if (!suppress.has(w)) deliver.add(w);
    }
    if (deliver.size > 0) this.sink({ type, path, zxid, acl: this.acls.get(node.acl), watchers: deliver });
    return reached;
  }

  // ------------------------------------------------------------- queries

  /** All descendants of `path` (not counting it), as getAllChildrenNumber. */
  countDescendants(path: string): number {
    const node = this.nodes.get(path);
    if (!node || node.children === null) return 0;
    let n = 0;
    const stack: string[] = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const c = this.nodes.get(p)?.children;
      if (!c) continue;
      for (const name of c) {
        n++;
        stack.push(p === '/' ? '/' + name : p + '/' + name);
      }
    }
    return n;
  }
}

export class TreeError extends Error {
  constructor(
    readonly code: 'NoNode' | 'NodeExists',
    readonly path: string,
  ) {
    super(`${code}: ${path}`);
  }
}
