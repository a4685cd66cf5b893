// The watches this client holds on the server, tracked so that they can be
// set again (setWatches / setWatches2) on a new connection of the session.

import { ErrorCode, EventType, OpCode, WatcherType, type Request, type SetWatchesRequest } from '../wire/protocol.js';

/** ZooKeeper's client splits setWatches into requests of about this many bytes of paths. */
const SET_WATCHES_MAX_BYTES = 128 * 1024;

export class WatchRegistry {
  readonly data = new Set<string>();
  readonly exist = new Set<string>();
  readonly child = new Set<string>();
  readonly persistent = new Set<string>();
  readonly persistentRecursive = new Set<string>();

  get size(): number {
    return this.data.size + this.exist.size + this.child.size + this.persistent.size + this.persistentRecursive.size;
  }

  /** Records what the reply (error code `err`) to `req` left registered on the server. */
  onReply(req: Request, err: number): void {
    switch (req.type) {
      case OpCode.exists:
        // exists sets a data watch on a node that is there, an exist watch on one that is not
        if (!req.watch) return;
        if (err === 0) this.data.add(req.path);
        else if (err === ErrorCode.NoNode) this.exist.add(req.path);
        return;
      case OpCode.getData:
        if (req.watch && err === 0) this.data.add(req.path);
        return;
      case OpCode.getChildren:
      case OpCode.getChildren2:
        if (req.watch && err === 0) this.child.add(req.path);
        return;
      case OpCode.addWatch:
        if (err !== 0) return;
        (req.mode === 1 ? this.persistentRecursive : this.persistent).add(req.path);
        return;
      case OpCode.removeWatches:
        if (err === 0) this.remove(req.path, req.watcherType);
        return;
      default:
        return;
    }
  }

  private remove(path: string, type: number): void {
    if (type === WatcherType.Children || type === WatcherType.Any) this.child.delete(path);
    if (type === WatcherType.Data || type === WatcherType.Any) {
      this.data.delete(path);
      this.exist.delete(path);
    }
    if (type === WatcherType.Persistent || type === WatcherType.Any) this.persistent.delete(path);
    if (type === WatcherType.PersistentRecursive || type === WatcherType.Any) this.persistentRecursive.delete(path);
  }

  /** One-shot watches are gone once they fire; persistent ones stay. */
  onEvent(type: number, path: string): void {
    switch (type) {
      case EventType.NodeCreated:
      case EventType.NodeDataChanged:
        this.data.delete(path);
        this.exist.delete(path);
        return;
      case EventType.NodeDeleted:
        this.data.delete(path);
        this.exist.delete(path);
        this.child.delete(path);
        return;
      case EventType.NodeChildrenChanged:
        this.child.delete(path);
        return;
      default:
        return;
    }
  }

  clear(): void {
    this.data.clear();
    this.exist.clear();
    this.child.clear();
    this.persistent.clear();
    this.persistentRecursive.clear();
  }

  /**
   * The requests that set every watch again after a reconnect: setWatches,
   * or setWatches2 when persistent watches are among them, in batches of
   * about 128 KB of paths.
   */
  setWatchesRequests(relativeZxid: number): SetWatchesRequest[] {
    const lists: string[][] = [
      [...this.data],
      [...this.exist],
      [...this.child],
      [...this.persistent],
      [...this.persistentRecursive],
    ];
    const out: SetWatchesRequest[] = [];
    let batch: string[][] = [[], [], [], [], []];
    let bytes = 0;
    let count = 0;
    const emit = (): void => {
      const v2 = batch[3]!.length > 0 || batch[4]!.length > 0;
      out.push({
        type: v2 ? OpCode.setWatches2 : OpCode.setWatches,
        relativeZxid,
        dataWatches: batch[0]!,
        existWatches: batch[1]!,
        childWatches: batch[2]!,
        persistentWatches: batch[3]!,
        persistentRecursiveWatches: batch[4]!,
      });
      batch = [[], [], [], [], []];
      bytes = 0;
      count = 0;
    };
    lists.forEach((list, kind) => {
      for (const path of list) {
        if (count > 0 && bytes + path.length > SET_WATCHES_MAX_BYTES) emit();
        batch[kind]!.push(path);
        bytes += path.length;
        count++;
      }
    });
    if (count > 0) emit();
    return out;
  }
}
