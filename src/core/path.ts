// ZooKeeper path rules: absolute, no empty segments, no "." or ".." segments,
// no trailing "/" (except the root), no control or reserved characters.

/** Why `path` is not a valid znode path, or null when it is. */
export function pathError(path: string): string | null {
  if (path.length === 0) return 'path length must be > 0';
  if (path.charCodeAt(0) !== 0x2f) return 'path must start with / character';
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 0x2f) return 'path must not end with / character';
  let segStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const len = i - segStart;
      if (len === 0) return `empty node name specified @${i}`;
      if (len === 1 && path.charCodeAt(segStart) === 0x2e) return `relative paths not allowed @${segStart}`;
      if (len === 2 && path.charCodeAt(segStart) === 0x2e && path.charCodeAt(segStart + 1) === 0x2e) {
        return `relative paths not allowed @${segStart + 1}`;
      }
      segStart = i + 1;
      continue;
    }
    if (c === 0) return `null character not allowed @${i}`;
    if (
      (c > 0x00 && c <= 0x1f) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character @${i}`;
    }
  }
  return null;
}

export function isValidPath(path: string): boolean {
  return pathError(path) === null;
}

/** Parent of a valid non-root path ("/" for "/a"). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.substring(0, i);
}

/** Last segment of a valid non-root path. */
export function nameOf(path: string): string {
  return path.substring(path.lastIndexOf('/') + 1);
}

/** `child` joined under `parent`. */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? '/' + child : parent + '/' + child;
}

/** True when `path` is `prefix` or lies below it. */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
}

/** The suffix ZooKeeper appends to a sequential node: the counter as %010d. */
export function sequenceSuffix(counter: number): string {
  if (counter < 0) return '-' + String(-counter).padStart(9, '0');
  return String(counter).padStart(10, '0');
}
