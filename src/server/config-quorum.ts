// The ensemble part of zoo.cfg: `server.N` lines, hierarchical quorum
// `group.N` / `weight.N` lines, and the standalone-or-quorum decision, with
// ZooKeeper 3.9's rules (QuorumPeerConfig, QuorumPeer.QuorumServer,
// QuorumMaj, QuorumHierarchical).

import * as t from 'io-ts';
import { Host, JavaLong, PeerPort, PeerTypeC, PeerTypeFromString, Port, decodeValue, intInRange } from './config-values.js';

export const QuorumServerC = t.readonly(
  t.type({
    id: t.number,
    host: t.string,
    quorumPort: t.number,
    electionPort: t.number,
    type: PeerTypeC,
    /** From `;[addr:]port` on the line; `0.0.0.0` when only a port is given. */
    clientAddress: t.union([t.string, t.null]),
    clientPort: t.union([t.number, t.null]),
  }),
  'QuorumServer',
);
export type QuorumServer = t.TypeOf<typeof QuorumServerC>;

export const QuorumGroupC = t.readonly(t.type({ id: t.number, servers: t.readonlyArray(t.number) }), 'QuorumGroup');
export type QuorumGroup = t.TypeOf<typeof QuorumGroupC>;

/** Server ids: ZooKeeper puts the id in the top byte of session ids. */
export const MIN_SERVER_ID = 1;
export const MAX_SERVER_ID = 255;
/** With extendedTypesEnabled the top byte 0xff marks TTL owners. */
export const MAX_EXTENDED_SERVER_ID = 254;

export const ServerIdFromString = intInRange(JavaLong, MIN_SERVER_ID, MAX_SERVER_ID, 'a server id');

/** A value problem found while reading one line; the caller adds file, line and key. */
export class LineProblem extends Error {}

/** Java's String.split(regex) without a limit: trailing empty strings are dropped. */
export function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** ZooKeeper's ConfigUtils.getHostAndPort: `[v6]:a:b` keeps the brackets' content whole. */
export function hostAndPorts(s: string): string[] {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw new LineProblem(`'${s}' starts with '[' but has no matching ']:'`);
    if (close + 2 === s.length) throw new LineProblem(`'${s}' has no port after the colon`);
    if (close + 2 < s.length) {
      if (s[close + 1] !== ':') throw new LineProblem(`'${s}': expected ':' after ']'`);
      return [s.slice(1, close), ...javaSplit(s.slice(close + 2), ':')];
    }
    return [s.slice(1, close)];
  }
  return javaSplit(s, ':');
}

function decodeOrThrow<A>(codec: t.Decoder<unknown, A>, value: string, what: string): A {
  const r = decodeValue(codec, value);
  if (!r.ok) throw new LineProblem(`${what}: ${r.message}`);
  return r.value;
}

const WRONG_FORMAT =
  'expected host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]';

/** Parse the value of a `server.N` line. Throws LineProblem. */
export function parseServerLine(id: number, value: string): QuorumServer {
  const serverClient = javaSplit(value, ';');
  if (serverClient.length === 0 || serverClient.length > 2) throw new LineProblem(`'${value}': ${WRONG_FORMAT}`);
  const [serverPart, clientPart] = serverClient as [string, string | undefined];
  if (serverPart.includes('|')) {
    throw new LineProblem(
      `'${value}': several addresses separated by '|' (ZooKeeper's multiAddress feature) are not supported; give one host:quorumPort:electionPort`,
    );
  }
  const parts = hostAndPorts(serverPart);
  if (parts.length < 3 || parts.length > 4) throw new LineProblem(`'${value}': ${WRONG_FORMAT}`);
  const host = decodeOrThrow(Host, parts[0]!, 'host');
  const quorumPort = decodeOrThrow(PeerPort, parts[1]!, 'quorum port');
  const electionPort = decodeOrThrow(PeerPort, parts[2]!, 'election port');
  if (quorumPort === electionPort) {
    throw new LineProblem(`quorum port and election port must be different (both ${quorumPort})`);
  }
  const type = parts.length === 4 ? decodeOrThrow(PeerTypeFromString, parts[3]!, 'peer type') : 'participant';
  let clientAddress: string | null = null;
  let clientPort: number | null = null;
  if (clientPart !== undefined) {
    const cp = hostAndPorts(clientPart);
    if (cp.length < 1 || cp.length > 2) throw new LineProblem(`'${value}': ${WRONG_FORMAT}`);
    clientAddress = cp.length === 2 ? decodeOrThrow(Host, cp[0]!, 'client address') : '0.0.0.0';
    clientPort = decodeOrThrow(Port, cp[cp.length - 1]!, 'client port');
  }
  return { id, host, quorumPort, electionPort, type, clientAddress, clientPort };
}

/** Parse the value of a `group.N` line: server ids separated by ':'. */
export function parseGroupLine(id: number, value: string): QuorumGroup {
  const servers = javaSplit(value, ':').map((s) => decodeOrThrow(ServerIdFromString, s.trim(), 'server id'));
  if (servers.length === 0) throw new LineProblem('a group needs at least one server id');
  return { id, servers };
}

/** How ZooKeeper prints a member in `conf` and /zookeeper/config (QuorumServer.toString). */
export function formatQuorumServer(s: QuorumServer): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  let out = `${host}:${s.quorumPort}:${s.electionPort}:${s.type}`;
  if (s.clientPort !== null) {
    const addr = s.clientAddress ?? '0.0.0.0';
    out += `;${addr.includes(':') ? `[${addr}]` : addr}:${s.clientPort}`;
  }
  return out;
}
