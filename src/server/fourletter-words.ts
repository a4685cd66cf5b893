// The four-letter words ZooKeeper 3.9 knows, their integer codes and the
// `4lw.commands.whitelist` rules (FourLetterCommands).
//
// On a connection that has not yet sent a connect request, ZooKeeper reads
// the first 4 bytes as a big-endian int32 frame length; if that int is the
// code of a known word, the connection is a command instead: the answer is
// written and the connection closed.

/** Every word ZooKeeper 3.9 recognises, including the telnet close sequence. */
export const FOUR_LETTER_WORDS = [
  'conf',
  'cons',
  'crst',
  'dirs',
  'dump',
  'envi',
  'gtmk',
  'ruok',
  'stmk',
  'srst',
  'srvr',
  'stat',
  'wchc',
  'wchp',
  'wchs',
  'mntr',
  'isro',
  'hash',
  'telnet close',
] as const;
export type FourLetterWord = (typeof FOUR_LETTER_WORDS)[number];

/** What telnet sends when it closes (IAC DO TIMING-MARK, as an int). */
export const TELNET_CLOSE_CODE = 0xfff4fffd | 0;

/** The int32 a word's four ASCII bytes make, read big-endian. */
export function fourLetterCode(word: string): number {
  if (word === 'telnet close') return TELNET_CLOSE_CODE;
  if (word.length !== 4) throw new RangeError(`not a four-letter word: ${JSON.stringify(word)}`);
  let code = 0;
  for (let i = 0; i < 4; i++) code = (code << 8) | (word.charCodeAt(i) & 0xff);
  return code | 0;
}

const byCode = new Map<number, FourLetterWord>(FOUR_LETTER_WORDS.map((w) => [fourLetterCode(w), w]));

/** The word whose code this is (as a signed or unsigned 32-bit int), if any. */
export function fourLetterWordOfCode(code: number): FourLetterWord | undefined {
  return byCode.get(code | 0);
}

/**
 * Whether the first four bytes of a fresh connection (or their int32 value)
 * are a four-letter word rather than the length of a connect request.
 */
export function isFourLetterWord(firstFourBytes: Uint8Array | number): boolean {
  if (typeof firstFourBytes === 'number') return byCode.has(firstFourBytes | 0);
  if (firstFourBytes.length < 4) return false;
  const view = new DataView(firstFourBytes.buffer, firstFourBytes.byteOffset, 4);
  return byCode.has(view.getInt32(0, false));
}

export function isKnownFourLetterWord(word: string): word is FourLetterWord {
  return (FOUR_LETTER_WORDS as readonly string[]).includes(word);
}

/** The whitelist ZooKeeper uses when `4lw.commands.whitelist` is absent. */
export const DEFAULT_FOUR_LETTER_WHITELIST = 'srvr';

export interface FourLetterWhitelist {
  /** The words that run; every other known word gets the "not in the whitelist" answer. */
  readonly enabled: ReadonlySet<string>;
  /** Entries of the list that are not words ZooKeeper knows (kept, and harmless). */
  readonly unknown: readonly string[];
}

/**
 * `4lw.commands.whitelist` as ZooKeeper reads it: comma-separated, each entry
 * trimmed, empty entries skipped, `*` anywhere enables every known word;
 * `srvr` is always enabled (zkServer.sh status uses it) and `isro` too when
 * read-only mode is enabled. `undefined` (the key absent) means `srvr` only.
 */
export function parseFourLetterWhitelist(spec: string | undefined, options: { readOnlyModeEnabled?: boolean } = {}): FourLetterWhitelist {
  const enabled = new Set<string>();
  const unknown: string[] = [];
  for (const raw of (spec ?? '').split(',')) {
    const word = raw.trim();
    if (word === '*') {
      for (const w of FOUR_LETTER_WORDS) enabled.add(w);
      break;
    }
    if (word === '') continue;
    enabled.add(word);
    if (!isKnownFourLetterWord(word)) unknown.push(word);
  }
  if (options.readOnlyModeEnabled === true) enabled.add('isro');
  enabled.add('srvr');
  return { enabled, unknown };
}

/** Bytes the client sends after the word itself: `stmk` is followed by an 8-byte mask. */
export function fourLetterArgumentBytes(word: string): number {
  return word === 'stmk' ? 8 : 0;
}
