// Broken invariants inside a core are bugs, never client errors: a replica
// that turned one into an error reply would go on with a state that differs
// from the others'. `invariant` throws an InvariantViolation, which no core
// catches; the shell lets it end the process (the simulator, the run).

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantViolation(typeof message === 'string' ? message : message());
}
