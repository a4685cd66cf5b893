--------------------------------- MODULE Zab ---------------------------------
(***************************************************************************)
(* Zab as ZooKeeper runs it: fast leader election (FastLeaderElection.tla) *)
(* followed by discovery, synchronization and broadcast, with a log that   *)
(* is written first and made durable later, snapshots that trim the log,   *)
(* crashes, restarts, broken connections and observers.                    *)
(*                                                                         *)
(* Every action is one step of one server: receive one message and react   *)
(* to it, take a client request, commit, make written entries durable,     *)
(* take a snapshot, give up, crash or restart. Its arguments are what that *)
(* server can log (itself, the peer, the message at the head of the peer's *)
(* connection), and it changes only that server's variables, the channels  *)
(* of its own connections and the bookkeeping variables. The network's own *)
(* steps are DropConnection and FLEDropNotification. Action names are the  *)
(* names of the trace events an implementation emits.                      *)
(*                                                                         *)
(* The log. log[i] is every transaction i holds, in order: its snapshot    *)
(* (log[i][1..snapshotLen[i]], no longer in its log files, so not          *)
(* available to DIFF), then its log files. Appending writes an entry;      *)
(* FlushLog, a step of its own, makes written entries durable              *)
(* (log[i][1..durableLen[i]] is on disk). A crash keeps only what is       *)
(* durable. An ACK of a proposal is sent, and the leader counts its own    *)
(* ack, only once the proposal is durable; an ACK of NEWLEADER only once   *)
(* everything written is durable; currentEpoch (a durable file) is         *)
(* written then, just before that ACK. A follower acknowledges no proposal *)
(* before its ACK of NEWLEADER: those made durable during its              *)
(* synchronization follow that ACK (ZOOKEEPER-4685). acceptedEpoch         *)
(* is a durable file written when a LEADERINFO is accepted. A server       *)
(* leaves its role only once its log writer has drained (everything        *)
(* written is durable), as ZooKeeper shuts its sync processor down before  *)
(* it reloads its database.                                                *)
(*                                                                         *)
(* Phases of a leader L (state LEADING):                                   *)
(*   DISCOVERY       collect FOLLOWERINFO (each learner's accepted epoch); *)
(*                   once a quorum of voters (L included) has connected    *)
(*                   the new epoch is fixed above every accepted epoch     *)
(*                   seen, L accepts it and sends LEADERINFO; then collect *)
(*                   ACKEPOCH. A voter ahead of L (later current epoch, or *)
(*                   same epoch and later zxid) is disconnected.           *)
(*   SYNCHRONIZATION a quorum acknowledged the new epoch: L takes it as    *)
(*                   its current epoch and sends each acknowledged learner *)
(*                   DIFF, TRUNC or SNAP, chosen from the learner's last   *)
(*                   zxid and L's log, then the transactions it lacks as   *)
(*                   PROPOSAL packets (with COMMIT for those L knows are   *)
(*                   committed), then NEWLEADER; collect the ACKs of       *)
(*                   NEWLEADER.                                            *)
(*   BROADCAST       a quorum acknowledged NEWLEADER: L is established,    *)
(*                   its whole log is committed, UPTODATE (with its commit *)
(*                   point) goes to every learner that acknowledged.       *)
(*                   Client requests become PROPOSALs, each acknowledged   *)
(*                   on its own; a transaction is committed, in log order, *)
(*                   once a quorum of voters acknowledged it, and COMMIT   *)
(*                   (followers) or INFORM (observers) is sent. Learners   *)
(*                   that connect later go through the same steps.         *)
(* Phases of a learner (FOLLOWING or OBSERVING):                           *)
(*   DISCOVERY       connect to the leader, send FOLLOWERINFO, wait for    *)
(*                   LEADERINFO. A new epoch is accepted and acknowledged  *)
(*                   with the current epoch and last zxid; the epoch       *)
(*                   already accepted is acknowledged with current epoch   *)
(*                   -1 (it does not count towards the leader's quorum);   *)
(*                   an older one makes the learner look again.            *)
(*   SYNCHRONIZATION AWAIT_SYNC: DIFF, TRUNC (cut the log back) or SNAP    *)
(*                   (install the leader's snapshot). SYNCING: write each  *)
(*                   PROPOSAL, deliver up to each COMMIT, until NEWLEADER. *)
(*                   NEWLEADER_RECEIVED: once the log is durable, write    *)
(*                   currentEpoch and ACK. AWAIT_UPTODATE: on UPTODATE     *)
(*                   deliver up to the leader's commit point.              *)
(*   BROADCAST       write each PROPOSAL (ACK when durable), deliver up to *)
(*                   each COMMIT; observers log and deliver each INFORM.   *)
(*                                                                         *)
(* The network. Zab messages travel on connections, one FIFO channel each  *)
(* way (msgs); a learner opens the connection to its leader. A server that *)
(* goes back to LOOKING, or crashes, closes all its connections: what      *)
(* they carried is gone, and the other end, which still has it open, finds *)
(* it broken and closes its end (ConnectionClosed) before the two can      *)
(* connect again; nothing sent on a connection is received on a later      *)
(* one. Notifications travel on their own FIFO channels (electionMsgs), as *)
(* on ZooKeeper's election port; a crash or a restart empties the          *)
(* server's.                                                               *)
(* Timeouts are free choices: a learner or a leader may give up at any     *)
(* time.                                                                   *)
(*                                                                         *)
(* The operators MoreRecent (FastLeaderElection.tla), CommitQuorumAcked,   *)
(* FirstEpochToPropose, LogEntryFor, SyncedTxnsDurable, EpochOnNewLeader,  *)
(* DrainedBeforeLeaving, SyncPlan, ForwardingAfterSync and                 *)
(* CommittedAfterRestart are the checks and choices the safety of the      *)
(* protocol rests on; MCZab.tla overrides them to check broken variants.   *)
(***************************************************************************)
EXTENDS FastLeaderElection

CONSTANT Value   \* client request payloads

VARIABLES
    \* every server: its log (log, currentEpoch: FastLeaderElection.tla)
    durableLen,      \* durableLen[i]: log[i][1..durableLen[i]] is durable
    snapshotLen,     \* snapshotLen[i]: log[i][1..snapshotLen[i]] is i's snapshot
    acceptedEpoch,   \* acceptedEpoch[i]: the last epoch i accepted (a durable file)
    \* every server: volatile
    zabState,        \* zabState[i]: ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST, DOWN
    syncStage,       \* syncStage[i]: a learner's progress through synchronization
    syncMode,        \* syncMode[i]: how i was last synchronized: DIFF, TRUNC, SNAP
    lastCommitted,   \* lastCommitted[i]: log[i][1..lastCommitted[i]] is delivered
    \* volatile, a leader's view of its learners
    learners,        \* learners[i]: connected learners whose FOLLOWERINFO i received
    connectingFollowers, \* connectingFollowers[i]: learners counted for the new epoch
    leaderEpoch,     \* leaderEpoch[i]: the epoch i is establishing or leads
    epochAcks,       \* epochAcks[i]: learner -> [currentEpoch, zxid] of its ACKEPOCH
    forwarding,      \* forwarding[i]: learners sent their sync; they get new proposals
    newLeaderAcks,   \* newLeaderAcks[i]: learners whose ACK of NEWLEADER i received
    proposalAcks,    \* proposalAcks[i]: zxid of an uncommitted proposal -> voters that acked
    \* the network
    msgs,            \* msgs[i][j]: Zab messages from i to j on their connection, FIFO
    conn,            \* conn[i][j]: i's end of its connection with j: CLOSED, OPEN, BROKEN
    \* bookkeeping for the invariants and the model bounds (never traced)
    proposedTxns,    \* every transaction a leader ever proposed
    committedTxns,   \* the transactions committed, in the order they were committed
    deliveredTxns,   \* deliveredTxns[i]: what i has delivered, in order; never shrinks
    epochLeaders,    \* <<epoch, leader>> of every leader that began synchronizing
    counters         \* counts of requests, crashes, restarts, timeouts, resends, lost
                     \* notifications, broken connections, snapshots

logVars == <<log, durableLen, snapshotLen>>
epochVars == <<currentEpoch, acceptedEpoch>>
roleVars == <<zabState, syncStage, syncMode, lastCommitted>>
leaderVars == <<learners, connectingFollowers, leaderEpoch, epochAcks, forwarding,
                newLeaderAcks, proposalAcks>>
netVars == <<msgs, conn>>
ghostVars == <<proposedTxns, committedTxns, deliveredTxns, epochLeaders, counters>>
vars == <<electionVars, logVars, epochVars, roleVars, leaderVars, netVars, ghostVars>>

ELECTION        == "ELECTION"
DISCOVERY       == "DISCOVERY"
SYNCHRONIZATION == "SYNCHRONIZATION"
BROADCAST       == "BROADCAST"
DOWN            == "DOWN"   \* crashed, not restarted yet

NONE               == "NONE"
AWAIT_SYNC         == "AWAIT_SYNC"
SYNCING            == "SYNCING"
NEWLEADER_RECEIVED == "NEWLEADER_RECEIVED"
AWAIT_UPTODATE     == "AWAIT_UPTODATE"

DIFF  == "DIFF"
TRUNC == "TRUNC"
SNAP  == "SNAP"

CLOSED == "CLOSED"
OPEN   == "OPEN"
BROKEN == "BROKEN"

-----------------------------------------------------------------------------
(* Helpers                                                                 *)

Max(a, b) == IF a >= b THEN a ELSE b
Min(a, b) == IF a <= b THEN a ELSE b
Range(s) == {s[k] : k \in DOMAIN s}
Remove(f, k) == [x \in DOMAIN f \ {k} |-> f[x]]

\* Position of zxid z in log h, 0 when absent.
IndexOfZxid(h, z) ==
    IF \E k \in 1..Len(h) : h[k].zxid = z THEN CHOOSE k \in 1..Len(h) : h[k].zxid = z ELSE 0

\* The prefix of log h up to and including zxid z (logs are zxid-ordered).
TruncateTo(h, z) == SubSeq(h, 1, Cardinality({k \in 1..Len(h) : ~ZxidLT(z, h[k].zxid)}))

DurableLog(i) == SubSeq(log[i], 1, durableLen[i])
Drained(i) == durableLen[i] = Len(log[i])

CommittedZxid(i) == IF lastCommitted[i] = 0 THEN ZeroZxid ELSE log[i][lastCommitted[i]].zxid

LeaderOf(i) == currentVote[i].leader
IsLearner(i) == state[i] \in {FOLLOWING, OBSERVING}

\* A learner that has been sent its synchronization and is receiving the
\* leader's stream (PROPOSAL, COMMIT, INFORM).
InStream(i) ==
    \/ syncStage[i] \in {SYNCING, NEWLEADER_RECEIVED, AWAIT_UPTODATE}
    \/ zabState[i] = BROADCAST

\* Follower i has acknowledged its leader's NEWLEADER: from then on it
\* acknowledges each proposal as it becomes durable.
NewLeaderAcked(i) == syncStage[i] = AWAIT_UPTODATE \/ zabState[i] = BROADCAST

\* The txns of s that are not in seq, in the order of s.
NotIn(s, seq) == SelectSeq(s, LAMBDA t : t \notin Range(seq))

\* Bookkeeping: i's delivered prefix becomes lg[1..k]; what it had not
\* delivered before is added to its delivered history.
Deliver(i, lg, k) ==
    deliveredTxns' = [deliveredTxns EXCEPT ![i] = @ \o NotIn(SubSeq(lg, 1, k), @)]

\* Bookkeeping: the transactions of s not committed before are now.
CommitAll(s) == committedTxns' = committedTxns \o NotIn(s, committedTxns)

-----------------------------------------------------------------------------
(* The checks and choices safety rests on (MCZab.tla breaks them)          *)

\* Leader i may commit its proposal z: a quorum of voters (i included) made
\* it durable and acknowledged it.
CommitQuorumAcked(i, z) == IsQuorum(proposalAcks[i][z])

\* The epoch a new leader i proposes before any learner has connected: the
\* one after the epoch it accepted last; learners' FOLLOWERINFO can only
\* raise it. Being above i's own accepted epoch, not only its learners',
\* keeps i from proposing an epoch it already acknowledged to another
\* leader, or one older than the transactions in its own log.
FirstEpochToPropose(i) == acceptedEpoch[i] + 1

\* The entry learner i appends to its log for a transaction t its leader
\* sent (PROPOSAL, INFORM): t itself, under the zxid the leader gave it.
LogEntryFor(i, t) == t

\* Learner i may acknowledge NEWLEADER: everything it has written, the
\* transactions of its synchronization included, is durable.
SyncedTxnsDurable(i) == Drained(i)

\* i's currentEpoch on receiving NEWLEADER of epoch e: unchanged; it is
\* written only with the ACK, once the synced transactions are durable.
EpochOnNewLeader(i, e) == currentEpoch[i]

\* A learner gives up its leader only once its log writer has drained.
DrainedBeforeLeaving(i) == Drained(i)

\* How a leader with log h, of which s entries are in its snapshot,
\* synchronizes a learner whose last zxid is z, as ZooKeeper's
\* LearnerHandler chooses:
\*  - DIFF when z is in h at or after the snapshot (or both are empty): the
\*    transactions after z;
\*  - TRUNC when z is past the last zxid of h: back to that zxid;
\*  - TRUNC when z is not in h but the last zxid of h below z is at or after
\*    the snapshot: back to that zxid, then what follows it;
\*  - SNAP otherwise (the learner is behind the snapshot): the snapshot,
\*    then what follows it.
\* `from`: the transactions streamed after the marker are h[from+1..].
SyncPlanFor(h, s, z) ==
    LET k     == IndexOfZxid(h, z)
        below == Cardinality({x \in 1..Len(h) : ZxidLT(h[x].zxid, z)})
    IN IF z = LastZxid(h) THEN [mode |-> DIFF, from |-> Len(h)]
       ELSE IF ZxidLT(LastZxid(h), z) THEN [mode |-> TRUNC, to |-> LastZxid(h), from |-> Len(h)]
       ELSE IF k > 0 /\ k >= s THEN [mode |-> DIFF, from |-> k]
       ELSE IF z = ZeroZxid /\ s = 0 THEN [mode |-> DIFF, from |-> 0]
       ELSE IF k = 0 /\ z # ZeroZxid /\ below >= s
            THEN [mode |-> TRUNC, to |-> IF below = 0 THEN ZeroZxid ELSE h[below].zxid, from |-> below]
       ELSE [mode |-> SNAP, from |-> s]

\* How leader i synchronizes a learner whose last zxid is z.
SyncPlan(i, z) == SyncPlanFor(log[i], snapshotLen[i], z)

\* The learners that get leader i's new proposals once the syncs of
\* `synced` are queued: from then on, so that none is missed.
ForwardingAfterSync(i, synced) == forwarding[i] \cup synced

\* What a restarted server has delivered: its snapshot (the log files after
\* it may hold transactions that were never committed).
CommittedAfterRestart(i) == snapshotLen[i]

-----------------------------------------------------------------------------
(* Messages                                                                *)

FollowerInfoMsg(e)    == [mtype |-> "FOLLOWERINFO", mepoch |-> e]
LeaderInfoMsg(e)      == [mtype |-> "LEADERINFO", mepoch |-> e]
AckEpochMsg(e, ce, z) == [mtype |-> "ACKEPOCH", mepoch |-> e, mcurrentEpoch |-> ce, mzxid |-> z]
DiffMsg(z)            == [mtype |-> "DIFF", mzxid |-> z]
TruncMsg(z)           == [mtype |-> "TRUNC", mzxid |-> z]
SnapMsg(s)            == [mtype |-> "SNAP", msnapshot |-> s]
ProposalMsg(t)        == [mtype |-> "PROPOSAL", mtxn |-> t]
CommitMsg(z)          == [mtype |-> "COMMIT", mzxid |-> z]
NewLeaderMsg(e)       == [mtype |-> "NEWLEADER", mepoch |-> e]
AckMsg(z)             == [mtype |-> "ACK", mzxid |-> z]
UpToDateMsg(z)        == [mtype |-> "UPTODATE", mzxid |-> z]
InformMsg(t)          == [mtype |-> "INFORM", mtxn |-> t]

\* The ACK of NEWLEADER of epoch e carries zxid (e, 0), as in ZooKeeper;
\* a proposal's zxid has a counter of 1 or more.
NewLeaderZxid(e) == <<e, 0>>
IsNewLeaderAck(m) == m.mzxid[2] = 0

\* The ACKs follower i owes for log[i][from..to]: one per proposal of the
\* epoch it accepted (its leader's) that it has not delivered, in log order.
\* (A proposal already committed needs no ACK.)
AcksFor(i, from, to) ==
    LET s    == SubSeq(log[i], Max(from, lastCommitted[i] + 1), to)
        ours == SelectSeq(s, LAMBDA t : t.zxid[1] = acceptedEpoch[i])
    IN [x \in 1..Len(ours) |-> AckMsg(ours[x].zxid)]

\* What leader i sends a learner whose last zxid is z, after the ACKEPOCH:
\* the marker (SNAP carries L's committed state, as ZooKeeper serializes
\* its database), a COMMIT of the last transaction the learner then holds
\* that L knows committed (so that it delivers what it held already), the
\* stream, NEWLEADER.
SyncMessages(i, z) ==
    LET p      == SyncPlan(i, z)
        h      == log[i]
        from   == IF p.mode = SNAP THEN lastCommitted[i] ELSE p.from
        marker == CASE p.mode = DIFF  -> DiffMsg(LastZxid(h))
                    [] p.mode = TRUNC -> TruncMsg(p.to)
                    [] p.mode = SNAP  -> SnapMsg(SubSeq(h, 1, from))
        held   == Min(from, lastCommitted[i])
        commit == IF held > 0 THEN <<CommitMsg(h[held].zxid)>> ELSE <<>>
        n      == Len(h) - from
        \* PROPOSAL of h[from + x], and its COMMIT when i knows it committed
        pair(x) == IF from + x <= lastCommitted[i]
                   THEN <<ProposalMsg(h[from + x]), CommitMsg(h[from + x].zxid)>>
                   ELSE <<ProposalMsg(h[from + x])>>
        stream[x \in 0..n] == IF x = 0 THEN <<>> ELSE stream[x - 1] \o pair(x)
    IN <<marker>> \o commit \o stream[n] \o <<NewLeaderMsg(leaderEpoch[i])>>

\* The connection between i and j is open at both ends.
IsOpen(i, j) == conn[i][j] = OPEN /\ conn[j][i] = OPEN

\* i sends on its connection to j; a message into a connection that the
\* other end has closed is lost.
Send(net, i, j, m) == IF IsOpen(i, j) THEN [net EXCEPT ![i][j] = Append(@, m)] ELSE net
SendSeq(net, i, j, ms) == IF IsOpen(i, j) THEN [net EXCEPT ![i][j] = @ \o ms] ELSE net
SendAll(net, i, to, m) ==
    [net EXCEPT ![i] = [k \in Server |->
        IF k \in to /\ IsOpen(i, k) THEN Append(net[i][k], m) ELSE net[i][k]]]

\* msgs without the next message from j to i (i has received it)
Consume(j, i) == [msgs EXCEPT ![j][i] = Tail(@)]
HeadIs(j, i, type) == msgs[j][i] # <<>> /\ Head(msgs[j][i]).mtype = type

\* i closes every connection it has: what they carry is lost, and the other
\* ends, still open, are broken.
ClosedNet(i) == [a \in Server |-> [b \in Server |-> IF a = i \/ b = i THEN <<>> ELSE msgs[a][b]]]
ClosedConn(i) ==
    [a \in Server |-> [b \in Server |->
        IF a = i THEN CLOSED
        ELSE IF b = i /\ conn[a][b] = OPEN THEN BROKEN
        ELSE conn[a][b]]]

-----------------------------------------------------------------------------
(* Shared pieces of actions                                                *)

\* i is no longer anybody's leader.
ResetLeaderState(i) ==
    /\ learners' = [learners EXCEPT ![i] = {}]
    /\ connectingFollowers' = [connectingFollowers EXCEPT ![i] = {}]
    /\ leaderEpoch' = [leaderEpoch EXCEPT ![i] = 0]
    /\ epochAcks' = [epochAcks EXCEPT ![i] = EmptyFn]
    /\ forwarding' = [forwarding EXCEPT ![i] = {}]
    /\ newLeaderAcks' = [newLeaderAcks EXCEPT ![i] = {}]
    /\ proposalAcks' = [proposalAcks EXCEPT ![i] = EmptyFn]

\* i gives up its role (or its wait for one), closes its connections and
\* starts a new election round. Its log, epochs and delivered prefix stay.
GoLooking(i) ==
    /\ StartRound(i, logicalClock[i] + 1, electionMsgs)
    /\ zabState' = [zabState EXCEPT ![i] = ELECTION]
    /\ syncStage' = [syncStage EXCEPT ![i] = NONE]
    /\ syncMode' = [syncMode EXCEPT ![i] = NONE]
    /\ ResetLeaderState(i)
    /\ msgs' = ClosedNet(i)
    /\ conn' = ClosedConn(i)
    /\ UNCHANGED <<logVars, epochVars, lastCommitted, proposedTxns, committedTxns,
                   deliveredTxns, epochLeaders>>

-----------------------------------------------------------------------------
(* Election, as seen from Zab                                              *)

Up(i) == zabState[i] # DOWN

FLEReceiveNotification(i, j) ==
    /\ Up(i)
    /\ ReceiveNotificationStep(i, j)
    /\ UNCHANGED <<logVars, epochVars, roleVars, leaderVars, netVars, ghostVars>>

\* i settles. A new leader starts discovery, proposing the epoch after the
\* one it accepted; a new learner will connect to its leader.
FLEDecide(i) ==
    /\ Up(i)
    /\ DecideStep(i)
    /\ zabState' = [zabState EXCEPT ![i] = DISCOVERY]
    /\ leaderEpoch' = IF state'[i] = LEADING
                      THEN [leaderEpoch EXCEPT ![i] = FirstEpochToPropose(i)]
                      ELSE leaderEpoch
    /\ UNCHANGED <<logVars, epochVars, syncStage, syncMode, lastCommitted, learners,
                   connectingFollowers, epochAcks, forwarding, newLeaderAcks, proposalAcks,
                   netVars, ghostVars>>

FLENotificationTimeout(i) ==
    /\ Up(i)
    /\ NotificationTimeoutStep(i)
    /\ counters' = [counters EXCEPT !.resend = @ + 1]
    /\ UNCHANGED <<logVars, epochVars, roleVars, leaderVars, netVars, proposedTxns,
                   committedTxns, deliveredTxns, epochLeaders>>

FLEDropNotification(i, j) ==
    /\ DropNotificationStep(i, j)
    /\ counters' = [counters EXCEPT !.loss = @ + 1]
    /\ UNCHANGED <<logVars, epochVars, roleVars, leaderVars, netVars, proposedTxns,
                   committedTxns, deliveredTxns, epochLeaders>>

-----------------------------------------------------------------------------
(* Connections                                                             *)

\* Learner i's connection to its leader j is accepted (once j has closed
\* its end of any earlier connection with i), and i sends FOLLOWERINFO with
\* the epoch it accepted last.
LearnerConnect(i, j) ==
    /\ IsLearner(i)
    /\ zabState[i] = DISCOVERY
    /\ j = LeaderOf(i)
    /\ conn[i][j] = CLOSED
    /\ conn[j][i] = CLOSED
    /\ conn' = [conn EXCEPT ![i][j] = OPEN, ![j][i] = OPEN]
    /\ msgs' = [msgs EXCEPT ![i][j] = <<FollowerInfoMsg(acceptedEpoch[i])>>]
    /\ UNCHANGED <<electionVars, logVars, epochVars, roleVars, leaderVars, ghostVars>>

\* i finds its connection with j broken (j closed its end, or the network
\* broke it) and closes its end; a leader forgets j as a learner (what j
\* acknowledged still counts). A learner whose connection to its leader
\* breaks before the leader's LEADERINFO closes its end and may connect
\* again (its leader may not lead yet); after it, it gives up instead
\* (LearnerTimeout).
ConnectionClosed(i, j) ==
    /\ conn[i][j] = BROKEN
    /\ ~(IsLearner(i) /\ j = LeaderOf(i) /\ zabState[i] # DISCOVERY)
    /\ conn' = [conn EXCEPT ![i][j] = CLOSED]
    /\ learners' = [learners EXCEPT ![i] = @ \ {j}]
    /\ forwarding' = [forwarding EXCEPT ![i] = @ \ {j}]
    /\ UNCHANGED <<electionVars, logVars, epochVars, roleVars, connectingFollowers, leaderEpoch,
                   epochAcks, newLeaderAcks, proposalAcks, msgs, ghostVars>>

\* i, which does not lead, closes the connection j opened to it (ZooKeeper
\* accepts learners only while it leads): j finds it broken.
RefuseConnection(i, j) ==
    /\ zabState[i] # DOWN
    /\ state[i] # LEADING
    /\ conn[i][j] = OPEN
    /\ conn' = [conn EXCEPT ![i][j] = CLOSED, ![j][i] = IF @ = OPEN THEN BROKEN ELSE @]
    /\ msgs' = [msgs EXCEPT ![i][j] = <<>>, ![j][i] = <<>>]
    /\ UNCHANGED <<electionVars, logVars, epochVars, roleVars, leaderVars, ghostVars>>

-----------------------------------------------------------------------------
(* Leader steps                                                            *)

EpochFixed(i) == IsQuorum(connectingFollowers[i] \cup {i})

\* L registers learner j. While the epoch is open it grows past j's accepted
\* epoch; the FOLLOWERINFO that completes a quorum fixes it, L accepts it
\* and sends LEADERINFO to every learner; later learners get it at once.
LeaderProcessFOLLOWERINFO(i, j) ==
    /\ HeadIs(j, i, "FOLLOWERINFO")
    /\ state[i] = LEADING
    /\ LET m        == Head(msgs[j][i])
           net      == Consume(j, i)
           joined   == learners[i] \cup {j}
           wasFixed == EpochFixed(i)
           fixesNow == ~wasFixed /\ IsQuorum(connectingFollowers[i] \cup {i, j})
           e        == IF wasFixed THEN leaderEpoch[i] ELSE Max(leaderEpoch[i], m.mepoch + 1)
       IN /\ learners' = [learners EXCEPT ![i] = joined]
          /\ connectingFollowers' = IF wasFixed THEN connectingFollowers
                                    ELSE [connectingFollowers EXCEPT ![i] = @ \cup {j}]
          /\ leaderEpoch' = [leaderEpoch EXCEPT ![i] = e]
          /\ acceptedEpoch' = IF fixesNow THEN [acceptedEpoch EXCEPT ![i] = e] ELSE acceptedEpoch
          /\ msgs' = IF wasFixed THEN Send(net, i, j, LeaderInfoMsg(e))
                     ELSE IF fixesNow THEN SendAll(net, i, joined, LeaderInfoMsg(e))
                     ELSE net
          \* a learner that connects again starts afresh
          /\ epochAcks' = [epochAcks EXCEPT ![i] = Remove(@, j)]
          /\ forwarding' = [forwarding EXCEPT ![i] = @ \ {j}]
          /\ newLeaderAcks' = [newLeaderAcks EXCEPT ![i] = @ \ {j}]
    /\ UNCHANGED <<electionVars, logVars, currentEpoch, roleVars, proposalAcks, conn, ghostVars>>

\* L counts j's acknowledgement of the new epoch. Before a quorum has
\* acknowledged, L disconnects a voter ahead of it; the acknowledgement
\* that completes the quorum makes the epoch L's current epoch and sends
\* every acknowledged learner its synchronization. Afterwards j is
\* synchronized at once.
LeaderProcessACKEPOCH(i, j) ==
    /\ HeadIs(j, i, "ACKEPOCH")
    /\ state[i] = LEADING
    /\ LET m      == Head(msgs[j][i])
           net    == Consume(j, i)
           acks   == Put(epochAcks[i], j, [currentEpoch |-> m.mcurrentEpoch, zxid |-> m.mzxid])
           counts == {k \in DOMAIN acks : acks[k].currentEpoch # -1}
           ahead  == /\ m.mcurrentEpoch # -1
                     /\ MoreRecent(m.mcurrentEpoch, m.mzxid, currentEpoch[i], LastZxid(log[i]))
           synced == DOMAIN acks \cap learners[i]
       IN IF zabState[i] = DISCOVERY /\ ahead
          THEN \* j knows more than L: L closes the connection
               /\ msgs' = [net EXCEPT ![i][j] = <<>>, ![j][i] = <<>>]
               /\ conn' = [conn EXCEPT ![i][j] = CLOSED, ![j][i] = BROKEN]
               /\ learners' = [learners EXCEPT ![i] = @ \ {j}]
               /\ UNCHANGED <<currentEpoch, zabState, epochAcks, forwarding, epochLeaders>>
          ELSE IF zabState[i] = DISCOVERY /\ IsQuorum(counts \cup {i})
          THEN /\ currentEpoch' = [currentEpoch EXCEPT ![i] = leaderEpoch[i]]
               /\ zabState' = [zabState EXCEPT ![i] = SYNCHRONIZATION]
               /\ epochAcks' = [epochAcks EXCEPT ![i] = acks]
               /\ forwarding' = [forwarding EXCEPT ![i] = ForwardingAfterSync(i, synced)]
               /\ msgs' = [net EXCEPT ![i] = [k \in Server |->
                              IF k \in synced /\ IsOpen(i, k)
                              THEN net[i][k] \o SyncMessages(i, acks[k].zxid)
                              ELSE net[i][k]]]
               /\ epochLeaders' = epochLeaders \cup {<<leaderEpoch[i], i>>}
               /\ UNCHANGED <<learners, conn>>
          ELSE IF zabState[i] = DISCOVERY
          THEN /\ epochAcks' = [epochAcks EXCEPT ![i] = acks]
               /\ msgs' = net
               /\ UNCHANGED <<currentEpoch, zabState, learners, forwarding, conn, epochLeaders>>
          ELSE /\ epochAcks' = [epochAcks EXCEPT ![i] = acks]
               /\ forwarding' = [forwarding EXCEPT ![i] = ForwardingAfterSync(i, {j})]
               /\ msgs' = SendSeq(net, i, j, SyncMessages(i, m.mzxid))
               /\ UNCHANGED <<currentEpoch, zabState, learners, conn, epochLeaders>>
    /\ UNCHANGED <<electionVars, logVars, acceptedEpoch, syncStage, syncMode, lastCommitted,
                   connectingFollowers, leaderEpoch, newLeaderAcks, proposalAcks,
                   proposedTxns, committedTxns, deliveredTxns, counters>>

\* L counts j's ACK of NEWLEADER (j's log is L's, durably). The one that
\* completes a quorum of voters establishes L: its whole log is committed
\* and every learner that acknowledged gets UPTODATE with L's commit
\* point. Later ones get UPTODATE at once.
LeaderProcessACKNEWLEADER(i, j) ==
    /\ HeadIs(j, i, "ACK")
    /\ IsNewLeaderAck(Head(msgs[j][i]))
    /\ state[i] = LEADING
    /\ LET net   == Consume(j, i)
           acked == newLeaderAcks[i] \cup {j}
       IN /\ newLeaderAcks' = [newLeaderAcks EXCEPT ![i] = acked]
          /\ forwarding' = [forwarding EXCEPT ![i] = @ \cup {j}]
          /\ IF zabState[i] = SYNCHRONIZATION /\ IsQuorum(acked \cup {i})
             THEN /\ zabState' = [zabState EXCEPT ![i] = BROADCAST]
                  /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Len(log[i])]
                  /\ CommitAll(log[i])
                  /\ Deliver(i, log[i], Len(log[i]))
                  /\ msgs' = SendAll(net, i, acked \cap learners[i], UpToDateMsg(LastZxid(log[i])))
             ELSE /\ msgs' = IF zabState[i] = BROADCAST
                             THEN Send(net, i, j, UpToDateMsg(CommittedZxid(i)))
                             ELSE net
                  /\ UNCHANGED <<zabState, lastCommitted, committedTxns, deliveredTxns>>
    /\ UNCHANGED <<electionVars, logVars, epochVars, syncStage, syncMode, learners,
                   connectingFollowers, leaderEpoch, epochAcks, proposalAcks, conn,
                   proposedTxns, epochLeaders, counters>>

\* An established leader turns a client request into the next transaction
\* of its epoch: writes it to its log and proposes it to its followers.
LeaderProcessRequest(i, v) ==
    /\ state[i] = LEADING
    /\ zabState[i] = BROADCAST
    /\ LET e    == leaderEpoch[i]
           last == LastZxid(log[i])
           txn  == [zxid |-> <<e, IF last[1] = e THEN last[2] + 1 ELSE 1>>, value |-> v]
       IN /\ log' = [log EXCEPT ![i] = Append(@, txn)]
          /\ proposalAcks' = [proposalAcks EXCEPT ![i] = Put(@, txn.zxid, {})]
          /\ proposedTxns' = proposedTxns \cup {txn}
          /\ msgs' = SendAll(msgs, i, forwarding[i] \cap Voter, ProposalMsg(txn))
    /\ counters' = [counters EXCEPT !.request = @ + 1]
    /\ UNCHANGED <<electionVars, durableLen, snapshotLen, epochVars, roleVars, learners,
                   connectingFollowers, leaderEpoch, epochAcks, forwarding, newLeaderAcks, conn,
                   committedTxns, deliveredTxns, epochLeaders>>

\* L notes that voter j made its proposal durable.
LeaderProcessACK(i, j) ==
    /\ HeadIs(j, i, "ACK")
    /\ ~IsNewLeaderAck(Head(msgs[j][i]))
    /\ state[i] = LEADING
    /\ LET z == Head(msgs[j][i]).mzxid IN
       proposalAcks' = IF z \in DOMAIN proposalAcks[i] /\ j \in Voter
                       THEN [proposalAcks EXCEPT ![i][z] = @ \cup {j}]
                       ELSE proposalAcks
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, logVars, epochVars, roleVars, learners, connectingFollowers,
                   leaderEpoch, epochAcks, forwarding, newLeaderAcks, conn, ghostVars>>

\* L commits its next transaction once a quorum of voters (L included)
\* acknowledged it, and tells followers (COMMIT) and observers (INFORM).
LeaderCommit(i) ==
    /\ state[i] = LEADING
    /\ zabState[i] = BROADCAST
    /\ lastCommitted[i] < Len(log[i])
    /\ LET k   == lastCommitted[i] + 1
           txn == log[i][k]
       IN /\ txn.zxid \in DOMAIN proposalAcks[i]
          /\ CommitQuorumAcked(i, txn.zxid)
          /\ lastCommitted' = [lastCommitted EXCEPT ![i] = k]
          /\ proposalAcks' = [proposalAcks EXCEPT ![i] = Remove(@, txn.zxid)]
          /\ CommitAll(<<txn>>)
          /\ Deliver(i, log[i], k)
          /\ msgs' = SendAll(SendAll(msgs, i, forwarding[i] \cap Voter, CommitMsg(txn.zxid)),
                             i, forwarding[i] \cap Observer, InformMsg(txn))
    /\ UNCHANGED <<electionVars, logVars, epochVars, zabState, syncStage, syncMode, learners,
                   connectingFollowers, leaderEpoch, epochAcks, forwarding, newLeaderAcks, conn,
                   proposedTxns, epochLeaders, counters>>

-----------------------------------------------------------------------------
(* Learner steps (followers and observers)                                 *)

\* A learner answers its leader's new epoch, or gives up on a leader whose
\* epoch is older than one it already accepted.
LearnerProcessLEADERINFO(i, j) ==
    /\ HeadIs(j, i, "LEADERINFO")
    /\ IsLearner(i)
    /\ zabState[i] = DISCOVERY
    /\ LET m   == Head(msgs[j][i])
       IN IF m.mepoch >= acceptedEpoch[i]
          THEN /\ acceptedEpoch' = [acceptedEpoch EXCEPT ![i] = m.mepoch]
               /\ msgs' = Send(Consume(j, i), i, j, AckEpochMsg(m.mepoch,
                              IF m.mepoch > acceptedEpoch[i] THEN currentEpoch[i] ELSE -1,
                              LastZxid(log[i])))
               /\ zabState' = [zabState EXCEPT ![i] = SYNCHRONIZATION]
               /\ syncStage' = [syncStage EXCEPT ![i] = AWAIT_SYNC]
               /\ UNCHANGED <<electionVars, logVars, currentEpoch, syncMode, lastCommitted,
                              leaderVars, conn, ghostVars>>
          ELSE /\ GoLooking(i)
               /\ UNCHANGED counters

CanSync(i) == IsLearner(i) /\ syncStage[i] = AWAIT_SYNC

\* The log already matches the leader's up to the learner's last zxid; the
\* missing transactions follow as PROPOSALs.
LearnerProcessDIFF(i, j) ==
    /\ HeadIs(j, i, "DIFF")
    /\ CanSync(i)
    /\ syncStage' = [syncStage EXCEPT ![i] = SYNCING]
    /\ syncMode' = [syncMode EXCEPT ![i] = DIFF]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, logVars, epochVars, zabState, lastCommitted, leaderVars, conn,
                   ghostVars>>

\* The learner cuts its log (on disk too) back to the given zxid; what the
\* leader has after it follows as PROPOSALs.
LearnerProcessTRUNC(i, j) ==
    /\ HeadIs(j, i, "TRUNC")
    /\ CanSync(i)
    /\ LET kept == TruncateTo(log[i], Head(msgs[j][i]).mzxid) IN
       /\ log' = [log EXCEPT ![i] = kept]
       /\ durableLen' = [durableLen EXCEPT ![i] = Min(@, Len(kept))]
       /\ snapshotLen' = [snapshotLen EXCEPT ![i] = Min(@, Len(kept))]
       /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Min(@, Len(kept))]
    /\ syncStage' = [syncStage EXCEPT ![i] = SYNCING]
    /\ syncMode' = [syncMode EXCEPT ![i] = TRUNC]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, epochVars, zabState, leaderVars, conn, ghostVars>>

\* The learner replaces its state with the leader's snapshot, writing it
\* to disk before it reads on (the snapshot holds committed transactions
\* only, so it is delivered); what the leader has after it follows as
\* PROPOSALs.
LearnerProcessSNAP(i, j) ==
    /\ HeadIs(j, i, "SNAP")
    /\ CanSync(i)
    /\ LET s == Head(msgs[j][i]).msnapshot IN
       /\ log' = [log EXCEPT ![i] = s]
       /\ durableLen' = [durableLen EXCEPT ![i] = Len(s)]
       /\ snapshotLen' = [snapshotLen EXCEPT ![i] = Len(s)]
       /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Len(s)]
       /\ Deliver(i, s, Len(s))
    /\ syncStage' = [syncStage EXCEPT ![i] = SYNCING]
    /\ syncMode' = [syncMode EXCEPT ![i] = SNAP]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, epochVars, zabState, leaderVars, conn, proposedTxns,
                   committedTxns, epochLeaders, counters>>

\* A learner writes a proposal of its leader's stream to its log; a
\* follower acknowledges it once it is durable (FlushLog) and it has
\* acknowledged NEWLEADER (LearnerAckNEWLEADER).
LearnerProcessPROPOSAL(i, j) ==
    /\ HeadIs(j, i, "PROPOSAL")
    /\ IsLearner(i)
    /\ InStream(i)
    /\ log' = [log EXCEPT ![i] = Append(@, LogEntryFor(i, Head(msgs[j][i]).mtxn))]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, durableLen, snapshotLen, epochVars, roleVars, leaderVars, conn,
                   ghostVars>>

\* A learner delivers everything up to the committed zxid.
LearnerProcessCOMMIT(i, j) ==
    /\ HeadIs(j, i, "COMMIT")
    /\ IsLearner(i)
    /\ InStream(i)
    /\ LET k == Max(lastCommitted[i], IndexOfZxid(log[i], Head(msgs[j][i]).mzxid)) IN
       /\ lastCommitted' = [lastCommitted EXCEPT ![i] = k]
       /\ Deliver(i, log[i], k)
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, logVars, epochVars, zabState, syncStage, syncMode, leaderVars,
                   conn, proposedTxns, committedTxns, epochLeaders, counters>>

\* The synchronization is complete; the learner acknowledges it once it
\* is durable (LearnerAckNEWLEADER).
LearnerProcessNEWLEADER(i, j) ==
    /\ HeadIs(j, i, "NEWLEADER")
    /\ IsLearner(i)
    /\ syncStage[i] = SYNCING
    /\ currentEpoch' = [currentEpoch EXCEPT ![i] = EpochOnNewLeader(i, Head(msgs[j][i]).mepoch)]
    /\ syncStage' = [syncStage EXCEPT ![i] = NEWLEADER_RECEIVED]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, logVars, acceptedEpoch, zabState, syncMode, lastCommitted,
                   leaderVars, conn, ghostVars>>

\* Everything the learner wrote is durable: it takes the new epoch as its
\* current epoch (a durable file), then ACKs NEWLEADER; a follower then
\* ACKs the proposals of the new epoch it holds and has not delivered,
\* which it held back until now (ZOOKEEPER-4685: an ACK of a proposal
\* before the ACK of NEWLEADER makes the leader drop the follower).
LearnerAckNEWLEADER(i, j) ==
    /\ IsLearner(i)
    /\ syncStage[i] = NEWLEADER_RECEIVED
    /\ j = LeaderOf(i)
    /\ SyncedTxnsDurable(i)
    /\ currentEpoch' = [currentEpoch EXCEPT ![i] = acceptedEpoch[i]]
    /\ msgs' = SendSeq(msgs, i, j, <<AckMsg(NewLeaderZxid(acceptedEpoch[i]))>> \o
                                   (IF state[i] = FOLLOWING THEN AcksFor(i, 1, Len(log[i]))
                                    ELSE <<>>))
    /\ syncStage' = [syncStage EXCEPT ![i] = AWAIT_UPTODATE]
    /\ UNCHANGED <<electionVars, logVars, acceptedEpoch, zabState, syncMode, lastCommitted,
                   leaderVars, conn, ghostVars>>

\* The leader is established: deliver up to its commit point and serve.
LearnerProcessUPTODATE(i, j) ==
    /\ HeadIs(j, i, "UPTODATE")
    /\ IsLearner(i)
    /\ syncStage[i] = AWAIT_UPTODATE
    /\ LET k == Max(lastCommitted[i], IndexOfZxid(log[i], Head(msgs[j][i]).mzxid)) IN
       /\ lastCommitted' = [lastCommitted EXCEPT ![i] = k]
       /\ Deliver(i, log[i], k)
    /\ zabState' = [zabState EXCEPT ![i] = BROADCAST]
    /\ syncStage' = [syncStage EXCEPT ![i] = NONE]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, logVars, epochVars, syncMode, leaderVars, conn, proposedTxns,
                   committedTxns, epochLeaders, counters>>

\* An observer writes (if new) and delivers a committed transaction.
ObserverProcessINFORM(i, j) ==
    /\ HeadIs(j, i, "INFORM")
    /\ state[i] = OBSERVING
    /\ InStream(i)
    /\ LET t  == Head(msgs[j][i]).mtxn
           k  == IndexOfZxid(log[i], t.zxid)
           lg == IF k > 0 THEN log[i] ELSE Append(log[i], LogEntryFor(i, t))
           c  == Max(lastCommitted[i], IF k > 0 THEN k ELSE Len(lg))
       IN /\ log' = [log EXCEPT ![i] = lg]
          /\ lastCommitted' = [lastCommitted EXCEPT ![i] = c]
          /\ Deliver(i, lg, c)
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, durableLen, snapshotLen, epochVars, zabState, syncStage,
                   syncMode, leaderVars, conn, proposedTxns, committedTxns, epochLeaders,
                   counters>>

-----------------------------------------------------------------------------
(* The disk: durability and snapshots                                      *)

\* i's log writer makes written entries durable, up to some entry (a batch
\* fsync). A follower that has acknowledged NEWLEADER then ACKs each newly
\* durable proposal of its leader's epoch that it has not delivered (one
\* still synchronizing ACKs them with NEWLEADER); an established leader
\* counts its own ack of each.
FlushLog(i) ==
    /\ durableLen[i] < Len(log[i])
    /\ \E k \in durableLen[i] + 1 .. Len(log[i]) :
         LET new   == SubSeq(log[i], durableLen[i] + 1, k)
             zxids == {t.zxid : t \in Range(new)}
         IN /\ durableLen' = [durableLen EXCEPT ![i] = k]
            /\ msgs' = IF state[i] = FOLLOWING /\ NewLeaderAcked(i)
                       THEN SendSeq(msgs, i, LeaderOf(i), AcksFor(i, durableLen[i] + 1, k))
                       ELSE msgs
            /\ proposalAcks' = IF state[i] = LEADING /\ zabState[i] = BROADCAST
                               THEN [proposalAcks EXCEPT ![i] = [z \in DOMAIN @ |->
                                        IF z \in zxids THEN @[z] \cup {i} ELSE @[z]]]
                               ELSE proposalAcks
    /\ UNCHANGED <<electionVars, log, snapshotLen, epochVars, roleVars, learners,
                   connectingFollowers, leaderEpoch, epochAcks, forwarding, newLeaderAcks, conn,
                   ghostVars>>

\* i writes a snapshot of what it has delivered and made durable, and trims
\* its log files before it: those transactions can no longer be sent in a
\* DIFF.
TakeSnapshot(i) ==
    /\ snapshotLen[i] < Min(lastCommitted[i], durableLen[i])
    /\ snapshotLen' = [snapshotLen EXCEPT ![i] = Min(lastCommitted[i], durableLen[i])]
    /\ counters' = [counters EXCEPT !.snapshot = @ + 1]
    /\ UNCHANGED <<electionVars, log, durableLen, epochVars, roleVars, leaderVars, netVars,
                   proposedTxns, committedTxns, deliveredTxns, epochLeaders>>

-----------------------------------------------------------------------------
(* Giving up, restarts, the network                                        *)

\* A learner stops hearing from its leader (timeout, broken connection) and
\* looks for a leader again, once its log writer has drained. (Only a
\* timeout counts towards the model bounds, not a broken connection.)
LearnerTimeout(i) ==
    /\ IsLearner(i)
    /\ DrainedBeforeLeaving(i)
    /\ GoLooking(i)
    /\ counters' = IF conn[i][LeaderOf(i)] = BROKEN THEN counters
                   ELSE [counters EXCEPT !.timeout = @ + 1]

\* A leader loses its quorum (or does not gather one in time) and looks for
\* a leader again, once its log writer has drained.
LeaderTimeout(i) ==
    /\ state[i] = LEADING
    /\ Drained(i)
    /\ GoLooking(i)
    /\ counters' = [counters EXCEPT !.timeout = @ + 1]

\* i crashes: its volatile state is gone, it has delivered only its snapshot
\* and its connections are closed. Its log keeps what was durable and
\* perhaps more of what was written: a process that dies leaves what it
\* wrote in the operating system's cache, which reaches the disk all the
\* same; only a crash of the machine loses it. What the log kept is durable
\* from then on. It takes no step until it restarts.
Crash(i) ==
    /\ zabState[i] # DOWN
    /\ \E k \in durableLen[i] .. Len(log[i]) :
         /\ log' = [log EXCEPT ![i] = SubSeq(log[i], 1, k)]
         /\ durableLen' = [durableLen EXCEPT ![i] = k]
         /\ Deliver(i, log[i], CommittedAfterRestart(i))
    /\ state' = [state EXCEPT ![i] = LOOKING]
    /\ receiveVotes' = [receiveVotes EXCEPT ![i] = EmptyFn]
    /\ outOfElection' = [outOfElection EXCEPT ![i] = EmptyFn]
    /\ electionMsgs' = [a \in Server |-> [b \in Server |->
                           IF a = i \/ b = i THEN <<>> ELSE electionMsgs[a][b]]]
    /\ lastCommitted' = [lastCommitted EXCEPT ![i] = CommittedAfterRestart(i)]
    /\ zabState' = [zabState EXCEPT ![i] = DOWN]
    /\ syncStage' = [syncStage EXCEPT ![i] = NONE]
    /\ syncMode' = [syncMode EXCEPT ![i] = NONE]
    /\ ResetLeaderState(i)
    /\ msgs' = ClosedNet(i)
    /\ conn' = ClosedConn(i)
    /\ counters' = [counters EXCEPT !.crash = @ + 1]
    /\ UNCHANGED <<logicalClock, currentVote, snapshotLen, epochVars, proposedTxns,
                   committedTxns, epochLeaders>>

\* A crashed server restarts from its disk: it starts a first election round.
\* What was in flight when it crashed is gone (Crash); a notification sent to
\* it while it was down is received now, as a ZooKeeper member's last
\* notification to a peer waits for a connection to it.
Restart(i) ==
    /\ zabState[i] = DOWN
    /\ StartRound(i, 1, electionMsgs)
    /\ zabState' = [zabState EXCEPT ![i] = ELECTION]
    /\ counters' = [counters EXCEPT !.restart = @ + 1]
    /\ UNCHANGED <<logVars, epochVars, syncStage, syncMode, lastCommitted, leaderVars, netVars,
                   proposedTxns, committedTxns, deliveredTxns, epochLeaders>>

\* The network breaks the connection between i and j: what it carries is
\* lost and both ends find it broken.
DropConnection(i, j) ==
    /\ i < j
    /\ IsOpen(i, j)
    /\ conn' = [conn EXCEPT ![i][j] = BROKEN, ![j][i] = BROKEN]
    /\ msgs' = [msgs EXCEPT ![i][j] = <<>>, ![j][i] = <<>>]
    /\ counters' = [counters EXCEPT !.break = @ + 1]
    /\ UNCHANGED <<electionVars, logVars, epochVars, roleVars, leaderVars, proposedTxns,
                   committedTxns, deliveredTxns, epochLeaders>>

-----------------------------------------------------------------------------
(* The specification                                                       *)

NoCounts == [request |-> 0, crash |-> 0, restart |-> 0, timeout |-> 0, resend |-> 0, loss |-> 0,
            break |-> 0, snapshot |-> 0]

\* Every server starts at once from the given persisted state: log lg (all
\* durable) with snapshot sn, epochs ce and ae, with the first notifications
\* of the servers in `heard` in flight. The bookkeeping of the past: cm
\* (committed, in order), dl (delivered, per server), el (leaders that began
\* synchronizing).
InitHeardFrom(heard, lg, sn, ce, ae, cm, dl, el) ==
    /\ log = lg
    /\ currentEpoch = ce
    /\ durableLen = [i \in Server |-> Len(lg[i])]
    /\ snapshotLen = sn
    /\ acceptedEpoch = ae
    /\ ElectionInitHeard(heard)
    /\ zabState = [i \in Server |-> ELECTION]
    /\ syncStage = [i \in Server |-> NONE]
    /\ syncMode = [i \in Server |-> NONE]
    /\ lastCommitted = sn
    /\ learners = [i \in Server |-> {}]
    /\ connectingFollowers = [i \in Server |-> {}]
    /\ leaderEpoch = [i \in Server |-> 0]
    /\ epochAcks = [i \in Server |-> EmptyFn]
    /\ forwarding = [i \in Server |-> {}]
    /\ newLeaderAcks = [i \in Server |-> {}]
    /\ proposalAcks = [i \in Server |-> EmptyFn]
    /\ msgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ conn = [i \in Server |-> [j \in Server |-> CLOSED]]
    /\ proposedTxns = UNION {Range(lg[i]) : i \in Server}
    /\ committedTxns = cm
    /\ deliveredTxns = dl
    /\ epochLeaders = el
    /\ counters = NoCounts

\* A fresh ensemble: empty logs, epoch 0.
Init ==
    LET none == [i \in Server |-> 0] IN
    InitHeardFrom(Server, [i \in Server |-> <<>>], none, none, none, <<>>,
                  [i \in Server |-> <<>>], {})

Next ==
    \/ \E i, j \in Server : FLEReceiveNotification(i, j)
    \/ \E i \in Server : FLEDecide(i)
    \/ \E i \in Server : FLENotificationTimeout(i)
    \/ \E i, j \in Server : LearnerConnect(i, j)
    \/ \E i, j \in Server : ConnectionClosed(i, j)
    \/ \E i, j \in Server : RefuseConnection(i, j)
    \/ \E i, j \in Server : LeaderProcessFOLLOWERINFO(i, j)
    \/ \E i, j \in Server : LeaderProcessACKEPOCH(i, j)
    \/ \E i, j \in Server : LeaderProcessACKNEWLEADER(i, j)
    \/ \E i \in Server, v \in Value : LeaderProcessRequest(i, v)
    \/ \E i, j \in Server : LeaderProcessACK(i, j)
    \/ \E i \in Server : LeaderCommit(i)
    \/ \E i, j \in Server : LearnerProcessLEADERINFO(i, j)
    \/ \E i, j \in Server : LearnerProcessDIFF(i, j)
    \/ \E i, j \in Server : LearnerProcessTRUNC(i, j)
    \/ \E i, j \in Server : LearnerProcessSNAP(i, j)
    \/ \E i, j \in Server : LearnerProcessPROPOSAL(i, j)
    \/ \E i, j \in Server : LearnerProcessCOMMIT(i, j)
    \/ \E i, j \in Server : LearnerProcessNEWLEADER(i, j)
    \/ \E i, j \in Server : LearnerAckNEWLEADER(i, j)
    \/ \E i, j \in Server : LearnerProcessUPTODATE(i, j)
    \/ \E i, j \in Server : ObserverProcessINFORM(i, j)
    \/ \E i \in Server : FlushLog(i)
    \/ \E i \in Server : TakeSnapshot(i)
    \/ \E i \in Server : LearnerTimeout(i)
    \/ \E i \in Server : LeaderTimeout(i)
    \/ \E i \in Server : Crash(i)
    \/ \E i \in Server : Restart(i)
    \/ \E i, j \in Server : DropConnection(i, j)
    \/ \E i, j \in Server : FLEDropNotification(i, j)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Types                                                                   *)

Txn == [zxid : Zxid, value : Value]
ZabMessage ==
    [mtype : {"FOLLOWERINFO", "LEADERINFO", "NEWLEADER"}, mepoch : Nat]
    \cup [mtype : {"ACKEPOCH"}, mepoch : Nat, mcurrentEpoch : Nat \cup {-1}, mzxid : Zxid]
    \cup [mtype : {"DIFF", "TRUNC", "COMMIT", "ACK", "UPTODATE"}, mzxid : Zxid]
    \cup [mtype : {"SNAP"}, msnapshot : Seq(Txn)]
    \cup [mtype : {"PROPOSAL", "INFORM"}, mtxn : Txn]

TypeOK ==
    /\ ElectionTypeOK
    /\ log \in [Server -> Seq(Txn)]
    /\ \A i \in Server : /\ durableLen[i] \in 0..Len(log[i])
                         /\ snapshotLen[i] \in 0..durableLen[i]
                         /\ lastCommitted[i] \in 0..Len(log[i])
    /\ currentEpoch \in [Server -> Nat]
    /\ acceptedEpoch \in [Server -> Nat]
    /\ zabState \in [Server -> {ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST, DOWN}]
    /\ syncStage \in [Server -> {NONE, AWAIT_SYNC, SYNCING, NEWLEADER_RECEIVED, AWAIT_UPTODATE}]
    /\ syncMode \in [Server -> {NONE, DIFF, TRUNC, SNAP}]
    /\ learners \in [Server -> SUBSET Server]
    /\ connectingFollowers \in [Server -> SUBSET Server]
    /\ leaderEpoch \in [Server -> Nat]
    /\ \A i \in Server : DOMAIN epochAcks[i] \subseteq Server
    /\ forwarding \in [Server -> SUBSET Server]
    /\ newLeaderAcks \in [Server -> SUBSET Server]
    /\ \A i \in Server : \A z \in DOMAIN proposalAcks[i] : proposalAcks[i][z] \subseteq Voter
    /\ msgs \in [Server -> [Server -> Seq(ZabMessage)]]
    /\ conn \in [Server -> [Server -> {CLOSED, OPEN, BROKEN}]]
    /\ proposedTxns \subseteq Txn
    /\ committedTxns \in Seq(Txn)
    /\ deliveredTxns \in [Server -> Seq(Txn)]
    /\ epochLeaders \subseteq Nat \X Server
    /\ counters \in [request : Nat, crash : Nat, restart : Nat, timeout : Nat, resend : Nat,
                    loss : Nat, break : Nat, snapshot : Nat]

-----------------------------------------------------------------------------
(* Safety, over the histories the bookkeeping keeps: what each server has  *)
(* delivered (deliveredTxns, which never shrinks: a restart, a TRUNC or a  *)
(* SNAP cannot take a delivery back) and what was committed.               *)

Delivered(i) == deliveredTxns[i]
DeliveredSet(i) == Range(deliveredTxns[i])
IsPrefix(s, t) == Len(s) <= Len(t) /\ SubSeq(t, 1, Len(s)) = s
\* a comes before b in sequence s
Before(s, a, b) == \E x, y \in 1..Len(s) : x < y /\ s[x] = a /\ s[y] = b

\* At most one leader per epoch, counting every leader from the moment it
\* starts synchronizing followers (a quorum acknowledged its epoch).
AtMostOneLeaderPerEpoch ==
    \A a, b \in epochLeaders : a[1] = b[1] => a[2] = b[2]

\* Of any two servers' delivered histories, one extends the other.
PrefixConsistency ==
    \A i, j \in Server : IsPrefix(Delivered(i), Delivered(j)) \/ IsPrefix(Delivered(j), Delivered(i))

\* Only transactions some leader proposed are delivered.
Integrity == \A i \in Server : DeliveredSet(i) \subseteq proposedTxns

\* If i delivered a and j delivered b, then i delivered b or j delivered a.
Agreement ==
    \A i, j \in Server : \A a \in DeliveredSet(i), b \in DeliveredSet(j) :
        a \in DeliveredSet(j) \/ b \in DeliveredSet(i)

\* If some server delivered a before b, every server that delivered b
\* delivered a before b.
TotalOrder ==
    \A i, j \in Server : \A x, y \in 1..Len(Delivered(i)) :
        x < y /\ Delivered(i)[y] \in DeliveredSet(j) =>
            Before(Delivered(j), Delivered(i)[x], Delivered(i)[y])

\* If a leader proposed a before b, whoever delivered b delivered a before b.
LocalPrimaryOrder ==
    \A i \in Server : \A a, b \in proposedTxns :
        a.zxid[1] = b.zxid[1] /\ a.zxid[2] < b.zxid[2] /\ b \in DeliveredSet(i) =>
            Before(Delivered(i), a, b)

\* Transactions of an earlier epoch are delivered before those of a later one.
GlobalPrimaryOrder ==
    \A i \in Server : \A x, y \in 1..Len(Delivered(i)) :
        Delivered(i)[x].zxid[1] < Delivered(i)[y].zxid[1] => x < y

\* An established leader has delivered every transaction of an earlier epoch
\* that anybody delivered, and holds it before anything of its own epoch.
PrimaryIntegrity ==
    \A l \in Server : state[l] = LEADING /\ zabState[l] = BROADCAST =>
        \A i \in Server : \A a \in DeliveredSet(i) :
            a.zxid[1] < leaderEpoch[l] =>
                /\ a \in DeliveredSet(l)
                /\ \A b \in Range(log[l]) : b.zxid[1] = leaderEpoch[l] => Before(log[l], a, b)

\* A committed transaction is in the log of every leader established in a
\* later epoch, and of every learner synchronized with one.
CommittedNeverLost ==
    \A t \in Range(committedTxns) : \A i \in Server :
        zabState[i] = BROADCAST /\ currentEpoch[i] > t.zxid[1] => t \in Range(log[i])

\* Every committed transaction is durable on a quorum of voters.
CommittedDurableOnQuorum ==
    \A t \in Range(committedTxns) :
        IsQuorum({q \in Voter : t \in Range(DurableLog(q))})

\* Nothing is delivered that was not committed.
DeliveredWereCommitted ==
    \A i \in Server : DeliveredSet(i) \subseteq Range(committedTxns)
=============================================================================
