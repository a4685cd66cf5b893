// The message codes of TLC's `-tool` output that the runner reads (the
// numbering of tlc2.output.EC, stable across TLC 2.x releases).

export const Code = {
  version: 2262,
  modeModelCheck: 2187,
  modeSimulate: 2188,
  modeDepthFirst: 2271,
  sanyStart: 2220,
  sanyEnd: 2219,
  parsingFailed: 3002,
  parsingFailed2: 2171,
  success: 2193,
  finished: 2186,
  stats: 2199,
  statsDepthFirst: 2204,
  statsSimulation: 2210,
  progress: 2200,
  progressSimulation: 2209,
  searchDepth: 2194,
  invariantViolatedInitial: 2107,
  invariantViolated: 2110,
  propertyViolatedInitial: 2108,
  actionPropertyViolated: 2112,
  temporalPropertyViolated: 2116,
  deadlock: 2114,
  behaviourUpToHere: 2121,
  counterexampleFollows: 2264,
  nestedExpression: 2103,
  backToState: 2122,
  statePrint: 2217,
  stuttering: 2218,
  coverageStart: 2201,
  coverageEnd: 2202,
  coverageInit: 2773,
  coverageNext: 2772,
  coverageProperty: 2774,
  coverageValue: 2221,
  assumptionFalse: 2104,
  assumptionEvaluation: 2105,
  noInitialStates: 2118,
  /** Advice to use the parallel garbage collector (the runner does). */
  gcWarning: 2401,
} as const;

/** Codes that mean TLC could not read the configuration or command line. */
export function isConfigurationError(code: number): boolean {
  return (
    (code >= 2222 && code <= 2243) ||
    code === 2280 ||
    code === 2281 ||
    (code >= 5001 && code <= 5006) ||
    code === 1101 ||
    code === 1102 ||
    (code >= 3100 && code <= 3114)
  );
}

/**
 * Error-severity messages that only accompany another error (the trace
 * header, the evaluation stack, an exception wrapper around a configuration
 * error) and never decide the outcome on their own.
 */
export function isAccompanyingMessage(code: number): boolean {
  return (
    code === Code.behaviourUpToHere ||
    code === Code.counterexampleFollows ||
    code === Code.nestedExpression
  );
}
