// What a session password was before it was keyed, for the tests that show
// it no longer re-attaches a session.

/** The password as it was once derived: a fixed mix of the session id that anyone who knew the id could compute. */
export function keylessPassword(id: bigint): Uint8Array {
  const out = new Uint8Array(16);
  let x = BigInt.asUintN(64, id ^ 0x5a3c96e1d2b4f078n);
  for (let i = 0; i < 2; i++) {
    x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
    let z = x;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z = z ^ (z >> 31n);
    for (let b = 0; b < 8; b++) out[i * 8 + b] = Number((z >> BigInt(56 - 8 * b)) & 0xffn);
  }
  return out;
}
