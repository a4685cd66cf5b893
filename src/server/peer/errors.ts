// What is wrong with bytes a peer sent. Every rejection on the quorum and
// election ports is a PeerProtocolError: the connection it came on is beyond
// repair and is closed with its message in the log; the ensemble goes on.

export type PeerErrorReason =
  /** bytes that do not follow the layout: a bad length, an out-of-range value, content that does not parse */
  | 'garbage'
  /** a protocol or format version this member does not speak */
  | 'version'
  /** a packet type that is unknown, or not one that this side of the connection sends, or out of place */
  | 'type'
  /** a frame, packet or snapshot over its maximum */
  | 'oversized'
  /** a record that ends before its layout does (or a connection closed in the middle of one) */
  | 'truncated'
  /** bytes left over after a record's layout ends */
  | 'trailing'
  /** a member configured with a different ensemble */
  | 'fingerprint'
  /** a server id that is not in this ensemble's configuration, or this member's own */
  | 'unknown-server';

export class PeerProtocolError extends Error {
  override name = 'PeerProtocolError';
  constructor(
    readonly reason: PeerErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export function fail(reason: PeerErrorReason, message: string): never {
  throw new PeerProtocolError(reason, message);
}
