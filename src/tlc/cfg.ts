// The parts of a TLC configuration file the runner needs: which invariants
// and properties it checks (to name a violated property), and whether it
// sets CHECK_DEADLOCK (which belongs in the manifest instead).

export interface CfgSummary {
  readonly invariants: readonly string[];
  readonly properties: readonly string[];
  readonly setsCheckDeadlock: boolean;
}

const KEYWORDS = new Set([
  'CONSTANT',
  'CONSTANTS',
  'INIT',
  'NEXT',
  'SPECIFICATION',
  'INVARIANT',
  'INVARIANTS',
  'PROPERTY',
  'PROPERTIES',
  'SYMMETRY',
  'VIEW',
  'CONSTRAINT',
  'CONSTRAINTS',
  'ACTION_CONSTRAINT',
  'ACTION_CONSTRAINTS',
  'CHECK_DEADLOCK',
  'POSTCONDITION',
  'ALIAS',
]);

function stripComments(text: string): string {
  let out = text;
  // Block comments nest in TLA+; remove innermost ones until none is left.
  for (let prev = ''; prev !== out; ) {
    prev = out;
    out = out.replace(/\(\*(?:(?!\(\*|\*\))[\s\S])*\*\)/g, ' ');
  }
  return out.replace(/\\\*.*$/gm, ' ');
}

export function summarizeCfg(text: string): CfgSummary {
  const tokens = stripComments(text).split(/\s+/).filter((s) => s !== '');
  const invariants: string[] = [];
  const properties: string[] = [];
  let setsCheckDeadlock = false;
  let section = '';
  for (const tok of tokens) {
    if (KEYWORDS.has(tok)) {
      section = tok;
      if (tok === 'CHECK_DEADLOCK') setsCheckDeadlock = true;
      continue;
    }
    if (section === 'INVARIANT' || section === 'INVARIANTS') invariants.push(tok);
    else if (section === 'PROPERTY' || section === 'PROPERTIES') properties.push(tok);
  }
  return { invariants, properties, setsCheckDeadlock };
}
