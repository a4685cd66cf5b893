// Which nodes the server deletes on its own: containers that had children
// and have none left (or never had one, after a configured interval), and
// TTL nodes without children past their TTL. The standalone server and an
// ensemble's leader look for them every containerCheckIntervalMs and delete
// at most containerMaxPerMinute a minute.

import { type DataTree, kindOf, ttlOf } from './tree.js';

export interface ContainerConfig {
  containerCheckIntervalMs: number;
  containerMaxPerMinute: number;
  /** a container that never had a child is deleted after this long (0: never) */
  containerMaxNeverUsedIntervalMs?: number;
}

export function containerCandidates(tree: DataTree, now: number, config: ContainerConfig): string[] {
  const out: string[] = [];
  for (const path of tree.containers) {
    const n = tree.get(path);
    if (!n || n.numChildren !== 0) continue;
    const neverUsed = config.containerMaxNeverUsedIntervalMs ?? 0;
    if (n.cversion > 0 || (neverUsed > 0 && now - n.mtime > neverUsed)) out.push(path);
  }
  for (const path of tree.ttls) {
    const n = tree.get(path);
    if (n && n.numChildren === 0 && kindOf(n.ephemeralOwner) === 'ttl' && now - n.mtime > ttlOf(n.ephemeralOwner)) out.push(path);
  }
  return out;
}

/** How many of them one check may delete. */
export function containerBudget(config: ContainerConfig): number {
  return Math.max(1, Math.floor((config.containerMaxPerMinute * config.containerCheckIntervalMs) / 60000));
}
