------------------------------ MODULE ZkReads ------------------------------
(***************************************************************************)
(* ZooKeeper's read modes over a stable leader.                            *)
(*                                                                         *)
(* Writes go through the leader, which proposes them in zxid order on a    *)
(* FIFO channel to each follower, commits a write once a quorum of servers *)
(* has logged it (the write completes: its client gets the reply), and     *)
(* then sends COMMIT on the same channels.  A follower applies a write to  *)
(* its tree when it processes the COMMIT, so its tree may lag the leader's.*)
(*                                                                         *)
(* A client connected to a follower reads in one of three ways:            *)
(*   "local"  - the follower answers from its own tree at once;            *)
(*   "sync"   - the follower first forwards a SYNC to the leader, which    *)
(*              puts the SYNC reply on its FIFO channel to the follower    *)
(*              behind every COMMIT already sent; the follower answers     *)
(*              from its tree when it processes that reply;                *)
(*   "quorum" - the follower asks the servers how far their logs go, and   *)
(*              once a quorum has answered waits until it has applied up   *)
(*              to the highest of those positions, then answers.           *)
(* Zxids are just the positions 1, 2, ... in the leader's log and a write  *)
(* is known by its zxid: epochs, elections and crashes are Zab.tla's       *)
(* subject and are left out here.                                          *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Leader,      \* the leader
    Follower,    \* the followers
    MaxWrites,   \* the writes clients submit
    ReadModes,   \* the read modes clients may use
    ReadQuorum   \* the sets of servers whose answers a "quorum" read waits for

Server == {Leader} \cup Follower

ASSUME /\ Leader \notin Follower
       /\ MaxWrites \in Nat
       /\ ReadModes \subseteq {"local", "sync", "quorum"}
       /\ ReadQuorum \subseteq SUBSET Server

Zxid == 0..MaxWrites

VARIABLES
    proposed,   \* the zxid of the last write the leader proposed
    logged,     \* logged[s]: how far server s's transaction log goes
    committed,  \* the zxid of the last write the leader committed (and completed)
    applied,    \* applied[s]: the zxid of the last write applied to s's tree
    chan,       \* chan[f]: the FIFO channel from the leader to follower f
    syncs,      \* the followers whose forwarded SYNC the leader has not handled yet
    mode,       \* the current read's mode, or "none" before the first read
    server,     \* the follower serving the current read
    stage,      \* "idle", "waiting" or "done"
    floor,      \* `committed` when the current read began
    heard,      \* for a quorum read: the servers that have told their log position
    target,     \* for a quorum read: the highest log position heard
    result      \* the zxid of the last write the read saw

vars == <<proposed, logged, committed, applied, chan, syncs,
          mode, server, stage, floor, heard, target, result>>
leaderVars == <<proposed, logged, committed, applied, chan, syncs>>
readVars == <<mode, server, stage, floor, heard, target, result>>

Msg == [type : {"PROPOSAL", "COMMIT"}, zxid : 1..MaxWrites] \cup [type : {"SYNC"}]

TypeOK ==
    /\ proposed \in Zxid /\ committed \in Zxid
    /\ logged \in [Server -> Zxid] /\ applied \in [Server -> Zxid]
    /\ chan \in [Follower -> Seq(Msg)]
    /\ syncs \subseteq Follower
    /\ mode \in ReadModes \cup {"none"}
    /\ server \in Follower
    /\ stage \in {"idle", "waiting", "done"}
    /\ floor \in Zxid /\ target \in Zxid /\ result \in Zxid
    /\ heard \subseteq Server

Init ==
    /\ proposed = 0
    /\ logged = [s \in Server |-> 0]
    /\ committed = 0
    /\ applied = [s \in Server |-> 0]
    /\ chan = [f \in Follower |-> <<>>]
    /\ syncs = {}
    /\ mode = "none"
    /\ server \in Follower
    /\ stage = "idle"
    /\ floor = 0
    /\ heard = {}
    /\ target = 0
    /\ result = 0

SendAll(m) == chan' = [f \in Follower |-> Append(chan[f], m)]

IsQuorum(S) == 2 * Cardinality(S) > Cardinality(Server)

-----------------------------------------------------------------------------
(* The leader proposes the next write: logs it, sends PROPOSAL to all. *)
Propose ==
    /\ proposed < MaxWrites
    /\ proposed' = proposed + 1
    /\ logged' = [logged EXCEPT ![Leader] = proposed + 1]
    /\ SendAll([type |-> "PROPOSAL", zxid |-> proposed + 1])
    /\ UNCHANGED <<committed, applied, syncs>>
    /\ UNCHANGED readVars

(* Follower f takes the PROPOSAL at the head of its channel, logs it and   *)
(* acknowledges it (the leader sees the ACK at once).                      *)
LogProposal(f) ==
    /\ chan[f] # <<>>
    /\ Head(chan[f]).type = "PROPOSAL"
    /\ logged' = [logged EXCEPT ![f] = Head(chan[f]).zxid]
    /\ chan' = [chan EXCEPT ![f] = Tail(@)]
    /\ UNCHANGED <<proposed, committed, applied, syncs>>
    /\ UNCHANGED readVars

(* The leader commits the next write once a quorum has logged it, applies *)
(* it, answers its client, and sends COMMIT to all.                        *)
Commit ==
    /\ committed < proposed
    /\ IsQuorum({s \in Server : logged[s] > committed})
    /\ committed' = committed + 1
    /\ applied' = [applied EXCEPT ![Leader] = committed + 1]
    /\ SendAll([type |-> "COMMIT", zxid |-> committed + 1])
    /\ UNCHANGED <<proposed, logged, syncs>>
    /\ UNCHANGED readVars

(* Follower f takes the COMMIT at the head of its channel and applies it. *)
ApplyCommit(f) ==
    /\ chan[f] # <<>>
    /\ Head(chan[f]).type = "COMMIT"
    /\ applied' = [applied EXCEPT ![f] = Head(chan[f]).zxid]
    /\ chan' = [chan EXCEPT ![f] = Tail(@)]
    /\ UNCHANGED <<proposed, logged, committed, syncs>>
    /\ UNCHANGED readVars

-----------------------------------------------------------------------------
(* A client asks follower f for a read in mode m. *)
StartRead(f, m) ==
    /\ stage # "waiting"
    /\ m \in ReadModes
    /\ mode' = m
    /\ server' = f
    /\ stage' = "waiting"
    /\ floor' = committed
    /\ heard' = {}
    /\ target' = 0
    /\ syncs' = IF m = "sync" THEN syncs \cup {f} ELSE syncs
    /\ UNCHANGED <<proposed, logged, committed, applied, chan, result>>

Answer(v) ==
    /\ result' = v
    /\ stage' = "done"

(* "local": the follower answers from its tree. *)
ReadLocal ==
    /\ stage = "waiting" /\ mode = "local"
    /\ Answer(applied[server])
    /\ UNCHANGED <<mode, server, floor, heard, target>>
    /\ UNCHANGED leaderVars

(* "sync": the leader handles a forwarded SYNC by queueing its reply to f. *)
LeaderSync(f) ==
    /\ f \in syncs
    /\ syncs' = syncs \ {f}
    /\ chan' = [chan EXCEPT ![f] = Append(@, [type |-> "SYNC"])]
    /\ UNCHANGED <<proposed, logged, committed, applied>>
    /\ UNCHANGED readVars

(* "sync": follower f takes the SYNC reply at the head of its channel and  *)
(* answers the read waiting on it from its tree.                           *)
ReadAfterSync(f) ==
    /\ chan[f] # <<>>
    /\ Head(chan[f]).type = "SYNC"
    /\ chan' = [chan EXCEPT ![f] = Tail(@)]
    /\ stage = "waiting" /\ mode = "sync" /\ server = f
    /\ Answer(applied[f])
    /\ UNCHANGED <<proposed, logged, committed, applied, syncs>>
    /\ UNCHANGED <<mode, server, floor, heard, target>>

(* "quorum": server s tells the serving follower how far its log goes. *)
TellPosition(s) ==
    /\ stage = "waiting" /\ mode = "quorum"
    /\ s \notin heard
    /\ heard' = heard \cup {s}
    /\ target' = IF logged[s] > target THEN logged[s] ELSE target
    /\ UNCHANGED <<mode, server, stage, floor, result>>
    /\ UNCHANGED leaderVars

(* "quorum": once a read quorum has answered and the follower has applied *)
(* up to the highest position heard, it answers from its tree.            *)
ReadAfterQuorum ==
    /\ stage = "waiting" /\ mode = "quorum"
    /\ \E Q \in ReadQuorum : Q \subseteq heard
    /\ applied[server] >= target
    /\ Answer(applied[server])
    /\ UNCHANGED <<mode, server, floor, heard, target>>
    /\ UNCHANGED leaderVars

Next ==
    \/ Propose
    \/ \E f \in Follower : LogProposal(f)
    \/ Commit
    \/ \E f \in Follower : ApplyCommit(f)
    \/ \E f \in Follower, m \in ReadModes : StartRead(f, m)
    \/ ReadLocal
    \/ \E f \in Follower : LeaderSync(f)
    \/ \E f \in Follower : ReadAfterSync(f)
    \/ \E s \in Server : TellPosition(s)
    \/ ReadAfterQuorum

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Linearizable reads, as far as one register shows it: a finished read    *)
(* saw every write that had completed before the read began.               *)
ReadSeesCompletedWrites == stage = "done" => result >= floor
=============================================================================
