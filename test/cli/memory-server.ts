// A small in-memory znode tree behind the scripted loopback server, enough
// ZooKeeper semantics for the shell's tests: versions, sequential names,
// ephemerals, ACL storage, multi, one-shot data and child watches. Times are
// fixed so that printed output is deterministic.

import { FakeServer, type Answer, type FakeConnection, type Received } from '../client/fake-server.js';
import { ErrorCode, EventType, OpCode, type ACL, type OpResult, type Request, type Stat } from '../../src/wire/protocol.js';

export const FIXED_TIME = 1700000000123;

interface Node {
  data: Uint8Array | null;
  acl: ACL[];
  stat: Stat;
  children: Set<string>;
}

class Failure {
  constructor(readonly code: number) {}
}

const parentOf = (p: string): string => (p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
const nameOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export class MemoryTree {
  nodes = new Map<string, Node>();
  zxid = 0;
  readonly dataWatches = new Map<string, Set<FakeConnection>>();
  readonly childWatches = new Map<string, Set<FakeConnection>>();
  /** auth ids added per connection */
  readonly auth = new Map<FakeConnection, Array<{ scheme: string; user: string }>>();

  constructor() {
    this.nodes.set('/', { data: null, acl: [], stat: this.newStat(0, 0n, 0), children: new Set(['zookeeper']) });
    this.nodes.set('/zookeeper', { data: null, acl: [], stat: this.newStat(0, 0n, 0), children: new Set() });
  }

  private newStat(zxid: number, owner: bigint, len: number): Stat {
    const t = zxid === 0 ? 0 : FIXED_TIME;
    return {
      czxid: zxid,
      mzxid: zxid,
      ctime: t,
      mtime: t,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: owner,
      dataLength: len,
      numChildren: 0,
      pzxid: zxid,
    };
  }

  private get(path: string): Node {
    const n = this.nodes.get(path);
    if (n === undefined) throw new Failure(ErrorCode.NoNode);
    return n;
  }

  private fire(map: Map<string, Set<FakeConnection>>, path: string, type: number): void {
    const conns = map.get(path);
    if (conns === undefined) return;
    map.delete(path);
    for (const c of conns) c.notify({ type, state: 3, path }, this.zxid);
  }

  private watch(map: Map<string, Set<FakeConnection>>, path: string, conn: FakeConnection): void {
    let s = map.get(path);
    if (s === undefined) map.set(path, (s = new Set()));
    s.add(conn);
  }

  /** Applies one write; returns its result or throws a Failure. */
  private write(req: Request, session: bigint): OpResult {
    switch (req.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        if (!req.path.startsWith('/') || (req.path.length > 1 && req.path.endsWith('/'))) throw new Failure(ErrorCode.BadArguments);
        const parentPath = parentOf(req.path);
        const parent = this.get(parentPath);
        if (parent.stat.ephemeralOwner !== 0n) throw new Failure(ErrorCode.NoChildrenForEphemerals);
        let path = req.path;
        if (req.flags === 2 || req.flags === 3 || req.flags === 6) path += String(parent.stat.cversion).padStart(10, '0');
        if (this.nodes.has(path)) throw new Failure(ErrorCode.NodeExists);
        this.zxid++;
        const owner = req.flags === 1 || req.flags === 3 ? session : 0n;
        this.nodes.set(path, { data: req.data, acl: req.acl, stat: this.newStat(this.zxid, owner, req.data?.length ?? 0), children: new Set() });
        parent.children.add(nameOf(path));
        parent.stat.cversion++;
        parent.stat.numChildren++;
        parent.stat.pzxid = this.zxid;
        this.fire(this.dataWatches, path, EventType.NodeCreated);
        this.fire(this.childWatches, parentPath, EventType.NodeChildrenChanged);
        if (req.type === OpCode.create) return { type: OpCode.create, path };
        return { type: OpCode.create2, path, stat: { ...this.nodes.get(path)!.stat } };
      }
      case OpCode.delete: {
        if (req.path === '/zookeeper') throw new Failure(ErrorCode.BadArguments);
        const n = this.get(req.path);
        if (req.version !== -1 && req.version !== n.stat.version) throw new Failure(ErrorCode.BadVersion);
        if (n.children.size > 0) throw new Failure(ErrorCode.NotEmpty);
        this.zxid++;
        this.nodes.delete(req.path);
        const parentPath = parentOf(req.path);
        const parent = this.get(parentPath);
        parent.children.delete(nameOf(req.path));
        parent.stat.numChildren--;
        parent.stat.cversion++;
        parent.stat.pzxid = this.zxid;
        this.fire(this.dataWatches, req.path, EventType.NodeDeleted);
        this.fire(this.childWatches, req.path, EventType.NodeDeleted);
        this.fire(this.childWatches, parentPath, EventType.NodeChildrenChanged);
        return { type: OpCode.delete };
      }
      case OpCode.setData: {
        const n = this.get(req.path);
        if (req.version !== -1 && req.version !== n.stat.version) throw new Failure(ErrorCode.BadVersion);
        this.zxid++;
        n.data = req.data;
        n.stat.version++;
        n.stat.mzxid = this.zxid;
        n.stat.dataLength = req.data?.length ?? 0;
        this.fire(this.dataWatches, req.path, EventType.NodeDataChanged);
        return { type: OpCode.setData, stat: { ...n.stat } };
      }
      case OpCode.check: {
        const n = this.get(req.path);
        if (req.version !== -1 && req.version !== n.stat.version) throw new Failure(ErrorCode.BadVersion);
        return { type: OpCode.check };
      }
      default:
        throw new Failure(ErrorCode.Unimplemented);
    }
  }

  private snapshot(): Map<string, Node> {
    const copy = new Map<string, Node>();
    for (const [p, n] of this.nodes) copy.set(p, { ...n, stat: { ...n.stat }, children: new Set(n.children) });
    return copy;
  }

  handle({ request: req }: Received, conn: FakeConnection, session: bigint): Answer {
    try {
      return this.serve(req, conn, session);
    } catch (e) {
      if (e instanceof Failure) return { err: e.code, zxid: this.zxid };
      throw e;
    }
  }

  private serve(req: Request, conn: FakeConnection, session: bigint): Answer {
    const zxid = (): number => this.zxid;
    switch (req.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        const r = this.write(req, session);
        if (r.type === OpCode.create) return { response: { kind: 'create', path: r.path }, zxid: zxid() };
        if (r.type === OpCode.create2) return { response: { kind: 'create2', path: r.path, stat: r.stat }, zxid: zxid() };
        return {};
      }
      case OpCode.delete:
        this.write(req, session);
        return { zxid: zxid() };
      case OpCode.setData: {
        const r = this.write(req, session) as { stat: Stat };
        return { response: { kind: 'stat', stat: r.stat }, zxid: zxid() };
      }
      case OpCode.exists: {
        const n = this.nodes.get(req.path);
        if (req.watch) this.watch(this.dataWatches, req.path, conn);
        if (n === undefined) return { err: ErrorCode.NoNode, zxid: zxid() };
        return { response: { kind: 'stat', stat: { ...n.stat } }, zxid: zxid() };
      }
      case OpCode.getData: {
        const n = this.get(req.path);
        if (req.watch) this.watch(this.dataWatches, req.path, conn);
        return { response: { kind: 'data', data: n.data, stat: { ...n.stat } }, zxid: zxid() };
      }
      case OpCode.getChildren:
      case OpCode.getChildren2: {
        const n = this.get(req.path);
        if (req.watch) this.watch(this.childWatches, req.path, conn);
        const children = [...n.children];
        return req.type === OpCode.getChildren
          ? { response: { kind: 'children', children }, zxid: zxid() }
          : { response: { kind: 'children2', children, stat: { ...n.stat } }, zxid: zxid() };
      }
      case OpCode.getACL: {
        const n = this.get(req.path);
        const acl = n.acl.length > 0 ? n.acl : [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
        return { response: { kind: 'acl', acl, stat: { ...n.stat } }, zxid: zxid() };
      }
      case OpCode.setACL: {
        const n = this.get(req.path);
        if (req.version !== -1 && req.version !== n.stat.aversion) return { err: ErrorCode.BadVersion };
        if (req.acl.length === 0) return { err: ErrorCode.InvalidACL };
        this.zxid++;
        n.acl = req.acl;
        n.stat.aversion++;
        return { response: { kind: 'stat', stat: { ...n.stat } }, zxid: zxid() };
      }
      case OpCode.sync:
        return { response: { kind: 'path', path: req.path }, zxid: zxid() };
      case OpCode.multi: {
        const saved = this.snapshot();
        const savedZxid = this.zxid;
        const results: OpResult[] = [];
        for (let i = 0; i < req.ops.length; i++) {
          try {
            results.push(this.write(req.ops[i]!, session));
          } catch (e) {
            if (!(e instanceof Failure)) throw e;
            this.nodes = saved;
            this.zxid = savedZxid;
            const errs: OpResult[] = req.ops.map((_, k) => ({
              type: OpCode.error,
              err: k < i ? 0 : k === i ? e.code : ErrorCode.RuntimeInconsistency,
            }));
            return { response: { kind: 'multi', results: errs }, zxid: zxid() };
          }
        }
        return { response: { kind: 'multi', results }, zxid: zxid() };
      }
      case OpCode.whoAmI:
        return {
          response: {
            kind: 'whoAmI',
            clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }, ...(this.auth.get(conn) ?? []).map((a) => ({ authScheme: a.scheme, user: a.user }))],
          },
        };
      case OpCode.auth: {
        if (req.scheme !== 'digest') return { err: ErrorCode.AuthFailed };
        const user = Buffer.from(req.auth ?? []).toString().split(':')[0]!;
        this.auth.set(conn, [...(this.auth.get(conn) ?? []), { scheme: 'digest', user }]);
        return {};
      }
      case OpCode.getEphemerals: {
        const out = [...this.nodes].filter(([p, n]) => n.stat.ephemeralOwner === session && p.startsWith(req.prefixPath)).map(([p]) => p);
        return { response: { kind: 'ephemerals', ephemerals: out } };
      }
      case OpCode.getAllChildrenNumber: {
        this.get(req.path);
        const prefix = req.path === '/' ? '/' : req.path + '/';
        const n = [...this.nodes.keys()].filter((p) => p !== req.path && p.startsWith(prefix)).length;
        return { response: { kind: 'count', totalNumber: n } };
      }
      case OpCode.addWatch:
        this.get(req.path);
        return { response: { kind: 'error', err: 0 } };
      case OpCode.removeWatches:
        return { err: ErrorCode.NoWatcher };
      case OpCode.closeSession:
        for (const [p, n] of [...this.nodes]) {
          if (n.stat.ephemeralOwner === session && this.nodes.has(p)) this.write({ type: OpCode.delete, path: p, version: -1 }, session);
        }
        return {};
      default:
        return { err: ErrorCode.Unimplemented };
    }
  }
}

/** Starts a loopback server serving a fresh MemoryTree. */
export async function startMemoryServer(): Promise<{ server: FakeServer; tree: MemoryTree }> {
  const tree = new MemoryTree();
  const server = await FakeServer.start((req, conn) => tree.handle(req, conn, conn.sessionId));
  return { server, tree };
}
