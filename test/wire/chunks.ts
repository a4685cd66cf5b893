// A byte stream as a socket may deliver it: joined from parts, or cut into
// chunks at arbitrary places.

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Cuts `stream` at the given positions (taken modulo its length + 1, sorted, deduplicated). */
export function split(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, stream.length]) {
    chunks.push(stream.subarray(prev, c));
    prev = c;
  }
  return chunks;
}
