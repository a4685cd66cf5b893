// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8.
// Every log record and every snapshot carries one. Castagnoli's polynomial
// detects more error patterns in short and medium messages than the IEEE one
// and is the checksum most storage formats (ext4, iSCSI, LevelDB) settled on.

const POLY = 0x82f63b78;

/** Eight 256-entry tables: T[k*256 + b] is the CRC of byte b followed by k zero bytes. */
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let k = 1; k < 8; k++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}

/**
 * CRC-32C of `data[start, end)`. Pass the result of a previous call as
 * `prev` to continue a checksum over data that arrives in pieces.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length, prev = 0): number {
  let c = ~prev;
  let i = start;
  const stop8 = end - 8;
  while (i <= stop8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      T[1792 + (a & 0xff)]! ^
      T[1536 + ((a >>> 8) & 0xff)]! ^
      T[1280 + ((a >>> 16) & 0xff)]! ^
      T[1024 + (a >>> 24)]! ^
      T[768 + data[i + 4]!]! ^
      T[512 + data[i + 5]!]! ^
      T[256 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const ZEROS = new Uint8Array(64 * 1024);

/** Continues `prev` over `count` zero bytes (regions known to hold zeros, without reading them). */
export function crc32cZeros(count: number, prev: number): number {
  let c = prev;
  while (count > 0) {
    const n = Math.min(count, ZEROS.length);
    c = crc32c(ZEROS, 0, n, c);
    count -= n;
  }
  return c;
}
