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
//
// QUORUM CONNECTION (the quorum port). Records follow one another with no
// frame around them, as ZooKeeper writes them; a record is at most
// maxPacketBytes (default 2 × jute.maxbuffer):
//
//   QuorumPacket { int type; long zxid; buffer data; vector<Id> authinfo }
//   Id { ustring scheme; ustring id }
//
//   type              zxid field             data                                   auth
//   FOLLOWERINFO 11   acceptedEpoch << 32    LearnerInfo (below)                    null
//   OBSERVERINFO 16   acceptedEpoch << 32    LearnerInfo                            null
//   LEADERINFO   17   epoch << 32            int 0x10000 (protocol version)         null
//   ACKEPOCH     18   learner's last zxid    int currentEpoch (-1: already had it)  null
//   DIFF         13   zxid                   null                                   null
//   TRUNC        14   zxid                   null                                   null
//   SNAP         15   zxid                   null; then the snapshot stream         null
//   NEWLEADER    10   epoch << 32            null (ZooKeeper's config: ignored)     null
//   UPTODATE     12   -1                     null                                   null
//   PROPOSAL      2   txn zxid               transaction (src/wire/txn-codec.ts)    null
//   ACK           3   zxid                   null                                   null
//   COMMIT        4   zxid                   null                                   null
//   INFORM        8   txn zxid               transaction                            null
//   PING          5   -1                     { long sessionId; int timeout }*       null
//   REVALIDATE    6   -1                     learner: long sessionId; int timeout   null
//                                            leader:  long sessionId; bool valid
//   REQUEST       1   -1                     long sessionId; int cxid; int opcode;  the client's ids
//                                            then the request record: a write's
//                                            (zookeeper.jute), createSession's
//                                            int timeout, nothing for closeSession
//                                            and sync
//   SYNC          7   zxid the sync waits    long sessionId                         null
//                     for
//
//   LearnerInfo: long serverid; int protocolVersion (0x10000); long
//   configVersion (0) — ZooKeeper's record — then, ours: long ensemble
//   fingerprint; int payload format (1). A ZooKeeper leader reads the first
//   20 bytes and no further.
//
// SNAP stream (ours; ZooKeeper writes its own snapshot format raw instead):
// after the SNAP record, chunk frames { int length (1 .. maxPacketBytes);
// bytes } of snapshot content (src/wire/snapshot-codec.ts), then int -1,
// long total content bytes, int CRC-32 of the content.
//
// Ours, where ZooKeeper has no counterpart or the core's record differs:
// the fingerprint; LearnerInfo's two extra fields; transactions, forwarded
// writes' opcodes limited to those the frontend forwards, and the snapshot
// stream in our own encodings; SYNC's session id and zxid (ZooKeeper sends
// neither and matches syncs in order); REVALIDATE's answer decoded as
// REVALIDATE_ANSWER (one type number, told apart by who sent it); PING
// touches sent by the leader too (always empty); -1 in zxid fields that
// carry nothing (ZooKeeper puts its last proposed zxid in a leader's PING).
// COMMITANDACTIVATE (9) and INFORMANDACTIVATE (19), dynamic
// reconfiguration, are refused.

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
export { PacketType, packetName } from './peer/quorum-record.js';
export {
  DEFAULT_MAX_QUORUM_PACKET,
  PAYLOAD_FORMAT,
  QuorumDecoder,
  ZAB_PROTOCOL_VERSION,
  encodeLearnerInfo,
  encodeQuorumPacket,
  type LearnerIdentity,
  type PacketSender,
  type PlainPacket,
  type QuorumDecoderOptions,
  type QuorumLimits,
  type ReceivedPacket,
} from './peer/quorum-codec.js';
export {
  DEFAULT_MAX_SNAPSHOT,
  DEFAULT_NODES_PER_SLICE,
  DEFAULT_SNAPSHOT_CHUNK,
  SnapshotStream,
  type SnapPacket,
  type SnapshotStreamOptions,
} from './peer/snapshot-stream.js';
