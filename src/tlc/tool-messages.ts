// TLC's `-tool` mode wraps every message it prints between
//   @!@!@STARTMSG <code>:<severity> @!@!@   and   @!@!@ENDMSG <code> @!@!@
// so that output can be read by message code instead of by wording. SANY's
// parser output is printed outside any message, and a message may contain
// another one (an exception message around a configuration error). This
// module splits the raw text into the messages and the loose text.

/** The severities TLC attaches to messages. */
export const Severity = { Info: 0, Error: 1, TlcBug: 2, Warning: 3, State: 4 } as const;

export interface ToolMessage {
  readonly code: number;
  readonly severity: number;
  /** The message text without the markers and without trailing blank lines. */
  readonly body: string;
}

export interface ToolOutput {
  /** Messages in the order their start markers appear. */
  readonly messages: readonly ToolMessage[];
  /** Text outside every message (SANY's output, JVM noise). */
  readonly loose: string;
}

const MARKER = /@!@!@(STARTMSG (\d+):(\d+)|ENDMSG (\d+)) @!@!@\r?\n?/g;

interface OpenMessage {
  code: number;
  severity: number;
  parts: string[];
  slot: number;
}

export function splitToolOutput(text: string): ToolOutput {
  const slots: (ToolMessage | undefined)[] = [];
  const stack: OpenMessage[] = [];
  const loose: string[] = [];
  let last = 0;
  const append = (chunk: string): void => {
    if (chunk === '') return;
    const top = stack[stack.length - 1];
    if (top) top.parts.push(chunk);
    else loose.push(chunk);
  };
  const close = (open: OpenMessage): void => {
    slots[open.slot] = {
      code: open.code,
      severity: open.severity,
      body: open.parts.join('').replace(/\s+$/, ''),
    };
  };
  for (const m of text.matchAll(MARKER)) {
    append(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] !== undefined) {
      stack.push({ code: Number(m[2]), severity: Number(m[3]), parts: [], slot: slots.length });
      slots.push(undefined);
    } else {
      const code = Number(m[4]);
      // Close the innermost open message with this code (and anything left
      // open inside it, which TLC never does but a cut-off output might).
      const at = findLastIndex(stack, (o) => o.code === code);
      if (at >= 0) for (const open of stack.splice(at).reverse()) close(open);
    }
  }
  append(text.slice(last));
  // A run cut short leaves messages open: keep what they said.
  for (const open of stack.reverse()) close(open);
  return {
    messages: slots.filter((s): s is ToolMessage => s !== undefined),
    loose: loose.join(''),
  };
}

function findLastIndex<T>(xs: readonly T[], p: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i] as T)) return i;
  return -1;
}
