// Purging old snapshots and logs (ZooKeeper's autopurge): keep the newest N
// snapshots and every log file that recovery from the oldest of them may
// need, i.e. the newest log file starting at or before that snapshot's zxid
// and every later one.

import type { Logger } from '../log.js';
import { hex } from './errors.js';
import { listZxidFiles, removeIfExists, versionDir } from './files.js';
import { cleanSnapshotTemps, looksComplete } from './snapshot.js';

export const MIN_SNAP_RETAIN_COUNT = 3;

export interface PurgeResult {
  /** Paths removed. */
  snapshots: string[];
  logs: string[];
  temps: string[];
  /** The zxid of the oldest snapshot kept, or null when there is none (then nothing is removed). */
  oldestKeptZxid: number | null;
}

/**
 * Keeps the newest `snapRetainCount` (≥ 3) complete snapshots and the log
 * files needed to recover from the oldest of them; removes older snapshots,
 * older log files and leftovers of interrupted snapshot writes.
 */
export async function purge(dataDir: string, dataLogDir: string, snapRetainCount: number): Promise<PurgeResult> {
  if (!Number.isSafeInteger(snapRetainCount) || snapRetainCount < MIN_SNAP_RETAIN_COUNT) {
    throw new RangeError(`snapRetainCount must be an integer ≥ ${MIN_SNAP_RETAIN_COUNT}, got ${snapRetainCount}`);
  }
  const temps = await cleanSnapshotTemps(dataDir);
  const snaps = await listZxidFiles(versionDir(dataDir), 'snapshot');
  // Only snapshots that look whole count towards the retained ones: an
  // incomplete newest file must not push a usable older one out.
  let kept = 0;
  let oldest: number | null = null;
  for (let i = snaps.length - 1; i >= 0 && kept < snapRetainCount; i--) {
    if (await looksComplete(snaps[i]!.path, snaps[i]!.zxid)) {
      kept++;
      oldest = snaps[i]!.zxid;
    }
  }
  const result: PurgeResult = { snapshots: [], logs: [], temps, oldestKeptZxid: oldest };
  if (oldest === null) return result;
  for (const s of snaps) {
    if (s.zxid >= oldest) break;
    await remove(s.path, result.snapshots);
  }
  const logs = await listZxidFiles(versionDir(dataLogDir), 'log');
  let firstNeeded = 0;
  for (let i = 0; i < logs.length; i++) if (logs[i]!.zxid <= oldest) firstNeeded = i;
  for (const l of logs.slice(0, firstNeeded)) await remove(l.path, result.logs);
  return result;
}

async function remove(file: string, into: string[]): Promise<void> {
  if (await removeIfExists(file)) into.push(file);
}

export interface PurgeSchedulerOptions {
  dataDir: string;
  dataLogDir: string;
  /** autopurge.snapRetainCount; values below 3 are raised to 3 with a warning, as ZooKeeper does. */
  snapRetainCount: number;
  /** autopurge.purgeInterval in hours; 0 disables purging. */
  purgeIntervalHours: number;
  logger: Logger;
}

/** Longest delay a Node timer accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs `purge` when started and then every purgeInterval hours, one log line per run. */
export class PurgeScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PurgeResult | null> | null = null;
  private readonly retain: number;

  constructor(private readonly opts: PurgeSchedulerOptions) {
    this.retain = opts.snapRetainCount;
    if (!(opts.snapRetainCount >= MIN_SNAP_RETAIN_COUNT)) {
      opts.logger.warn(`autopurge.snapRetainCount ${opts.snapRetainCount} is below ${MIN_SNAP_RETAIN_COUNT}; using ${MIN_SNAP_RETAIN_COUNT}`);
      this.retain = MIN_SNAP_RETAIN_COUNT;
    }
    this.retain = Math.floor(this.retain);
  }

  start(): void {
    if (this.timer) return;
    const hours = this.opts.purgeIntervalHours;
    if (!(hours > 0)) {
      this.opts.logger.info('autopurge is off (purgeInterval 0)');
      return;
    }
    this.opts.logger.info(`autopurge every ${hours} h, keeping ${this.retain} snapshots`);
    this.timer = setInterval(() => void this.runOnce(), Math.min(hours * 3_600_000, MAX_TIMER_MS));
    this.timer.unref();
    void this.runOnce();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One purge now (joining a run in progress); failures are logged, not thrown. */
  runOnce(): Promise<PurgeResult | null> {
    if (this.running) return this.running;
    const run = (async (): Promise<PurgeResult | null> => {
      try {
        const r = await purge(this.opts.dataDir, this.opts.dataLogDir, this.retain);
        this.opts.logger.info(
          r.oldestKeptZxid === null
            ? 'purge: no complete snapshot yet, nothing removed'
            : `purge: kept snapshots from zxid ${hex(r.oldestKeptZxid)}, removed ${r.snapshots.length} snapshot(s), ` +
                `${r.logs.length} log file(s), ${r.temps.length} temporary file(s)`,
        );
        return r;
      } catch (e) {
        this.opts.logger.error(`purge failed: ${(e as Error).message}`);
        return null;
      } finally {
        this.running = null;
      }
    })();
    this.running = run;
    return run;
  }
}
