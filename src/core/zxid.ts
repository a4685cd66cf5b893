// Zxids as ZooKeeper lays them out: the leader's epoch in the high 32 bits,
// a counter within the epoch in the low 32. They are JS numbers, exact while
// the epoch stays below 2^21 (see src/wire/protocol.ts), which `makeZxid`
// asserts. A leader whose counter reaches its limit has run out of zxids in
// its epoch and must step down so that a new election opens a new epoch.

const TWO32 = 0x1_0000_0000;

/** The highest counter an epoch has. */
export const MAX_COUNTER = 0xffff_ffff;
/** Epochs stay below this so that a zxid is an exact number. */
export const MAX_EPOCH = 0x1f_ffff;

export function makeZxid(epoch: number, counter: number): number {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) throw new Error(`epoch ${epoch} out of range`);
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) throw new Error(`zxid counter ${counter} out of range`);
  return epoch * TWO32 + counter;
}

export function epochOf(zxid: number): number {
  return Math.floor(zxid / TWO32);
}

export function counterOf(zxid: number): number {
  return zxid - epochOf(zxid) * TWO32;
}

/** No zxid is left in this zxid's epoch after it. */
export function counterExhausted(zxid: number): boolean {
  return counterOf(zxid) === MAX_COUNTER;
}

/** 0x-prefixed hex, as ZooKeeper prints zxids. */
export function zxidHex(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}
