// Model-based test of the standalone core: random sequences of client
// operations run against the real core and against a small reference model
// of ZooKeeper's data model; every reply (error code, data, version, children,
// sequential names, ephemeral cleanup) must match the model's prediction.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, OpCode, type Response } from '../src/wire/protocol.js';
import { OPEN_ACL_UNSAFE } from '../src/core/acl.js';
import { Harness, dec, enc } from '../test/core/harness.js';

interface MNode {
  data: string;
  version: number;
  cversion: number;
  owner: number; // index of the owning client for ephemerals, -1 otherwise
  children: Set<string>;
}

class Model {
  nodes = new Map<string, MNode>();
  constructor() {
    const mk = (): MNode => ({ data: '', version: 0, cversion: 0, owner: -1, children: new Set() });
    this.nodes.set('/', mk());
    this.nodes.set('/zookeeper', mk());
    this.nodes.set('/zookeeper/quota', mk());
    this.nodes.set('/zookeeper/config', mk());
    this.nodes.get('/')!.children.add('zookeeper');
    this.nodes.get('/zookeeper')!.children.add('quota').add('config');
  }
  static parent(p: string): string {
    const i = p.lastIndexOf('/');
    return i === 0 ? '/' : p.slice(0, i);
  }
  remove(path: string): void {
    this.nodes.delete(path);
    this.nodes.get(Model.parent(path))!.children.delete(path.slice(path.lastIndexOf('/') + 1));
  }
}

interface Real {
  h: Harness;
  conns: number[];
}

type Cmd = fc.Command<Model, Real>;

/** Error codes the real core answered with, over all runs. */
const seen = new Set<number>();
function observe(err: number): number {
  seen.add(err);
  return err;
}

const segs = ['a', 'b'];
const pathArb = fc.array(fc.constantFrom(...segs), { minLength: 1, maxLength: 3 }).map((s) => '/' + s.join('/'));
const clientArb = fc.nat(2);

class CreateCmd implements Cmd {
  constructor(
    readonly client: number,
    readonly path: string,
    readonly data: string,
    readonly ephemeral: boolean,
    readonly sequential: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const flags = (this.ephemeral ? 1 : 0) | (this.sequential ? 2 : 0);
    const reply = r.h.call(r.conns[this.client]!, { type: OpCode.create, path: this.path, data: enc(this.data), acl: OPEN_ACL_UNSAFE, flags });
    const parentPath = Model.parent(this.path);
    const parent = m.nodes.get(parentPath);
    let expected: number;
    let name = this.path;
    if (!parent) expected = ErrorCode.NoNode;
    else {
      if (this.sequential) name = this.path + String(parent.cversion).padStart(10, '0');
      if (m.nodes.has(name)) expected = ErrorCode.NodeExists;
      else if (parent.owner !== -1) expected = ErrorCode.NoChildrenForEphemerals;
      else expected = 0;
    }
    expect(observe(reply.err)).toBe(expected);
    if (expected !== 0) return;
    expect(reply.response).toEqual({ kind: 'create', path: name });
    parent!.cversion++;
    parent!.children.add(name.slice(name.lastIndexOf('/') + 1));
    m.nodes.set(name, { data: this.data, version: 0, cversion: 0, owner: this.ephemeral ? this.client : -1, children: new Set() });
  }
  toString(): string {
    return `create(${this.client}, ${this.path}, ${this.ephemeral ? 'E' : ''}${this.sequential ? 'S' : ''})`;
  }
}

class DeleteCmd implements Cmd {
  constructor(
    readonly client: number,
    readonly path: string,
    readonly version: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const reply = r.h.call(r.conns[this.client]!, { type: OpCode.delete, path: this.path, version: this.version });
    const n = m.nodes.get(this.path);
    const expected = !n
      ? ErrorCode.NoNode
      : this.version !== -1 && this.version !== n.version
        ? ErrorCode.BadVersion
        : n.children.size > 0
          ? ErrorCode.NotEmpty
          : 0;
    expect(observe(reply.err)).toBe(expected);
    if (expected === 0) m.remove(this.path);
  }
  toString(): string {
    return `delete(${this.client}, ${this.path}, v${this.version})`;
  }
}

class SetDataCmd implements Cmd {
  constructor(
    readonly client: number,
    readonly path: string,
    readonly data: string,
    readonly version: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const reply = r.h.call(r.conns[this.client]!, { type: OpCode.setData, path: this.path, data: enc(this.data), version: this.version });
    const n = m.nodes.get(this.path);
    const expected = !n ? ErrorCode.NoNode : this.version !== -1 && this.version !== n.version ? ErrorCode.BadVersion : 0;
    expect(observe(reply.err)).toBe(expected);
    if (expected !== 0) return;
    n!.version++;
    n!.data = this.data;
    expect((reply.response as Extract<Response, { kind: 'stat' }>).stat.version).toBe(n!.version);
  }
  toString(): string {
    return `setData(${this.client}, ${this.path}, v${this.version})`;
  }
}

class ReadCmd implements Cmd {
  constructor(
    readonly client: number,
    readonly path: string,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const c = r.conns[this.client]!;
    const n = m.nodes.get(this.path);
    const data = r.h.call(c, { type: OpCode.getData, path: this.path, watch: false });
    const kids = r.h.call(c, { type: OpCode.getChildren2, path: this.path, watch: false });
    if (!n) {
      expect(data.err).toBe(ErrorCode.NoNode);
      expect(kids.err).toBe(ErrorCode.NoNode);
      return;
    }
    const d = data.response as Extract<Response, { kind: 'data' }>;
    expect(dec(d.data)).toBe(n.data);
    expect(d.stat.version).toBe(n.version);
    // the model counts creates (sequence numbers); clients see creates + deletes
    expect(d.stat.cversion).toBe(2 * n.cversion - n.children.size);
    expect(d.stat.numChildren).toBe(n.children.size);
    expect(d.stat.ephemeralOwner).toBe(n.owner === -1 ? 0n : r.h.sessionId(r.conns[n.owner]!));
    const k = kids.response as Extract<Response, { kind: 'children2' }>;
    expect([...k.children].sort()).toEqual([...n.children].sort());
  }
  toString(): string {
    return `read(${this.client}, ${this.path})`;
  }
}

class MultiCmd implements Cmd {
  constructor(
    readonly client: number,
    readonly paths: string[],
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    // create every path in order: all or nothing
    const ops = this.paths.map((path) => ({ type: OpCode.create, path, data: enc('m'), acl: OPEN_ACL_UNSAFE, flags: 0 }) as const);
    const reply = r.h.call(r.conns[this.client]!, { type: OpCode.multi, ops });
    const trial = new Set(m.nodes.keys());
    let failAt = -1;
    let code = 0;
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i]!;
      const parent = Model.parent(p);
      const parentNode = m.nodes.get(parent);
      if (!trial.has(parent)) code = ErrorCode.NoNode;
      else if (trial.has(p)) code = ErrorCode.NodeExists;
      else if (parentNode && parentNode.owner !== -1) code = ErrorCode.NoChildrenForEphemerals;
      if (code !== 0) {
        failAt = i;
        break;
      }
      trial.add(p);
    }
    expect(reply.err).toBe(0);
    const results = (reply.response as Extract<Response, { kind: 'multi' }>).results;
    if (failAt >= 0) {
      expect(results[failAt]).toEqual({ type: OpCode.error, err: code });
      return;
    }
    expect(results.every((x) => x.type === OpCode.create)).toBe(true);
    for (const p of this.paths) {
      const parent = m.nodes.get(Model.parent(p))!;
      parent.cversion++;
      parent.children.add(p.slice(p.lastIndexOf('/') + 1));
      m.nodes.set(p, { data: 'm', version: 0, cversion: 0, owner: -1, children: new Set() });
    }
  }
  toString(): string {
    return `multi(${this.client}, ${this.paths.join(' ')})`;
  }
}

class CloseCmd implements Cmd {
  constructor(readonly client: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.h.call(r.conns[this.client]!, { type: OpCode.closeSession });
    // the session's ephemerals go with it; the client comes back with a new session
    for (const [p, n] of [...m.nodes]) if (n.owner === this.client) m.remove(p);
    r.conns[this.client] = r.h.session();
  }
  toString(): string {
    return `close(${this.client})`;
  }
}

const commands = [
  fc.tuple(clientArb, pathArb, fc.string({ maxLength: 4 }), fc.nat(3).map((x) => x === 0), fc.boolean()).map(([c, p, d, e, s]) => new CreateCmd(c, p, d, e, s)),
  fc.tuple(clientArb, pathArb, fc.constantFrom(-1, 0, 1, 2)).map(([c, p, v]) => new DeleteCmd(c, p, v)),
  fc.tuple(clientArb, pathArb, fc.string({ maxLength: 4 }), fc.constantFrom(-1, 0, 1)).map(([c, p, d, v]) => new SetDataCmd(c, p, d, v)),
  fc.tuple(clientArb, pathArb).map(([c, p]) => new ReadCmd(c, p)),
  fc.tuple(clientArb, fc.array(pathArb, { minLength: 1, maxLength: 3 })).map(([c, ps]) => new MultiCmd(c, ps)),
  clientArb.map((c) => new CloseCmd(c)),
];

describe('standalone core against a reference model', () => {
  it('agrees on every reply over random operation sequences', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: 'large' }), (cmds) => {
        const h = new Harness();
        const real: Real = { h, conns: [h.session(), h.session(), h.session()] };
        fc.modelRun(() => ({ model: new Model(), real }), cmds);
      }),
      { numRuns: 300 },
    );
    // the runs must have reached every outcome, or the agreement above says little
    for (const code of [0, ErrorCode.NoNode, ErrorCode.NodeExists, ErrorCode.NotEmpty, ErrorCode.BadVersion, ErrorCode.NoChildrenForEphemerals]) {
      expect(seen.has(code), `no operation ended with code ${code}`).toBe(true);
    }
  });
});
