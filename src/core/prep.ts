// prep: a write request, checked against the tree plus the changes of the
// transactions still in flight, becomes a transaction with the next zxid.
// Checks run in ZooKeeper's order so that a request failing several of them
// gets the same error code as from ZooKeeper. A failed request becomes an
// `error` transaction (it keeps its zxid, as in ZooKeeper).

import { type ACL, type Id, type Request, CreateMode, ErrorCode, OpCode, Perms } from '../wire/protocol.js';
import { fixupAcl, permits } from './acl.js';
import { isValidPath, parentOf, sequenceSuffix } from './path.js';
import { StatsTrack, limitPath, maxQuotaPrefix, statPath } from './quota.js';
import { CONTAINER_OWNER, DataTree, MAX_TTL, kindOf, ttlOwner } from './tree.js';
import type { MultiOp, Txn, TxnBody, TxnHeader } from './txn.js';

/** What prep knows of a node: the tree's state with in-flight changes applied. */
interface NodeRecord {
  zxid: number;
  path: string;
  /** null: deleted by an in-flight transaction */
  stat: {
    version: number;
    cversion: number;
    aversion: number;
    ephemeralOwner: bigint;
  } | null;
  childCount: number;
  acl: ACL[];
}

export interface PrepOptions {
  /** TTL nodes are allowed only with extendedTypesEnabled. */
  extendedTypesEnabled: boolean;
  /** reconfigEnabled: without it reconfig is ReconfigDisabled; a standalone server cannot reconfigure anyway. */
  reconfigEnabled?: boolean;
  /** zookeeper.enforceQuota: a write past a hard quota limit fails with QuotaExceeded. */
  enforceQuota?: boolean;
}

class PrepFailure {
  constructor(readonly err: number) {}
}

export class Prep {
  private readonly changes = new Map<string, NodeRecord>();
  private readonly changeLog: NodeRecord[] = [];
  private changeHead = 0;
  /** undo entries while a multi is being prepared */
  private undo: Array<[string, NodeRecord | undefined]> | null = null;
  /** zxid of the last transaction handed out */
  lastZxid: number;

  constructor(
    private readonly tree: DataTree,
    private readonly options: PrepOptions,
  ) {
    this.lastZxid = tree.lastProcessedZxid;
  }

  /** The number of node changes still in flight. */
  get outstanding(): number {
    return this.changeLog.length - this.changeHead;
  }

  /** Forgets the in-flight changes of every transaction up to `zxid` (now in the tree). */
  applied(zxid: number): void {
    while (this.changeHead < this.changeLog.length && this.changeLog[this.changeHead]!.zxid <= zxid) {
      const rec = this.changeLog[this.changeHead++]!;
      if (this.changes.get(rec.path) === rec) this.changes.delete(rec.path);
    }
    if (this.changeHead > 1024 && this.changeHead * 2 > this.changeLog.length) {
      this.changeLog.splice(0, this.changeHead);
      this.changeHead = 0;
    }
  }

  /** Drops all in-flight state (a new leader or a restart starts from the tree). */
  reset(lastZxid: number): void {
    this.changes.clear();
    this.changeLog.length = 0;
    this.changeHead = 0;
    this.lastZxid = lastZxid;
  }

  private header(sessionId: bigint, cxid: number, type: number, time: number): TxnHeader {
    return { sessionId, cxid, zxid: ++this.lastZxid, time, type };
  }

  /**
   * Turns a write request (create*, delete, setData, setACL, check, multi,
   * reconfig) of `sessionId` into a transaction. `ids` are the requester's
   * authenticated identities.
   */
  write(sessionId: bigint, cxid: number, req: Request, ids: readonly Id[], time: number): Txn {
    const hdr = this.header(sessionId, cxid, req.type, time);
    if (req.type === OpCode.multi) {
      return { hdr, body: this.multi(hdr, req.ops, ids) };
    }
    try {
      return { hdr, body: this.op(hdr, sessionId, req, ids) };
    } catch (e) {
      if (!(e instanceof PrepFailure)) throw e;
      hdr.type = OpCode.error;
      return { hdr, body: { kind: 'error', err: e.err } };
    }
  }

  createSession(sessionId: bigint, timeout: number, time: number): Txn {
    return { hdr: this.header(sessionId, 0, OpCode.createSession, time), body: { kind: 'createSession', timeout } };
  }

  /** Closes a session: its ephemerals (in the tree or in flight) are deleted when applied. */
  closeSession(sessionId: bigint, cxid: number, time: number): Txn {
    const hdr = this.header(sessionId, cxid, OpCode.closeSession, time);
    const doomed = new Set(this.tree.ephemerals.get(sessionId) ?? []);
    for (let i = this.changeHead; i < this.changeLog.length; i++) {
      const c = this.changeLog[i]!;
      if (c.stat === null) doomed.delete(c.path);
      else if (c.stat.ephemeralOwner === sessionId) doomed.add(c.path);
    }
    for (const path of doomed) {
      this.addChange({ zxid: hdr.zxid, path, stat: null, childCount: 0, acl: [] });
    }
    return { hdr, body: { kind: 'closeSession' } };
  }

  /** Deletes an empty container or an expired TTL node (a request of the server itself). */
  deleteContainer(path: string, time: number): Txn {
    return this.write(0n, 0, { type: OpCode.deleteContainer, path, version: -1 }, [], time);
  }

  // ---------------------------------------------------------------- records

  private record(path: string): NodeRecord {
    const r = this.lookup(path);
    if (r === null) throw new PrepFailure(ErrorCode.NoNode);
    return r;
  }

  private lookup(path: string): NodeRecord | null {
    const c = this.changes.get(path);
    if (c !== undefined) return c.stat === null ? null : c;
    const n = this.tree.get(path);
    if (!n) return null;
    return {
      zxid: -1,
      path,
      stat: { version: n.version, cversion: n.cversion, aversion: n.aversion, ephemeralOwner: n.ephemeralOwner },
      childCount: n.numChildren,
      acl: this.tree.aclOf(n),
    };
  }

  private addChange(rec: NodeRecord): void {
    if (this.undo) this.undo.push([rec.path, this.changes.get(rec.path)]);
    this.changes.set(rec.path, rec);
    this.changeLog.push(rec);
  }

  private removeChild(zxid: number, path: string): void {
    const parentPath = parentOf(path);
    const parent = this.record(parentPath);
    this.addChange({ ...parent, zxid, childCount: parent.childCount - 1 });
    this.addChange({ zxid, path, stat: null, childCount: 0, acl: [] });
  }

  // ---------------------------------------------------------------- ops

  private multi(hdr: TxnHeader, ops: Request[], ids: readonly Id[]): TxnBody {
    const logMark = this.changeLog.length;
    this.undo = [];
    const out: MultiOp[] = [];
    let failed = -1;
    let err = 0;
    try {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        try {
          out.push({ type: op.type, body: this.op(hdr, hdr.sessionId, op, ids) });
        } catch (e) {
          if (!(e instanceof PrepFailure)) throw e;
          failed = i;
          err = e.err;
          break;
        }
      }
    } finally {
      const undo = this.undo;
      this.undo = null;
      if (failed >= 0) {
        for (let i = undo.length - 1; i >= 0; i--) {
          const [path, prev] = undo[i]!;
          if (prev === undefined) this.changes.delete(path);
          else this.changes.set(path, prev);
        }
        this.changeLog.length = logMark;
      }
    }
    if (failed < 0) return { kind: 'multi', ops: out };
    // All or nothing: the operations before the failing one report OK, the
    // failing one its error, the rest RuntimeInconsistency; none changes the tree.
    const results: MultiOp[] = ops.map((_, i) => ({
      type: OpCode.error,
      body: {
        kind: 'error',
        err: i < failed ? ErrorCode.OK : i === failed ? err : ErrorCode.RuntimeInconsistency,
      },
    }));
    return { kind: 'multi', ops: results };
  }

  private op(hdr: TxnHeader, sessionId: bigint, req: Request, ids: readonly Id[]): TxnBody {
    switch (req.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
        return this.create(hdr, sessionId, req.type, req.path, req.data, req.acl, req.flags, -1, ids);
      case OpCode.createTTL:
        return this.create(hdr, sessionId, req.type, req.path, req.data, req.acl, req.flags, req.ttl, ids);
      case OpCode.delete: {
        const path = req.path;
        if (!isValidPath(path) || DataTree.isSpecialPath(path)) throw new PrepFailure(ErrorCode.BadArguments);
        const parent = this.record(parentOf(path));
        if (!permits(parent.acl, Perms.DELETE, ids)) throw new PrepFailure(ErrorCode.NoAuth);
        const node = this.record(path);
        checkVersion(node.stat!.version, req.version);
        if (node.childCount > 0) throw new PrepFailure(ErrorCode.NotEmpty);
        this.removeChild(hdr.zxid, path);
        return { kind: 'delete', path };
      }
      case OpCode.deleteContainer: {
        // as in ZooKeeper: no ACL check, only empty containers and TTL nodes
        const path = req.path;
        if (!isValidPath(path) || DataTree.isSpecialPath(path)) throw new PrepFailure(ErrorCode.BadArguments);
        const node = this.record(path);
        if (node.childCount > 0) throw new PrepFailure(ErrorCode.NotEmpty);
        const kind = kindOf(node.stat!.ephemeralOwner);
        if (kind !== 'container' && kind !== 'ttl') throw new PrepFailure(ErrorCode.BadVersion);
        this.removeChild(hdr.zxid, path);
        return { kind: 'delete', path };
      }
      case OpCode.setData: {
        const path = req.path;
        if (!isValidPath(path)) throw new PrepFailure(ErrorCode.BadArguments);
        const node = this.record(path);
        if (!permits(node.acl, Perms.WRITE, ids)) throw new PrepFailure(ErrorCode.NoAuth);
        const old = this.tree.get(path)?.data;
        this.checkQuota(path, (req.data?.length ?? 0) - (old?.length ?? 0), 0);
        const version = checkVersion(node.stat!.version, req.version);
        this.addChange({ ...node, zxid: hdr.zxid, stat: { ...node.stat!, version } });
        return { kind: 'setData', path, data: req.data, version };
      }
      case OpCode.setACL: {
        const path = req.path;
        if (!isValidPath(path)) throw new PrepFailure(ErrorCode.BadArguments);
        const fixed = fixupAcl(req.acl, ids);
        if (!fixed.ok) throw new PrepFailure(fixed.err);
        const node = this.record(path);
        if (!permits(node.acl, Perms.ADMIN, ids)) throw new PrepFailure(ErrorCode.NoAuth);
        const version = checkVersion(node.stat!.aversion, req.version);
        this.addChange({ ...node, zxid: hdr.zxid, stat: { ...node.stat!, aversion: version }, acl: fixed.acl });
        return { kind: 'setACL', path, acl: fixed.acl, version };
      }
      case OpCode.check: {
        const path = req.path;
        if (!isValidPath(path)) throw new PrepFailure(ErrorCode.BadArguments);
        const node = this.record(path);
        if (!permits(node.acl, Perms.READ, ids)) throw new PrepFailure(ErrorCode.NoAuth);
        checkVersion(node.stat!.version, req.version);
        return { kind: 'check', path, version: req.version };
      }
      case OpCode.reconfig:
        throw new PrepFailure(this.options.reconfigEnabled ? ErrorCode.Unimplemented : ErrorCode.ReconfigDisabled);
      default:
        throw new PrepFailure(ErrorCode.BadArguments);
    }
  }

  /** Hard quota limits, checked against the tree as ZooKeeper does; soft limits only inform. */
  private checkQuota(path: string, bytes: number, count: number): void {
    if (!this.options.enforceQuota) return;
    const prefix = maxQuotaPrefix(this.tree.quotas, path);
    if (prefix === null) return;
    const limits = StatsTrack.parse(this.tree.get(limitPath(prefix))?.data ?? null);
    const current = StatsTrack.parse(this.tree.get(statPath(prefix))?.data ?? null);
    const hardCount = limits.get('countHardLimit');
    const hardBytes = limits.get('byteHardLimit');
    if (count !== 0 && hardCount > -1 && current.get('count') + count > hardCount) throw new PrepFailure(ErrorCode.QuotaExceeded);
    if (bytes !== 0 && hardBytes > -1 && current.get('bytes') + bytes > hardBytes) throw new PrepFailure(ErrorCode.QuotaExceeded);
  }

  private create(
    hdr: TxnHeader,
    sessionId: bigint,
    type: number,
    requestedPath: string,
    data: Uint8Array | null,
    acl: ACL[],
    flags: number,
    ttl: number,
    ids: readonly Id[],
  ): TxnBody {
    if (flags < CreateMode.PERSISTENT || flags > CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL || !Number.isInteger(flags)) {
      throw new PrepFailure(ErrorCode.BadArguments);
    }
    const isTtl = flags === CreateMode.PERSISTENT_WITH_TTL || flags === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
    const sequential =
      flags === CreateMode.PERSISTENT_SEQUENTIAL ||
      flags === CreateMode.EPHEMERAL_SEQUENTIAL ||
      flags === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
    const ephemeral = flags === CreateMode.EPHEMERAL || flags === CreateMode.EPHEMERAL_SEQUENTIAL;
    const container = flags === CreateMode.CONTAINER;
    if (isTtl && !this.options.extendedTypesEnabled) throw new PrepFailure(ErrorCode.Unimplemented);
    if (isTtl ? ttl <= 0 || ttl > MAX_TTL : ttl >= 0) throw new PrepFailure(ErrorCode.BadArguments);
    if (type === OpCode.createContainer && !container) throw new PrepFailure(ErrorCode.BadArguments);
    // A sequential create may end in "/": the counter becomes the last segment.
    if (!isValidPath(sequential ? requestedPath + '0' : requestedPath)) throw new PrepFailure(ErrorCode.BadArguments);
    const fixed = fixupAcl(acl, ids);
    if (!fixed.ok) throw new PrepFailure(fixed.err);
    const parentPath = parentOf(sequential ? requestedPath + '0' : requestedPath);
    const parent = this.record(parentPath);
    if (!permits(parent.acl, Perms.CREATE, ids)) throw new PrepFailure(ErrorCode.NoAuth);
    const parentCVersion = parent.stat!.cversion;
    const path = sequential ? requestedPath + sequenceSuffix(parentCVersion) : requestedPath;
    if (this.lookup(path) !== null) throw new PrepFailure(ErrorCode.NodeExists);
    if (kindOf(parent.stat!.ephemeralOwner) === 'ephemeral') throw new PrepFailure(ErrorCode.NoChildrenForEphemerals);
    this.checkQuota(path, data?.length ?? 0, 1);
    const newCVersion = parentCVersion + 1;
    const ephemeralOwner = container ? CONTAINER_OWNER : isTtl ? ttlOwner(ttl) : ephemeral ? sessionId : 0n;
    this.addChange({
      ...parent,
      zxid: hdr.zxid,
      stat: { ...parent.stat!, cversion: newCVersion },
      childCount: parent.childCount + 1,
    });
    this.addChange({
      zxid: hdr.zxid,
      path,
      stat: { version: 0, cversion: 0, aversion: 0, ephemeralOwner },
      childCount: 0,
      acl: fixed.acl,
    });
    return { kind: 'create', path, data, acl: fixed.acl, ephemeralOwner, parentCVersion: newCVersion };
  }
}

function checkVersion(current: number, expected: number): number {
  if (expected !== -1 && expected !== current) throw new PrepFailure(ErrorCode.BadVersion);
  return current + 1;
}
