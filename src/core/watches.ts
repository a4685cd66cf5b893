// Watch registrations: which watcher (a client connection) wants which event
// on which path. Two tables as in ZooKeeper: data watches (getData, exists,
// persistent and recursive watches) and child watches (getChildren and
// persistent watches). A standard watch fires once; persistent ones stay; a
// recursive one also fires for every node below its path (but never for
// NodeChildrenChanged, which only the child table carries).

import { AddWatchMode, WatcherType } from '../wire/protocol.js';

export type WatcherId = number;

export const Mode = {
  STANDARD: 1,
  PERSISTENT: 2,
  RECURSIVE: 4,
} as const;

/** One table: path → watcher → mode bits, with the reverse index for cleanup. */
export class WatchTable {
  private readonly byPath = new Map<string, Map<WatcherId, number>>();
  private readonly byWatcher = new Map<WatcherId, Map<string, number>>();
  private recursive = 0;

  add(path: string, w: WatcherId, mode: number): boolean {
    let ws = this.byPath.get(path);
    if (!ws) {
      ws = new Map();
      this.byPath.set(path, ws);
    }
    const old = ws.get(w) ?? 0;
    if ((old & mode) === mode) return false;
    const now = old | mode;
    ws.set(w, now);
    let ps = this.byWatcher.get(w);
    if (!ps) {
      ps = new Map();
      this.byWatcher.set(w, ps);
    }
    ps.set(path, now);
    if (mode & Mode.RECURSIVE && !(old & Mode.RECURSIVE)) this.recursive++;
    return true;
  }

  /** Removes `mode` (or every mode when undefined); true when something was removed. */
  remove(path: string, w: WatcherId, mode?: number): boolean {
    const ws = this.byPath.get(path);
    const old = ws?.get(w) ?? 0;
    if (old === 0) return false;
    const now = mode === undefined ? 0 : old & ~mode;
    if (now === old) return false;
    this.set(path, w, ws!, old, now);
    return true;
  }

  contains(path: string, w: WatcherId, mode?: number): boolean {
    const m = this.byPath.get(path)?.get(w) ?? 0;
    return mode === undefined ? m !== 0 : (m & mode) !== 0;
  }

  /**
   * The watchers an event on `path` reaches: every watcher on the path itself
   * (their standard watch is used up) and, when `ancestors` is set, the
   * recursive watchers on every ancestor.
   */
  trigger(path: string, ancestors: boolean, into: Set<WatcherId>): void {
    const ws = this.byPath.get(path);
    if (ws) {
      for (const [w, m] of ws) {
        into.add(w);
        if (m & Mode.STANDARD) this.set(path, w, ws, m, m & ~Mode.STANDARD);
      }
    }
    if (!ancestors || this.recursive === 0 || path === '/') return;
    let p = path;
    for (;;) {
      const i = p.lastIndexOf('/');
      p = i <= 0 ? '/' : p.substring(0, i);
      const aws = this.byPath.get(p);
      if (aws) for (const [w, m] of aws) if (m & Mode.RECURSIVE) into.add(w);
      if (p === '/') break;
    }
  }

  /** Drops every registration of a watcher (its connection closed). */
  removeWatcher(w: WatcherId): void {
    const ps = this.byWatcher.get(w);
    if (!ps) return;
    for (const [path, m] of ps) {
      const ws = this.byPath.get(path);
      if (ws) {
        ws.delete(w);
        if (ws.size === 0) this.byPath.delete(path);
      }
      if (m & Mode.RECURSIVE) this.recursive--;
    }
    this.byWatcher.delete(w);
  }

  private set(path: string, w: WatcherId, ws: Map<WatcherId, number>, old: number, now: number): void {
    const ps = this.byWatcher.get(w)!;
    if (now === 0) {
      ws.delete(w);
      if (ws.size === 0) this.byPath.delete(path);
      ps.delete(path);
      if (ps.size === 0) this.byWatcher.delete(w);
    } else {
      ws.set(w, now);
      ps.set(path, now);
    }
    if (old & Mode.RECURSIVE && !(now & Mode.RECURSIVE)) this.recursive--;
  }

  /** Number of (path, watcher) registrations. */
  get size(): number {
    let n = 0;
    for (const ws of this.byPath.values()) n += ws.size;
    return n;
  }

  get pathCount(): number {
    return this.byPath.size;
  }

  paths(): IterableIterator<[string, Map<WatcherId, number>]> {
    return this.byPath.entries();
  }

  pathsOf(w: WatcherId): string[] {
    return [...(this.byWatcher.get(w)?.keys() ?? [])];
  }

  watchers(): IterableIterator<WatcherId> {
    return this.byWatcher.keys();
  }
}

export class Watches {
  readonly data = new WatchTable();
  readonly child = new WatchTable();

  /** addWatch: a persistent watch sits in both tables, a recursive one in the data table only. */
  addPersistent(path: string, w: WatcherId, addWatchMode: number): void {
    if (addWatchMode === AddWatchMode.PersistentRecursive) {
      this.data.add(path, w, Mode.RECURSIVE);
    } else {
      this.data.add(path, w, Mode.PERSISTENT);
      this.child.add(path, w, Mode.PERSISTENT);
    }
  }

  /** checkWatches: whether the watcher has a watch of `type` on `path`. */
  contains(path: string, w: WatcherId, type: number): boolean {
    switch (type) {
      case WatcherType.Children:
        return this.child.contains(path, w, Mode.STANDARD);
      case WatcherType.Data:
        return this.data.contains(path, w, Mode.STANDARD);
      case WatcherType.Persistent:
        return this.data.contains(path, w, Mode.PERSISTENT);
      case WatcherType.PersistentRecursive:
        return this.data.contains(path, w, Mode.RECURSIVE);
      case WatcherType.Any:
        return this.child.contains(path, w) || this.data.contains(path, w);
      default:
        return false;
    }
  }

  /** removeWatches: true when a watch of `type` was removed. */
  remove(path: string, w: WatcherId, type: number): boolean {
    switch (type) {
      case WatcherType.Children:
        return this.child.remove(path, w, Mode.STANDARD);
      case WatcherType.Data:
        return this.data.remove(path, w, Mode.STANDARD);
      case WatcherType.Persistent: {
        const a = this.child.remove(path, w, Mode.PERSISTENT);
        const b = this.data.remove(path, w, Mode.PERSISTENT);
        return a || b;
      }
      case WatcherType.PersistentRecursive:
        return this.data.remove(path, w, Mode.RECURSIVE);
      case WatcherType.Any: {
        const a = this.child.remove(path, w);
        const b = this.data.remove(path, w);
        return a || b;
      }
      default:
        return false;
    }
  }

  removeWatcher(w: WatcherId): void {
    this.data.removeWatcher(w);
    this.child.removeWatcher(w);
  }
}
