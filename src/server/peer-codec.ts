// The byte encoding of everything members of an ensemble say to each other,
// in one place (the parts live in ./peer/). Cores see only the records of
// src/core/zab/messages.ts; this module turns them into bytes and back, and
// refuses, with a PeerProtocolError, any byte that does not fit. Where a
// message has a ZooKeeper counterpart its layout is ZooKeeper's, so that a
// member joining a ZooKeeper ensemble changes this module only. All
// integers are big-endian; `long` is 8 bytes, `int` 4; jute `buffer` is an
// int length (-1: null) then the bytes; `ustring` the same with UTF-8.
//
// ELECTION CONNECTION (the election port). The member that opens it sends:
//
//   long   protocol version          -65536 (ZooKeeper's, single address)
//   long   server id                 must be another member of the ensemble
//   int    n, then n bytes           election address "host:port" ("[v6]:port"), 1..2048 bytes
//   int 8, then long                 ensemble fingerprint (ours; see below)
//
// then both sides send notifications, each in a frame (int length, 1 .. max
// bytes, default 512 KiB as ZooKeeper), 44 bytes:
//
//   int state (0 LOOKING, 1 FOLLOWING, 2 LEADING, 3 OBSERVING); long leader
//   (-1: no one); long zxid; long electionEpoch; long peerEpoch; int version
//   (2); int configLength (0; ZooKeeper's dynamic configuration text goes here)
//
// The fingerprint frame is ours. A ZooKeeper member drops it unread, as it
// drops every election message shorter than 28 bytes. The fingerprint is
// the first 8 bytes of SHA-256 over "id:role,..." in id order.

export { PeerProtocolError, type PeerErrorReason } from './peer/errors.js';
export { FrameReader } from './peer/byte-queue.js';
export { ensembleFingerprint, peerCheck, type EnsembleMember, type PeerCheck } from './peer/ensemble.js';
export {
  DEFAULT_MAX_ELECTION_FRAME,
  ELECTION_PROTOCOL_VERSION,
  ElectionDecoder,
  MAX_ADDRESS_BYTES,
  NOTIFICATION_VERSION,
  decodeNotification,
  encodeElectionHandshake,
  encodeNotification,
  formatAddress,
  type ElectionAddress,
  type ElectionDecoderOptions,
  type ElectionHandshake,
  type ElectionMessage,
} from './peer/election-codec.js';
