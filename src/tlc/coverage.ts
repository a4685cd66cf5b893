// Action coverage. TLC's -coverage report lists every action of the
// next-state relation with the number of distinct new states it found and
// the number of states it generated. What counts as one action is TLC's own
// split of Next: it expands disjunctions, existential quantifiers and
// operator definitions down to the innermost named operator, and names the
// action after that operator and the module defining it (`Paxos!Accept`).
// A disjunct written inline rather than as an operator is named after the
// operator containing it plus its position (`Zab!Next@12:5`).

export interface ActionCoverage {
  readonly module: string;
  readonly action: string;
  /** Line and column of an inline disjunct; absent for a named operator. */
  readonly position?: string;
  /** Distinct new states the action found (always 0 in simulation mode). */
  readonly distinct: number;
  /** States the action generated, counting ones already seen. */
  readonly generated: number;
}

const NEXT_LINE =
  /^<(\S+) line \d+, col \d+ to line \d+, col \d+ of module (\S+?)(?: \((\d+) (\d+) \d+ \d+\))?>: (\d+):(\d+)$/;

/** Reads one `<Name line .. of module M>: distinct:generated` line. */
export function parseCoverageLine(line: string): ActionCoverage | undefined {
  const m = NEXT_LINE.exec(line.trim());
  if (!m) return undefined;
  return {
    action: m[1] as string,
    module: m[2] as string,
    ...(m[3] !== undefined ? { position: `${m[3]}:${m[4]}` } : {}),
    distinct: Number(m[5]),
    generated: Number(m[6]),
  };
}

export function actionKey(c: { module: string; action: string; position?: string }): string {
  return `${c.module}!${c.action}${c.position !== undefined ? `@${c.position}` : ''}`;
}

/** The coverage of one model run, as the aggregation needs it. */
export interface RunCoverage {
  readonly model: string;
  readonly simulation: boolean;
  readonly actions: readonly ActionCoverage[];
}

export interface ActionVerdict {
  readonly key: string;
  readonly module: string;
  readonly action: string;
  /** Models in which the action fired. */
  readonly firedIn: readonly string[];
  /** Models whose next-state relation contains the action. */
  readonly seenIn: readonly string[];
}

export interface CoverageSummary {
  readonly actions: readonly ActionVerdict[];
  readonly neverFired: readonly ActionVerdict[];
  /** Runs that printed no coverage report: their actions cannot be checked. */
  readonly silentRuns: readonly string[];
}

/**
 * An action fired in a run when it produced at least one distinct new state
 * there. In simulation mode TLC keeps no set of seen states and reports 0
 * distinct states for every action, so there an action fired when it
 * generated at least one state.
 */
export function fired(run: { simulation: boolean }, c: ActionCoverage): boolean {
  return run.simulation ? c.generated > 0 : c.distinct > 0;
}

/**
 * Merges the coverage of several runs: every action that appears in any of
 * them must have fired in at least one. TLC may list one action twice (the
 * same operator reached through two disjuncts); those entries merge.
 */
export function aggregateCoverage(runs: readonly RunCoverage[]): CoverageSummary {
  const byKey = new Map<string, { module: string; action: string; fired: Set<string>; seen: Set<string> }>();
  for (const run of runs) {
    for (const c of run.actions) {
      const key = actionKey(c);
      let entry = byKey.get(key);
      if (!entry) {
        entry = { module: c.module, action: c.action, fired: new Set(), seen: new Set() };
        byKey.set(key, entry);
      }
      entry.seen.add(run.model);
      if (fired(run, c)) entry.fired.add(run.model);
    }
  }
  const actions = [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, e]) => ({
      key,
      module: e.module,
      action: e.action,
      firedIn: [...e.fired].sort(),
      seenIn: [...e.seen].sort(),
    }));
  return {
    actions,
    neverFired: actions.filter((a) => a.firedIn.length === 0),
    silentRuns: runs.filter((r) => r.actions.length === 0).map((r) => r.model),
  };
}
