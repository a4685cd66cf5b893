// The `envi` lines of this process, under ZooKeeper's keys and in its order
// (org.apache.zookeeper.Environment.list). Keys that name Java facts get
// Node's nearest analogue where there is one (java.io.tmpdir) and `<NA>`,
// ZooKeeper's own placeholder, where there is none; node.version follows.

import { hostname, arch, release, tmpdir, type, userInfo, homedir } from 'node:os';
import { getHeapStatistics } from 'node:v8';

const NA = '<NA>';
const MB = 1024 * 1024;

function safe(f: () => string): string {
  try {
    return f();
  } catch {
    return NA;
  }
}

export function nodeEnvironment(version: string): Array<readonly [string, string]> {
  const heap = getHeapStatistics();
  return [
    ['zookeeper.version', version],
    ['host.name', safe(hostname)],
    ['java.version', NA],
    ['java.vendor', NA],
    ['java.home', NA],
    ['java.class.path', NA],
    ['java.library.path', NA],
    ['java.io.tmpdir', safe(tmpdir)],
    ['java.compiler', NA],
    ['os.name', safe(type)],
    ['os.arch', safe(arch)],
    ['os.version', safe(release)],
    ['user.name', safe(() => userInfo().username)],
    ['user.home', safe(homedir)],
    ['user.dir', safe(() => process.cwd())],
    ['os.memory.free', `${Math.floor((heap.total_heap_size - heap.used_heap_size) / MB)}MB`],
    ['os.memory.max', `${Math.floor(heap.heap_size_limit / MB)}MB`],
    ['os.memory.total', `${Math.floor(heap.total_heap_size / MB)}MB`],
    ['node.version', process.version],
  ];
}
