------------------------------ MODULE ZkReads ------------------------------
(***************************************************************************)
(* ZooKeeper's read modes, across a change of leader.                      *)
(*                                                                         *)
(* Writes go through the leader of an epoch, which proposes them in order  *)
(* on a FIFO channel to each of its followers, commits a write once a      *)
(* quorum of servers has logged it in that epoch (the write completes: its *)
(* client gets the reply), and then sends COMMIT on the same channels.  A  *)
(* follower applies a write to its tree when it processes the COMMIT, so   *)
(* its tree may lag the leader's.                                          *)
(*                                                                         *)
(* A quorum of servers may elect a new leader in a later epoch at any      *)
(* time.  The servers outside that quorum are not told: the old leader may *)
(* go on believing it leads (a partition, or a pause), with its tree       *)
(* frozen, while the new leader commits writes it never sees.  The         *)
(* election is one step here -- Zab's discovery and synchronisation, whose *)
(* safety Zab.tla checks: the members of the quorum take the log of the    *)
(* most recent of them (highest epoch, then longest log) and apply all of  *)
(* it.  Servers check the epoch and sender of every message and drop what  *)
(* does not belong to their current epoch and leader.                      *)
(*                                                                         *)
(* A client reads at a server in one of three ways:                        *)
(*   "local"  - the server answers from its own tree at once;              *)
(*   "sync"   - (at a follower) the follower forwards a SYNC to its        *)
(*              leader, which puts the SYNC reply on its FIFO channel to   *)
(*              the follower behind every COMMIT already sent; the         *)
(*              follower answers from its tree when it processes it;       *)
(*   "quorum" - the server asks its leader, which notes how far it has     *)
(*              committed and then confirms that it still leads: a quorum  *)
(*              of servers, itself included, must answer that they are     *)
(*              still in its epoch; the server then answers once its tree  *)
(*              has caught up with what the leader had committed (Raft's   *)
(*              ReadIndex, in Zab's terms).                                *)
(* Writes are known by an id, 1, 2, ...; a tree is the set of writes       *)
(* applied to it, a prefix of its server's log.                            *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Leader,      \* the leader of epoch 1
    Follower,    \* the other servers
    MaxWrites,   \* the writes clients submit, over all epochs
    MaxEpoch,    \* epochs 1..MaxEpoch: MaxEpoch - 1 elections at most
    ReadModes,   \* the read modes clients may use
    ReadServers, \* the servers clients read at
    ReadQuorum   \* the sets of servers whose answers confirm a leader for a "quorum" read

Server == {Leader} \cup Follower

ASSUME /\ Leader \notin Follower
       /\ MaxWrites \in Nat
       /\ MaxEpoch \in Nat \ {0}
       /\ ReadModes \subseteq {"local", "sync", "quorum"}
       /\ ReadServers \subseteq Server
       /\ ReadQuorum \subseteq SUBSET Server

IsQuorum(S) == 2 * Cardinality(S) > Cardinality(Server)
Quorum == {Q \in SUBSET Server : IsQuorum(Q)}

Write == 1..MaxWrites
Epoch == 1..MaxEpoch
Index == 0..MaxWrites   \* a position in a log

VARIABLES
    epoch,      \* epoch[s]: the epoch server s is in
    leader,     \* leader[s]: the server s follows in that epoch (itself if it leads)
    followers,  \* followers[l]: the followers leader l synced in its epoch
    log,        \* log[s]: the writes server s has logged, in order
    applied,    \* applied[s]: how much of log[s] is applied to s's tree
    ackIndex,   \* ackIndex[l][s]: how far s has acknowledged l's log
    chan,       \* chan[<<l, f>>]: the FIFO channel from leader l to follower f
    nextWrite,  \* the id of the next write a client submits
    completed,  \* the writes whose client has been answered
    mode,       \* the current read's mode, or "none" before the first read
    server,     \* the server serving the current read
    stage,      \* "idle", "forwarded" (to the leader), "waiting" or "done"
    readEpoch,  \* the epoch of the server when the read began
    floor,      \* the writes the read must see (see LinearizableReads)
    heard,      \* for a quorum read: the servers that confirmed the leader
    target,     \* for a quorum read: how far the leader had committed
    result      \* the tree the read returned (empty until it has)

vars == <<epoch, leader, followers, log, applied, ackIndex, chan,
          nextWrite, completed,
          mode, server, stage, readEpoch, floor, heard, target, result>>
serverVars == <<epoch, leader, followers, log, applied, ackIndex, chan>>
writeVars == <<nextWrite, completed>>
readVars == <<mode, server, stage, readEpoch, floor, heard, target, result>>

Msg ==
    [type : {"PROPOSAL"}, epoch : Epoch, write : Write] \cup
    [type : {"COMMIT"}, epoch : Epoch, index : Index] \cup
    [type : {"SYNC"}, epoch : Epoch]

TypeOK ==
    /\ epoch \in [Server -> Epoch]
    /\ leader \in [Server -> Server]
    /\ followers \in [Server -> SUBSET Server]
    /\ log \in [Server -> Seq(Write)]
    /\ applied \in [Server -> Index]
    /\ ackIndex \in [Server -> [Server -> Index]]
    /\ chan \in [Server \X Server -> Seq(Msg)]
    /\ nextWrite \in 1..MaxWrites + 1
    /\ completed \subseteq Write
    /\ mode \in ReadModes \cup {"none"}
    /\ server \in Server
    /\ stage \in {"idle", "forwarded", "waiting", "done"}
    /\ readEpoch \in Epoch
    /\ floor \subseteq Write
    /\ heard \subseteq Server
    /\ target \in Index
    /\ result \subseteq Write

Init ==
    /\ epoch = [s \in Server |-> 1]
    /\ leader = [s \in Server |-> Leader]
    /\ followers = [s \in Server |-> IF s = Leader THEN Follower ELSE {}]
    /\ log = [s \in Server |-> <<>>]
    /\ applied = [s \in Server |-> 0]
    /\ ackIndex = [l \in Server |-> [s \in Server |-> 0]]
    /\ chan = [p \in Server \X Server |-> <<>>]
    /\ nextWrite = 1
    /\ completed = {}
    /\ mode = "none"
    /\ server = Leader          \* (no read yet)
    /\ stage = "idle"
    /\ readEpoch = 1
    /\ floor = {}
    /\ heard = {}
    /\ target = 0
    /\ result = {}

Leads(l) == leader[l] = l

Tree(s) == {log[s][i] : i \in 1..applied[s]}

(* Leader l sends m to each of its followers. *)
SendToFollowers(l, m) ==
    chan' = [p \in Server \X Server |->
                IF p[1] = l /\ p[2] \in followers[l]
                THEN Append(chan[p], m) ELSE chan[p]]

(* The message at the head of the channel from l to f, when f takes it as  *)
(* one of its current leader's in its current epoch.                       *)
Receives(l, f, type) ==
    /\ chan[<<l, f>>] # <<>>
    /\ Head(chan[<<l, f>>]).type = type
    /\ Head(chan[<<l, f>>]).epoch = epoch[f]
    /\ leader[f] = l
    /\ f # l

Pop(l, f) == chan' = [chan EXCEPT ![<<l, f>>] = Tail(@)]

-----------------------------------------------------------------------------
(* A leader takes the next write from a client, logs it and sends          *)
(* PROPOSAL to its followers.                                              *)
Propose(l) ==
    /\ Leads(l)
    /\ nextWrite <= MaxWrites
    /\ log' = [log EXCEPT ![l] = Append(@, nextWrite)]
    /\ SendToFollowers(l, [type |-> "PROPOSAL", epoch |-> epoch[l], write |-> nextWrite])
    /\ nextWrite' = nextWrite + 1
    /\ UNCHANGED <<epoch, leader, followers, applied, ackIndex, completed>>
    /\ UNCHANGED readVars

(* Follower f logs the PROPOSAL at the head of its channel from leader l   *)
(* and acknowledges it (the leader sees the ACK at once).                  *)
LogProposal(l, f) ==
    /\ Receives(l, f, "PROPOSAL")
    /\ log' = [log EXCEPT ![f] = Append(@, Head(chan[<<l, f>>]).write)]
    /\ ackIndex' = [ackIndex EXCEPT ![l][f] = Len(log[f]) + 1]
    /\ Pop(l, f)
    /\ UNCHANGED <<epoch, leader, followers, applied>>
    /\ UNCHANGED writeVars
    /\ UNCHANGED readVars

(* A leader commits its next write once a quorum of servers (itself        *)
(* included) has acknowledged it in its epoch: it applies it, answers its  *)
(* client and sends COMMIT to its followers.                               *)
Commit(l) ==
    LET k == applied[l] + 1
    IN  /\ Leads(l)
        /\ k <= Len(log[l])
        /\ IsQuorum({l} \cup {f \in followers[l] : ackIndex[l][f] >= k})
        /\ applied' = [applied EXCEPT ![l] = k]
        /\ completed' = completed \cup {log[l][k]}
        /\ SendToFollowers(l, [type |-> "COMMIT", epoch |-> epoch[l], index |-> k])
        /\ UNCHANGED <<epoch, leader, followers, log, ackIndex, nextWrite>>
        /\ UNCHANGED readVars

(* Follower f takes the COMMIT at the head of its channel and applies the  *)
(* writes up to it.                                                        *)
ApplyCommit(l, f) ==
    /\ Receives(l, f, "COMMIT")
    /\ applied' = [applied EXCEPT ![f] = Head(chan[<<l, f>>]).index]
    /\ Pop(l, f)
    /\ UNCHANGED <<epoch, leader, followers, log, ackIndex>>
    /\ UNCHANGED writeVars
    /\ UNCHANGED readVars

(* Server f drops the message at the head of the channel from l: it is of  *)
(* another epoch, or l is not the leader f follows now.                    *)
Discard(l, f) ==
    /\ chan[<<l, f>>] # <<>>
    /\ \/ Head(chan[<<l, f>>]).epoch # epoch[f]
       \/ leader[f] # l
    /\ Pop(l, f)
    /\ UNCHANGED <<epoch, leader, followers, log, applied, ackIndex>>
    /\ UNCHANGED writeVars
    /\ UNCHANGED readVars

(* q's log is at least as recent as p's: a higher epoch, or the same       *)
(* epoch and at least as long a log (the logs of one epoch are prefixes    *)
(* of its leader's).                                                       *)
AtLeastAsRecent(q, p) ==
    \/ epoch[q] > epoch[p]
    \/ epoch[q] = epoch[p] /\ Len(log[q]) >= Len(log[p])

(* Quorum Q elects n in the epoch after the highest of theirs.  Every      *)
(* member takes the epoch, n as its leader, and the log of the most        *)
(* recent member, and applies all of it (n commits it as it establishes    *)
(* itself).  Servers outside Q are not told.                               *)
Elect(n, Q) ==
    LET new == 1 + epoch[CHOOSE q \in Q : \A p \in Q : epoch[q] >= epoch[p]]
        best == log[CHOOSE q \in Q : \A p \in Q : AtLeastAsRecent(q, p)]
    IN  /\ n \in Q
        /\ new <= MaxEpoch
        /\ epoch' = [s \in Server |-> IF s \in Q THEN new ELSE epoch[s]]
        /\ leader' = [s \in Server |-> IF s \in Q THEN n ELSE leader[s]]
        /\ log' = [s \in Server |-> IF s \in Q THEN best ELSE log[s]]
        /\ applied' = [s \in Server |-> IF s \in Q THEN Len(best) ELSE applied[s]]
        /\ followers' = [followers EXCEPT ![n] = Q \ {n}]
        /\ ackIndex' = [ackIndex EXCEPT ![n] =
                           [s \in Server |-> IF s \in Q THEN Len(best) ELSE 0]]
        /\ UNCHANGED chan
        /\ UNCHANGED writeVars
        /\ UNCHANGED readVars

-----------------------------------------------------------------------------
(* A client asks server s for a read in mode m.  One read at a time: the   *)
(* next begins once this one has finished.                                 *)
StartRead(s, m) ==
    /\ stage \in {"idle", "done"}
    /\ s \in ReadServers
    /\ m \in ReadModes
    /\ m = "sync" => ~Leads(s)
    /\ mode' = m
    /\ server' = s
    /\ stage' = IF m = "local" THEN "waiting" ELSE "forwarded"
    /\ readEpoch' = epoch[s]
    /\ floor' = completed \cup result
    /\ heard' = {}
    /\ target' = 0
    /\ result' = {}
    /\ UNCHANGED serverVars
    /\ UNCHANGED writeVars

(* Server s answers the read from its tree.  What only the read's wait    *)
(* needed is cleared.                                                      *)
Answer(s) ==
    /\ result' = Tree(s)
    /\ stage' = "done"
    /\ heard' = {}
    /\ target' = 0
    /\ UNCHANGED <<mode, server, readEpoch, floor>>
    /\ UNCHANGED serverVars
    /\ UNCHANGED writeVars

(* "local": the server answers from its tree. *)
ReadLocal ==
    /\ stage = "waiting" /\ mode = "local"
    /\ Answer(server)

(* "sync": leader l handles the SYNC its follower forwarded in l's epoch   *)
(* by queueing the reply behind everything it has sent the follower.       *)
LeaderSync(l) ==
    /\ stage = "forwarded" /\ mode = "sync"
    /\ Leads(l) /\ epoch[l] = readEpoch
    /\ chan' = [chan EXCEPT ![<<l, server>>] = Append(@, [type |-> "SYNC", epoch |-> readEpoch])]
    /\ stage' = "waiting"
    /\ UNCHANGED <<epoch, leader, followers, log, applied, ackIndex>>
    /\ UNCHANGED writeVars
    /\ UNCHANGED <<mode, server, readEpoch, floor, heard, target, result>>

(* "sync": follower f takes the SYNC reply at the head of its channel and  *)
(* answers the read waiting on it from its tree.                           *)
ReadAfterSync(l, f) ==
    /\ Receives(l, f, "SYNC")
    /\ stage = "waiting" /\ mode = "sync" /\ server = f
    /\ result' = Tree(f)
    /\ stage' = "done"
    /\ Pop(l, f)
    /\ UNCHANGED <<epoch, leader, followers, log, applied, ackIndex>>
    /\ UNCHANGED writeVars
    /\ UNCHANGED <<mode, server, readEpoch, floor, heard, target>>

(* "quorum": leader l gets the read (its own, or forwarded by a follower   *)
(* in its epoch), notes how far it has committed, and asks its followers   *)
(* to confirm that it still leads.                                         *)
ReadIndex(l) ==
    /\ stage = "forwarded" /\ mode = "quorum"
    /\ Leads(l) /\ epoch[l] = readEpoch
    /\ target' = applied[l]
    /\ stage' = "waiting"
    /\ UNCHANGED <<mode, server, readEpoch, floor, heard, result>>
    /\ UNCHANGED serverVars
    /\ UNCHANGED writeVars

(* "quorum": server s confirms the leader of the read's epoch: it is still *)
(* in that epoch when the request reaches it.                              *)
Confirm(s) ==
    /\ stage = "waiting" /\ mode = "quorum"
    /\ s \notin heard
    /\ epoch[s] = readEpoch
    /\ heard' = heard \cup {s}
    /\ UNCHANGED <<mode, server, stage, readEpoch, floor, target, result>>
    /\ UNCHANGED serverVars
    /\ UNCHANGED writeVars

(* "quorum": once a read quorum has confirmed the leader and the server    *)
(* has applied as far as the leader had committed, it answers.             *)
ReadAfterQuorum ==
    /\ stage = "waiting" /\ mode = "quorum"
    /\ \E Q \in ReadQuorum : Q \subseteq heard
    /\ applied[server] >= target
    /\ Answer(server)

Next ==
    \/ \E l \in Server : Propose(l)
    \/ \E l, f \in Server : LogProposal(l, f)
    \/ \E l \in Server : Commit(l)
    \/ \E l, f \in Server : ApplyCommit(l, f)
    \/ \E l, f \in Server : Discard(l, f)
    \/ \E n \in Server, Q \in Quorum : Elect(n, Q)
    \/ \E s \in Server, m \in ReadModes : StartRead(s, m)
    \/ ReadLocal
    \/ \E l \in Server : LeaderSync(l)
    \/ \E l, f \in Server : ReadAfterSync(l, f)
    \/ \E l \in Server : ReadIndex(l)
    \/ \E s \in Server : Confirm(s)
    \/ ReadAfterQuorum

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Linearizable reads.  Trees are prefixes of the one order in which       *)
(* writes are committed (Zab's guarantee, checked in Zab.tla), and a read  *)
(* returns only writes committed before it answers.  Such reads can each   *)
(* be placed at one point between their start and their answer, in an      *)
(* order that agrees with the writes, exactly when every read returned     *)
(* each write that completed before it began and each write an earlier     *)
(* read returned.  A read's floor is both: the completed writes and the    *)
(* last read's result when it began (as long as every read so far has      *)
(* satisfied this, each result contains all earlier ones).                 *)
LinearizableReads == stage = "done" => floor \subseteq result
=============================================================================
