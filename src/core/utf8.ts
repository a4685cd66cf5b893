// UTF-8 for the cores, which run without the host's TextEncoder/TextDecoder
// (they compile against the language alone). Encoding and decoding follow
// the WHATWG rules those classes implement: a lone surrogate encodes as
// U+FFFD, and every maximal invalid subsequence decodes as one U+FFFD.

const REPLACEMENT = 0xfffd;

export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = REPLACEMENT;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

export function utf8Decode(b: Uint8Array): string {
  const codes: number[] = [];
  let i = 0;
  while (i < b.length) {
    const x = b[i]!;
    if (x < 0x80) {
      codes.push(x);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (x >= 0xc2 && x <= 0xdf) {
      need = 1;
      cp = x & 0x1f;
    } else if (x >= 0xe0 && x <= 0xef) {
      need = 2;
      cp = x & 0x0f;
      if (x === 0xe0) lower = 0xa0;
      if (x === 0xed) upper = 0x9f;
    } else if (x >= 0xf0 && x <= 0xf4) {
      need = 3;
      cp = x & 0x07;
      if (x === 0xf0) lower = 0x90;
      if (x === 0xf4) upper = 0x8f;
    } else {
      codes.push(REPLACEMENT);
      i++;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      const y = b[j];
      if (y === undefined || y < lower || y > upper) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (y & 0x3f);
      lower = 0x80;
      upper = 0xbf;
    }
    if (!ok) {
      codes.push(REPLACEMENT);
      i = j;
      continue;
    }
    codes.push(cp);
    i = j;
  }
  let s = '';
  for (let k = 0; k < codes.length; k += 4096) s += String.fromCodePoint(...codes.slice(k, k + 4096));
  return s;
}
