--------------------------------- MODULE Zab ---------------------------------
(***************************************************************************)
(* Zab as ZooKeeper runs it: fast leader election (FastLeaderElection.tla) *)
(* followed by discovery, synchronization and broadcast, with crashes,     *)
(* restarts, lost connections and observers.                               *)
(*                                                                         *)
(* Every action is one step of one server on its own: receive one message  *)
(* and react to it, take a client request, commit, give up on a peer, or   *)
(* restart. Its name is the name an implementation gives to the matching   *)
(* trace event, and the variables it changes are that event's fields. The  *)
(* only steps that are not a server's are the network's (DropConnection,   *)
(* FLEDropNotification).                                                   *)
(*                                                                         *)
(* Phases of a leader L (state LEADING):                                   *)
(*   DISCOVERY       collect FOLLOWERINFO (each learner's accepted epoch); *)
(*                   once a quorum of voters (L included) is connected the *)
(*                   new epoch is fixed above every accepted epoch seen,   *)
(*                   L accepts it and sends LEADERINFO; then collect       *)
(*                   ACKEPOCH. A voter ahead of L (later current epoch, or *)
(*                   same epoch and later zxid) is ignored.                *)
(*   SYNCHRONIZATION a quorum acknowledged the new epoch: L takes it as    *)
(*                   its current epoch and sends each acknowledged learner *)
(*                   DIFF, TRUNC or SNAP followed by NEWLEADER; collect    *)
(*                   ACKLD (the acknowledgement of NEWLEADER).             *)
(*   BROADCAST       a quorum acknowledged NEWLEADER: L is established,    *)
(*                   its whole log is committed, UPTODATE goes to every    *)
(*                   synced learner. Client requests become PROPOSALs;     *)
(*                   ACKs are counted; a transaction is committed, in zxid *)
(*                   order, once a quorum of voters acknowledged it, and   *)
(*                   COMMIT (followers) or INFORM (observers) is sent.     *)
(*                   Learners that connect later go through the same steps *)
(*                   one at a time.                                        *)
(* Phases of a learner (FOLLOWING or OBSERVING):                           *)
(*   DISCOVERY       FOLLOWERINFO sent; wait for LEADERINFO. A new epoch   *)
(*                   is accepted and acknowledged with the current epoch   *)
(*                   and last zxid; the epoch already accepted is          *)
(*                   acknowledged with current epoch -1 (it does not count *)
(*                   towards the leader's quorum); an older one makes the  *)
(*                   learner give up and look for a leader again.          *)
(*   SYNCHRONIZATION AWAIT_SYNC: apply DIFF, TRUNC or SNAP to the log.     *)
(*                   AWAIT_NEWLEADER: take the epoch as current, ACKLD.    *)
(*                   AWAIT_UPTODATE: log PROPOSALs, apply COMMITs, and on  *)
(*                   UPTODATE commit up to the leader's commit point.      *)
(*   BROADCAST       log each PROPOSAL of the current epoch that extends   *)
(*                   the log by exactly one zxid and ACK it; commit on     *)
(*                   COMMIT; observers log and commit on INFORM.           *)
(*                                                                         *)
(* The network: a FIFO channel per ordered pair of servers for Zab         *)
(* messages (msgs) and another for notifications (electionMsgs). Channels  *)
(* outlive sessions, so a message from an earlier session may arrive late; *)
(* every receiver checks sender, epoch and phase and discards what does    *)
(* not fit (DiscardMessage). DropConnection loses everything in flight     *)
(* between two servers; a learner notices a gap in its leader's stream     *)
(* because each proposal must extend its log by exactly one zxid.          *)
(* Timeouts are free choices: a learner or a leader may give up at any     *)
(* time and look for a leader again. A restart loses all volatile state    *)
(* and keeps the log, the accepted epoch and the current epoch.            *)
(*                                                                         *)
(* The operators MoreRecent (FastLeaderElection.tla), CommitQuorumAcked,   *)
(* ProposalInSession, ExtendsLog, FirstEpochToPropose and LogEntryFor are  *)
(* the checks and choices the safety of the protocol rests on; MCZab.tla   *)
(* overrides them to check broken variants.                                *)
(***************************************************************************)
EXTENDS FastLeaderElection

CONSTANT Value   \* client request payloads

VARIABLES
    \* persistent, with history and currentEpoch (FastLeaderElection.tla)
    acceptedEpoch,   \* acceptedEpoch[i]: the last epoch i accepted (LEADERINFO)
    \* volatile, every server
    zabState,        \* zabState[i]: ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST
    syncStage,       \* syncStage[i]: a learner's progress through synchronization
    lastCommitted,   \* lastCommitted[i]: history[i][1..lastCommitted[i]] is delivered
    \* volatile, a leader's view of its learners
    learners,        \* learners[i]: servers whose FOLLOWERINFO i accepted
    leaderEpoch,     \* leaderEpoch[i]: the epoch i is establishing or leads
    ackEpochRecv,    \* ackEpochRecv[i]: learner -> [currentEpoch, zxid] of its ACKEPOCH
    syncedLearners,  \* syncedLearners[i]: learners sent NEWLEADER; they get proposals
    newLeaderAcks,   \* newLeaderAcks[i]: learners whose ACKLD i received
    ackIndex,        \* ackIndex[i][j]: j acknowledged history[i][1..ackIndex[i][j]]
    \* the network
    msgs,            \* msgs[i][j]: Zab messages from i to j, FIFO
    \* bookkeeping for the invariants and the model bounds (never traced)
    proposedTxns,        \* every transaction a leader ever proposed
    committedTxns,       \* every transaction a leader ever committed
    establishedLeaders,  \* <<epoch, leader>> of every leader ever established
    faults               \* counts of restarts, timeouts, resends and losses

zabVars == <<acceptedEpoch, zabState, syncStage, lastCommitted>>
leaderVars == <<learners, leaderEpoch, ackEpochRecv, syncedLearners, newLeaderAcks, ackIndex>>
ghostVars == <<proposedTxns, committedTxns, establishedLeaders, faults>>
vars == <<electionVars, history, currentEpoch, zabVars, leaderVars, msgs, ghostVars>>

ELECTION        == "ELECTION"
DISCOVERY       == "DISCOVERY"
SYNCHRONIZATION == "SYNCHRONIZATION"
BROADCAST       == "BROADCAST"

NONE            == "NONE"
AWAIT_SYNC      == "AWAIT_SYNC"
AWAIT_NEWLEADER == "AWAIT_NEWLEADER"
AWAIT_UPTODATE  == "AWAIT_UPTODATE"

-----------------------------------------------------------------------------
(* Helpers                                                                 *)

Max(a, b) == IF a >= b THEN a ELSE b
Min(a, b) == IF a <= b THEN a ELSE b
Range(s) == {s[k] : k \in DOMAIN s}

\* Position of zxid z in log h, 0 when absent.
IndexOfZxid(h, z) ==
    IF \E k \in 1..Len(h) : h[k].zxid = z THEN CHOOSE k \in 1..Len(h) : h[k].zxid = z ELSE 0

\* The prefix of log h up to and including zxid z (logs are zxid-ordered).
TruncateTo(h, z) == SubSeq(h, 1, Cardinality({k \in 1..Len(h) : ~ZxidLT(z, h[k].zxid)}))

\* z is the zxid that comes right after the end of log h.
IsNextZxid(h, z) ==
    LET l == LastZxid(h) IN
    \/ z[1] = l[1] /\ z[2] = l[2] + 1
    \/ z[1] > l[1] /\ z[2] = 1

CommittedZxid(i) == IF lastCommitted[i] = 0 THEN ZeroZxid ELSE history[i][lastCommitted[i]].zxid

LeaderOf(i) == currentVote[i].leader
IsLearner(i) == state[i] \in {FOLLOWING, OBSERVING}

\* Leader i may commit history[i][k]: a quorum of voters (i included) has
\* acknowledged it.
CommitQuorumAcked(i, k) == IsQuorum({q \in Voter : ackIndex[i][q] >= k})

\* PROPOSAL m from j belongs to follower i's session: it is of i's current
\* epoch and comes from i's leader.
ProposalInSession(i, j, m) == m.mepoch = currentEpoch[i] /\ j = LeaderOf(i)

\* A transaction with zxid z extends i's log by exactly one zxid (nothing
\* of the leader's stream was lost before it).
ExtendsLog(i, z) == IsNextZxid(history[i], z)

\* The epoch a new leader i proposes before any learner has connected: the
\* one after the epoch it accepted last; learners' FOLLOWERINFO can only
\* raise it. Being above i's own accepted epoch, not only its learners',
\* keeps i from proposing an epoch it already acknowledged to another
\* leader, or one older than the transactions in its own log.
FirstEpochToPropose(i) == acceptedEpoch[i] + 1

\* The entry learner i appends to its log for a transaction t its leader
\* sent (PROPOSAL, INFORM): t itself, under the zxid the leader gave it.
LogEntryFor(i, t) == t

-----------------------------------------------------------------------------
(* Messages                                                                *)

FollowerInfoMsg(e)    == [mtype |-> "FOLLOWERINFO", mepoch |-> e]
LeaderInfoMsg(e)      == [mtype |-> "LEADERINFO", mepoch |-> e]
AckEpochMsg(e, ce, z) == [mtype |-> "ACKEPOCH", mepoch |-> e, mcurrentEpoch |-> ce, mzxid |-> z]
DiffMsg(e, t)         == [mtype |-> "DIFF", mepoch |-> e, mtxns |-> t]
TruncMsg(e, z, t)     == [mtype |-> "TRUNC", mepoch |-> e, mzxid |-> z, mtxns |-> t]
SnapMsg(e, t)         == [mtype |-> "SNAP", mepoch |-> e, mtxns |-> t]
NewLeaderMsg(e, z)    == [mtype |-> "NEWLEADER", mepoch |-> e, mzxid |-> z]
AckLdMsg(e, z)        == [mtype |-> "ACKLD", mepoch |-> e, mzxid |-> z]
UpToDateMsg(e, z)     == [mtype |-> "UPTODATE", mepoch |-> e, mzxid |-> z]
ProposalMsg(e, t)     == [mtype |-> "PROPOSAL", mepoch |-> e, mtxn |-> t]
AckMsg(e, z)          == [mtype |-> "ACK", mepoch |-> e, mzxid |-> z]
CommitMsg(e, z)       == [mtype |-> "COMMIT", mepoch |-> e, mzxid |-> z]
InformMsg(e, t)       == [mtype |-> "INFORM", mepoch |-> e, mtxn |-> t]

Send(net, i, j, m) == [net EXCEPT ![i][j] = Append(@, m)]
SendAll(net, i, to, m) ==
    [net EXCEPT ![i] = [k \in Server |-> IF k \in to THEN Append(net[i][k], m) ELSE net[i][k]]]
\* msgs without the next message from j to i (i has received it)
Consume(j, i) == [msgs EXCEPT ![j][i] = Tail(@)]
HeadIs(j, i, type) == msgs[j][i] # <<>> /\ Head(msgs[j][i]).mtype = type

-----------------------------------------------------------------------------
(* Shared pieces of actions                                                *)

\* i is no longer anybody's leader.
ResetLeaderState(i) ==
    /\ learners' = [learners EXCEPT ![i] = {}]
    /\ leaderEpoch' = [leaderEpoch EXCEPT ![i] = 0]
    /\ ackEpochRecv' = [ackEpochRecv EXCEPT ![i] = EmptyFn]
    /\ syncedLearners' = [syncedLearners EXCEPT ![i] = {}]
    /\ newLeaderAcks' = [newLeaderAcks EXCEPT ![i] = {}]
    /\ ackIndex' = [ackIndex EXCEPT ![i] = [k \in Server |-> 0]]

\* i gives up its role (or its wait for one) and starts a new election
\* round; `net` is the Zab network after this step's own receive.
GoLooking(i, net) ==
    /\ StartRound(i, logicalClock[i] + 1, electionMsgs)
    /\ zabState' = [zabState EXCEPT ![i] = ELECTION]
    /\ syncStage' = [syncStage EXCEPT ![i] = NONE]
    /\ ResetLeaderState(i)
    /\ msgs' = net
    /\ UNCHANGED <<history, currentEpoch, acceptedEpoch, lastCommitted,
                   proposedTxns, committedTxns, establishedLeaders>>

\* The synchronization message for a learner whose last zxid is z, chosen
\* from the leader's log as ZooKeeper does: DIFF when z is in the log (the
\* transactions after z), SNAP for an empty learner behind a non-empty log,
\* TRUNC when the learner has transactions the leader lacks (back to the
\* last zxid of the log below z, then the transactions after that).
SyncMessage(i, z) ==
    LET h == history[i]
        e == leaderEpoch[i]
        k == IndexOfZxid(h, z)
        below == Cardinality({x \in 1..Len(h) : ZxidLT(h[x].zxid, z)})
    IN IF z = ZeroZxid /\ h # <<>> THEN SnapMsg(e, h)
       ELSE IF z = ZeroZxid \/ k > 0 THEN DiffMsg(e, SubSeq(h, k + 1, Len(h)))
       ELSE IF below = Len(h) THEN TruncMsg(e, LastZxid(h), <<>>)
       ELSE TruncMsg(e, IF below = 0 THEN ZeroZxid ELSE h[below].zxid, SubSeq(h, below + 1, Len(h)))

SyncMessages(i, z) == <<SyncMessage(i, z), NewLeaderMsg(leaderEpoch[i], LastZxid(history[i]))>>

-----------------------------------------------------------------------------
(* Election, as seen from Zab                                              *)

FLEReceiveNotification(i, j) ==
    /\ ReceiveNotificationStep(i, j)
    /\ UNCHANGED <<history, currentEpoch, zabVars, leaderVars, msgs, ghostVars>>

\* i settles. A new leader starts discovery (proposing the epoch after the
\* one it accepted); a new learner connects to its leader with FOLLOWERINFO.
FLEDecide(i) ==
    /\ DecideStep(i)
    /\ zabState' = [zabState EXCEPT ![i] = DISCOVERY]
    /\ IF state'[i] = LEADING
       THEN /\ leaderEpoch' = [leaderEpoch EXCEPT ![i] = FirstEpochToPropose(i)]
            /\ ackIndex' = [ackIndex EXCEPT ![i] = [k \in Server |-> 0]]
            /\ UNCHANGED msgs
       ELSE /\ msgs' = Send(msgs, i, currentVote'[i].leader, FollowerInfoMsg(acceptedEpoch[i]))
            /\ UNCHANGED <<leaderEpoch, ackIndex>>
    /\ UNCHANGED <<history, currentEpoch, acceptedEpoch, syncStage, lastCommitted,
                   learners, ackEpochRecv, syncedLearners, newLeaderAcks, ghostVars>>

FLENotificationTimeout(i) ==
    /\ NotificationTimeoutStep(i)
    /\ faults' = [faults EXCEPT !.resend = @ + 1]
    /\ UNCHANGED <<history, currentEpoch, zabVars, leaderVars, msgs,
                   proposedTxns, committedTxns, establishedLeaders>>

FLEDropNotification(i, j) ==
    /\ DropNotificationStep(i, j)
    /\ faults' = [faults EXCEPT !.drop = @ + 1]
    /\ UNCHANGED <<history, currentEpoch, zabVars, leaderVars, msgs,
                   proposedTxns, committedTxns, establishedLeaders>>

-----------------------------------------------------------------------------
(* Leader steps                                                            *)

EpochFixed(i) == IsQuorum(learners[i] \cup {i})

CanProcessFOLLOWERINFO(i, j, m) == state[i] = LEADING

\* L registers learner j (again, if j reconnects: its old session ends). While
\* the epoch is open it grows past j's accepted epoch; the FOLLOWERINFO that
\* completes a quorum fixes it, L accepts it and sends LEADERINFO to every
\* learner; later learners get LEADERINFO at once.
LeaderProcessFOLLOWERINFO(i, j) ==
    /\ HeadIs(j, i, "FOLLOWERINFO")
    /\ CanProcessFOLLOWERINFO(i, j, Head(msgs[j][i]))
    /\ LET m        == Head(msgs[j][i])
           net      == Consume(j, i)
           joined   == learners[i] \cup {j}
           wasFixed == EpochFixed(i)
           fixesNow == ~wasFixed /\ IsQuorum(joined \cup {i})
           e        == IF wasFixed THEN leaderEpoch[i] ELSE Max(leaderEpoch[i], m.mepoch + 1)
       IN /\ learners' = [learners EXCEPT ![i] = joined]
          /\ leaderEpoch' = [leaderEpoch EXCEPT ![i] = e]
          /\ acceptedEpoch' = IF fixesNow THEN [acceptedEpoch EXCEPT ![i] = e] ELSE acceptedEpoch
          /\ msgs' = IF wasFixed THEN Send(net, i, j, LeaderInfoMsg(e))
                     ELSE IF fixesNow THEN SendAll(net, i, joined, LeaderInfoMsg(e))
                     ELSE net
          /\ ackEpochRecv' = [ackEpochRecv EXCEPT ![i] =
                                 [k \in DOMAIN @ \ {j} |-> ackEpochRecv[i][k]]]
          /\ syncedLearners' = [syncedLearners EXCEPT ![i] = @ \ {j}]
          /\ newLeaderAcks' = [newLeaderAcks EXCEPT ![i] = @ \ {j}]
          /\ ackIndex' = [ackIndex EXCEPT ![i][j] = 0]
    /\ UNCHANGED <<electionVars, history, currentEpoch, zabState, syncStage, lastCommitted, ghostVars>>

CanProcessACKEPOCH(i, j, m) ==
    /\ state[i] = LEADING
    /\ j \in learners[i]
    /\ EpochFixed(i)
    /\ m.mepoch = leaderEpoch[i]

\* L counts j's acknowledgement of the new epoch. Before a quorum has
\* acknowledged, a voter ahead of L is ignored, and the acknowledgement that
\* completes the quorum makes the epoch L's current epoch and sends every
\* acknowledged learner its synchronization. Afterwards j is synced at once.
LeaderProcessACKEPOCH(i, j) ==
    /\ HeadIs(j, i, "ACKEPOCH")
    /\ CanProcessACKEPOCH(i, j, Head(msgs[j][i]))
    /\ LET m      == Head(msgs[j][i])
           net    == Consume(j, i)
           acks   == Put(ackEpochRecv[i], j, [currentEpoch |-> m.mcurrentEpoch, zxid |-> m.mzxid])
           counts == {k \in DOMAIN acks : acks[k].currentEpoch # -1}
           ahead  == /\ m.mcurrentEpoch # -1
                     /\ MoreRecent(m.mcurrentEpoch, m.mzxid, currentEpoch[i], LastZxid(history[i]))
       IN IF zabState[i] = DISCOVERY
          THEN IF ahead
               THEN /\ msgs' = net   \* j knows more than L: L will not sync it
                    /\ UNCHANGED <<currentEpoch, zabState, ackEpochRecv, syncedLearners, ackIndex>>
               ELSE IF IsQuorum(counts \cup {i})
               THEN /\ currentEpoch' = [currentEpoch EXCEPT ![i] = leaderEpoch[i]]
                    /\ zabState' = [zabState EXCEPT ![i] = SYNCHRONIZATION]
                    /\ ackEpochRecv' = [ackEpochRecv EXCEPT ![i] = acks]
                    /\ syncedLearners' = [syncedLearners EXCEPT ![i] = DOMAIN acks]
                    /\ ackIndex' = [ackIndex EXCEPT ![i][i] = Len(history[i])]
                    /\ msgs' = [net EXCEPT ![i] = [k \in Server |->
                                   IF k \in DOMAIN acks
                                   THEN net[i][k] \o SyncMessages(i, acks[k].zxid)
                                   ELSE net[i][k]]]
               ELSE /\ ackEpochRecv' = [ackEpochRecv EXCEPT ![i] = acks]
                    /\ msgs' = net
                    /\ UNCHANGED <<currentEpoch, zabState, syncedLearners, ackIndex>>
          ELSE /\ ackEpochRecv' = [ackEpochRecv EXCEPT ![i] = acks]
               /\ syncedLearners' = [syncedLearners EXCEPT ![i] = @ \cup {j}]
               /\ msgs' = [net EXCEPT ![i][j] = @ \o SyncMessages(i, m.mzxid)]
               /\ UNCHANGED <<currentEpoch, zabState, ackIndex>>
    /\ UNCHANGED <<electionVars, history, acceptedEpoch, syncStage, lastCommitted,
                   learners, leaderEpoch, newLeaderAcks, ghostVars>>

CanProcessACKLD(i, j, m) ==
    /\ state[i] = LEADING
    /\ j \in syncedLearners[i]
    /\ m.mepoch = leaderEpoch[i]

\* L counts j's acknowledgement of NEWLEADER (j logged L's log up to the
\* zxid it names). The one that completes a quorum of voters establishes L:
\* its whole log is committed and every acknowledged learner gets UPTODATE.
\* Later ones get UPTODATE at once.
LeaderProcessACKLD(i, j) ==
    /\ HeadIs(j, i, "ACKLD")
    /\ CanProcessACKLD(i, j, Head(msgs[j][i]))
    /\ LET m      == Head(msgs[j][i])
           net    == Consume(j, i)
           acked  == newLeaderAcks[i] \cup {j}
           e      == leaderEpoch[i]
       IN /\ newLeaderAcks' = [newLeaderAcks EXCEPT ![i] = acked]
          /\ IF zabState[i] = SYNCHRONIZATION /\ IsQuorum(acked \cup {i})
             THEN /\ zabState' = [zabState EXCEPT ![i] = BROADCAST]
                  /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Len(history[i])]
                  /\ ackIndex' = [ackIndex EXCEPT ![i][j] = Max(@, IndexOfZxid(history[i], m.mzxid))]
                  /\ establishedLeaders' = establishedLeaders \cup {<<e, i>>}
                  /\ committedTxns' = committedTxns \cup Range(history[i])
                  /\ msgs' = SendAll(net, i, acked, UpToDateMsg(e, LastZxid(history[i])))
             ELSE /\ ackIndex' = [ackIndex EXCEPT ![i][j] = Max(@, IndexOfZxid(history[i], m.mzxid))]
                  /\ msgs' = IF zabState[i] = BROADCAST
                             THEN Send(net, i, j, UpToDateMsg(e, CommittedZxid(i)))
                             ELSE net
                  /\ UNCHANGED <<zabState, lastCommitted, establishedLeaders, committedTxns>>
    /\ UNCHANGED <<electionVars, history, currentEpoch, acceptedEpoch, syncStage,
                   learners, leaderEpoch, ackEpochRecv, syncedLearners, proposedTxns, faults>>

\* An established leader turns a client request into the next transaction of
\* its epoch: logs it (its own acknowledgement) and proposes it to the synced
\* followers.
LeaderProcessRequest(i, v) ==
    /\ state[i] = LEADING
    /\ zabState[i] = BROADCAST
    /\ LET e    == leaderEpoch[i]
           last == LastZxid(history[i])
           txn  == [zxid |-> <<e, IF last[1] = e THEN last[2] + 1 ELSE 1>>, value |-> v]
       IN /\ history' = [history EXCEPT ![i] = Append(@, txn)]
          /\ ackIndex' = [ackIndex EXCEPT ![i][i] = Len(history[i]) + 1]
          /\ proposedTxns' = proposedTxns \cup {txn}
          /\ msgs' = SendAll(msgs, i, syncedLearners[i] \cap Voter, ProposalMsg(e, txn))
    /\ UNCHANGED <<electionVars, currentEpoch, zabVars, learners, leaderEpoch, ackEpochRecv,
                   syncedLearners, newLeaderAcks, committedTxns, establishedLeaders, faults>>

CanProcessACK(i, j, m) ==
    /\ state[i] = LEADING
    /\ zabState[i] = BROADCAST
    /\ j \in syncedLearners[i] \cap Voter
    /\ m.mepoch = leaderEpoch[i]

\* L notes that j logged its log up to the acknowledged zxid.
LeaderProcessACK(i, j) ==
    /\ HeadIs(j, i, "ACK")
    /\ CanProcessACK(i, j, Head(msgs[j][i]))
    /\ LET m == Head(msgs[j][i]) IN
       ackIndex' = [ackIndex EXCEPT ![i][j] = Max(@, IndexOfZxid(history[i], m.mzxid))]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, history, currentEpoch, zabVars, learners, leaderEpoch,
                   ackEpochRecv, syncedLearners, newLeaderAcks, ghostVars>>

\* L commits its next transaction once a quorum of voters (L included)
\* acknowledged it, and tells followers (COMMIT) and observers (INFORM).
LeaderCommit(i) ==
    /\ state[i] = LEADING
    /\ zabState[i] = BROADCAST
    /\ lastCommitted[i] < Len(history[i])
    /\ LET k   == lastCommitted[i] + 1
           txn == history[i][k]
           e   == leaderEpoch[i]
       IN /\ CommitQuorumAcked(i, k)
          /\ lastCommitted' = [lastCommitted EXCEPT ![i] = k]
          /\ committedTxns' = committedTxns \cup {txn}
          /\ msgs' = SendAll(SendAll(msgs, i, syncedLearners[i] \cap Voter, CommitMsg(e, txn.zxid)),
                             i, syncedLearners[i] \cap Observer, InformMsg(e, txn))
    /\ UNCHANGED <<electionVars, history, currentEpoch, acceptedEpoch, zabState, syncStage,
                   leaderVars, proposedTxns, establishedLeaders, faults>>

-----------------------------------------------------------------------------
(* Learner steps (followers and observers)                                 *)

CanProcessLEADERINFO(i, j, m) ==
    /\ IsLearner(i)
    /\ zabState[i] = DISCOVERY
    /\ j = LeaderOf(i)

\* A learner answers its leader's new epoch, or gives up on a leader whose
\* epoch is older than one it already accepted.
LearnerProcessLEADERINFO(i, j) ==
    /\ HeadIs(j, i, "LEADERINFO")
    /\ CanProcessLEADERINFO(i, j, Head(msgs[j][i]))
    /\ LET m   == Head(msgs[j][i])
           net == Consume(j, i)
       IN IF m.mepoch >= acceptedEpoch[i]
          THEN /\ acceptedEpoch' = [acceptedEpoch EXCEPT ![i] = m.mepoch]
               /\ msgs' = Send(net, i, j, AckEpochMsg(m.mepoch,
                              IF m.mepoch > acceptedEpoch[i] THEN currentEpoch[i] ELSE -1,
                              LastZxid(history[i])))
               /\ zabState' = [zabState EXCEPT ![i] = SYNCHRONIZATION]
               /\ syncStage' = [syncStage EXCEPT ![i] = AWAIT_SYNC]
               /\ UNCHANGED <<electionVars, history, currentEpoch, lastCommitted, leaderVars,
                              ghostVars>>
          ELSE /\ GoLooking(i, net)
               /\ UNCHANGED faults

CanProcessSync(i, j, m) ==
    /\ IsLearner(i)
    /\ syncStage[i] = AWAIT_SYNC
    /\ j = LeaderOf(i)
    /\ m.mepoch = acceptedEpoch[i]

\* The learner's log gets the transactions after its last zxid.
LearnerProcessDIFF(i, j) ==
    /\ HeadIs(j, i, "DIFF")
    /\ CanProcessSync(i, j, Head(msgs[j][i]))
    /\ history' = [history EXCEPT ![i] = @ \o Head(msgs[j][i]).mtxns]
    /\ syncStage' = [syncStage EXCEPT ![i] = AWAIT_NEWLEADER]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, currentEpoch, acceptedEpoch, zabState, lastCommitted,
                   leaderVars, ghostVars>>

\* The learner drops the transactions after the given zxid, then appends.
LearnerProcessTRUNC(i, j) ==
    /\ HeadIs(j, i, "TRUNC")
    /\ CanProcessSync(i, j, Head(msgs[j][i]))
    /\ LET m    == Head(msgs[j][i])
           kept == TruncateTo(history[i], m.mzxid)
       IN /\ history' = [history EXCEPT ![i] = kept \o m.mtxns]
          /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Min(@, Len(kept))]
    /\ syncStage' = [syncStage EXCEPT ![i] = AWAIT_NEWLEADER]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, currentEpoch, acceptedEpoch, zabState, leaderVars, ghostVars>>

\* The learner's log becomes the leader's.
LearnerProcessSNAP(i, j) ==
    /\ HeadIs(j, i, "SNAP")
    /\ CanProcessSync(i, j, Head(msgs[j][i]))
    /\ LET m == Head(msgs[j][i]) IN
       /\ history' = [history EXCEPT ![i] = m.mtxns]
       /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Min(@, Len(m.mtxns))]
    /\ syncStage' = [syncStage EXCEPT ![i] = AWAIT_NEWLEADER]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, currentEpoch, acceptedEpoch, zabState, leaderVars, ghostVars>>

CanProcessNEWLEADER(i, j, m) ==
    /\ IsLearner(i)
    /\ syncStage[i] = AWAIT_NEWLEADER
    /\ j = LeaderOf(i)
    /\ m.mepoch = acceptedEpoch[i]

\* The learner's log now matches the leader's: it takes the epoch as its
\* current epoch (persistently) and acknowledges.
LearnerProcessNEWLEADER(i, j) ==
    /\ HeadIs(j, i, "NEWLEADER")
    /\ CanProcessNEWLEADER(i, j, Head(msgs[j][i]))
    /\ LET m == Head(msgs[j][i]) IN
       /\ currentEpoch' = [currentEpoch EXCEPT ![i] = m.mepoch]
       /\ msgs' = Send(Consume(j, i), i, j, AckLdMsg(m.mepoch, m.mzxid))
    /\ syncStage' = [syncStage EXCEPT ![i] = AWAIT_UPTODATE]
    /\ UNCHANGED <<electionVars, history, acceptedEpoch, zabState, lastCommitted,
                   leaderVars, ghostVars>>

CanProcessUPTODATE(i, j, m) ==
    /\ IsLearner(i)
    /\ syncStage[i] = AWAIT_UPTODATE
    /\ j = LeaderOf(i)
    /\ m.mepoch = currentEpoch[i]

\* The leader is established: commit up to its commit point, start serving.
LearnerProcessUPTODATE(i, j) ==
    /\ HeadIs(j, i, "UPTODATE")
    /\ CanProcessUPTODATE(i, j, Head(msgs[j][i]))
    /\ lastCommitted' = [lastCommitted EXCEPT ![i] =
                            Max(@, IndexOfZxid(history[i], Head(msgs[j][i]).mzxid))]
    /\ zabState' = [zabState EXCEPT ![i] = BROADCAST]
    /\ syncStage' = [syncStage EXCEPT ![i] = NONE]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, history, currentEpoch, acceptedEpoch, leaderVars, ghostVars>>

\* A synced learner of the current epoch (after NEWLEADER).
InSession(i) == zabState[i] = BROADCAST \/ syncStage[i] = AWAIT_UPTODATE

CanProcessPROPOSAL(i, j, m) ==
    /\ state[i] = FOLLOWING
    /\ InSession(i)
    /\ ProposalInSession(i, j, m)
    /\ ExtendsLog(i, m.mtxn.zxid)

\* A follower logs the proposal and acknowledges it.
FollowerProcessPROPOSAL(i, j) ==
    /\ HeadIs(j, i, "PROPOSAL")
    /\ CanProcessPROPOSAL(i, j, Head(msgs[j][i]))
    /\ LET m == Head(msgs[j][i]) IN
       /\ history' = [history EXCEPT ![i] = Append(@, LogEntryFor(i, m.mtxn))]
       /\ msgs' = Send(Consume(j, i), i, j, AckMsg(m.mepoch, m.mtxn.zxid))
    /\ UNCHANGED <<electionVars, currentEpoch, zabVars, leaderVars, ghostVars>>

CanProcessCOMMIT(i, j, m) ==
    /\ state[i] = FOLLOWING
    /\ InSession(i)
    /\ m.mepoch = currentEpoch[i]
    /\ j = LeaderOf(i)
    /\ IndexOfZxid(history[i], m.mzxid) > 0

\* A follower delivers everything up to the committed zxid.
FollowerProcessCOMMIT(i, j) ==
    /\ HeadIs(j, i, "COMMIT")
    /\ CanProcessCOMMIT(i, j, Head(msgs[j][i]))
    /\ lastCommitted' = [lastCommitted EXCEPT ![i] =
                            Max(@, IndexOfZxid(history[i], Head(msgs[j][i]).mzxid))]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, history, currentEpoch, acceptedEpoch, zabState, syncStage,
                   leaderVars, ghostVars>>

CanProcessINFORM(i, j, m) ==
    /\ state[i] = OBSERVING
    /\ InSession(i)
    /\ m.mepoch = currentEpoch[i]
    /\ j = LeaderOf(i)
    /\ IndexOfZxid(history[i], m.mtxn.zxid) > 0 \/ ExtendsLog(i, m.mtxn.zxid)

\* An observer logs (if new) and delivers a committed transaction.
ObserverProcessINFORM(i, j) ==
    /\ HeadIs(j, i, "INFORM")
    /\ CanProcessINFORM(i, j, Head(msgs[j][i]))
    /\ LET t == Head(msgs[j][i]).mtxn
           k == IndexOfZxid(history[i], t.zxid)
       IN IF k > 0
          THEN /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Max(@, k)]
               /\ UNCHANGED history
          ELSE /\ history' = [history EXCEPT ![i] = Append(@, LogEntryFor(i, t))]
               /\ lastCommitted' = [lastCommitted EXCEPT ![i] = Len(history[i]) + 1]
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, currentEpoch, acceptedEpoch, zabState, syncStage,
                   leaderVars, ghostVars>>

-----------------------------------------------------------------------------
(* Messages nobody can use, giving up, restarts, the network               *)

Acceptable(i, j, m) ==
    CASE m.mtype = "FOLLOWERINFO" -> CanProcessFOLLOWERINFO(i, j, m)
      [] m.mtype = "ACKEPOCH"     -> CanProcessACKEPOCH(i, j, m)
      [] m.mtype = "ACKLD"        -> CanProcessACKLD(i, j, m)
      [] m.mtype = "ACK"          -> CanProcessACK(i, j, m)
      [] m.mtype = "LEADERINFO"   -> CanProcessLEADERINFO(i, j, m)
      [] m.mtype \in {"DIFF", "TRUNC", "SNAP"} -> CanProcessSync(i, j, m)
      [] m.mtype = "NEWLEADER"    -> CanProcessNEWLEADER(i, j, m)
      [] m.mtype = "UPTODATE"     -> CanProcessUPTODATE(i, j, m)
      [] m.mtype = "PROPOSAL"     -> CanProcessPROPOSAL(i, j, m)
      [] m.mtype = "COMMIT"       -> CanProcessCOMMIT(i, j, m)
      [] m.mtype = "INFORM"       -> CanProcessINFORM(i, j, m)

\* i receives a message that does not fit its role, session or log (from an
\* earlier session, another leader, or past a gap) and ignores it.
DiscardMessage(i, j) ==
    /\ msgs[j][i] # <<>>
    /\ ~Acceptable(i, j, Head(msgs[j][i]))
    /\ msgs' = Consume(j, i)
    /\ UNCHANGED <<electionVars, history, currentEpoch, zabVars, leaderVars, ghostVars>>

\* A learner stops hearing from its leader (timeout, closed connection,
\* rejected registration) and looks for a leader again.
LearnerTimeout(i) ==
    /\ IsLearner(i)
    /\ GoLooking(i, msgs)
    /\ faults' = [faults EXCEPT !.timeout = @ + 1]

\* A leader loses its quorum (or does not gather one in time) and looks
\* for a leader again.
LeaderTimeout(i) ==
    /\ state[i] = LEADING
    /\ GoLooking(i, msgs)
    /\ faults' = [faults EXCEPT !.timeout = @ + 1]

\* i crashed at some earlier point and now restarts: every volatile variable
\* starts afresh, what was in flight to or from i is gone (its connections
\* were reset), its log and epochs are as it persisted them.
Restart(i) ==
    /\ StartRound(i, 1, [a \in Server |-> [b \in Server |->
                            IF a = i \/ b = i THEN <<>> ELSE electionMsgs[a][b]]])
    /\ msgs' = [a \in Server |-> [b \in Server |-> IF a = i \/ b = i THEN <<>> ELSE msgs[a][b]]]
    /\ zabState' = [zabState EXCEPT ![i] = ELECTION]
    /\ syncStage' = [syncStage EXCEPT ![i] = NONE]
    /\ lastCommitted' = [lastCommitted EXCEPT ![i] = 0]
    /\ ResetLeaderState(i)
    /\ faults' = [faults EXCEPT !.restart = @ + 1]
    /\ UNCHANGED <<history, currentEpoch, acceptedEpoch, proposedTxns, committedTxns,
                   establishedLeaders>>

\* The connection between i and j breaks: everything in flight is lost.
DropConnection(i, j) ==
    /\ i < j
    /\ msgs[i][j] # <<>> \/ msgs[j][i] # <<>>
    /\ msgs' = [msgs EXCEPT ![i][j] = <<>>, ![j][i] = <<>>]
    /\ faults' = [faults EXCEPT !.drop = @ + 1]
    /\ UNCHANGED <<electionVars, history, currentEpoch, zabVars, leaderVars,
                   proposedTxns, committedTxns, establishedLeaders>>

-----------------------------------------------------------------------------
(* The specification                                                       *)

\* Every server starts from the given persisted state, all at once, with
\* nothing committed yet in this run of the servers; `est` are the leaders
\* established before (for AtMostOneLeaderPerEpoch); the first notifications
\* of the servers in `heard` are in flight.
InitHeardFrom(heard, h, ce, ae, est) ==
    /\ history = h
    /\ currentEpoch = ce
    /\ acceptedEpoch = ae
    /\ ElectionInitHeard(heard)
    /\ zabState = [i \in Server |-> ELECTION]
    /\ syncStage = [i \in Server |-> NONE]
    /\ lastCommitted = [i \in Server |-> 0]
    /\ learners = [i \in Server |-> {}]
    /\ leaderEpoch = [i \in Server |-> 0]
    /\ ackEpochRecv = [i \in Server |-> EmptyFn]
    /\ syncedLearners = [i \in Server |-> {}]
    /\ newLeaderAcks = [i \in Server |-> {}]
    /\ ackIndex = [i \in Server |-> [k \in Server |-> 0]]
    /\ msgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ proposedTxns = UNION {Range(h[i]) : i \in Server}
    /\ committedTxns = {}
    /\ establishedLeaders = est
    /\ faults = [restart |-> 0, timeout |-> 0, resend |-> 0, drop |-> 0]

InitFrom(h, ce, ae, est) == InitHeardFrom(Server, h, ce, ae, est)

\* A fresh ensemble: empty logs, epoch 0.
Init == InitFrom([i \in Server |-> <<>>], [i \in Server |-> 0], [i \in Server |-> 0], {})

Next ==
    \/ \E i, j \in Server : FLEReceiveNotification(i, j)
    \/ \E i \in Server : FLEDecide(i)
    \/ \E i \in Server : FLENotificationTimeout(i)
    \/ \E i, j \in Server : LeaderProcessFOLLOWERINFO(i, j)
    \/ \E i, j \in Server : LeaderProcessACKEPOCH(i, j)
    \/ \E i, j \in Server : LeaderProcessACKLD(i, j)
    \/ \E i \in Server, v \in Value : LeaderProcessRequest(i, v)
    \/ \E i, j \in Server : LeaderProcessACK(i, j)
    \/ \E i \in Server : LeaderCommit(i)
    \/ \E i, j \in Server : LearnerProcessLEADERINFO(i, j)
    \/ \E i, j \in Server : LearnerProcessDIFF(i, j)
    \/ \E i, j \in Server : LearnerProcessTRUNC(i, j)
    \/ \E i, j \in Server : LearnerProcessSNAP(i, j)
    \/ \E i, j \in Server : LearnerProcessNEWLEADER(i, j)
    \/ \E i, j \in Server : LearnerProcessUPTODATE(i, j)
    \/ \E i, j \in Server : FollowerProcessPROPOSAL(i, j)
    \/ \E i, j \in Server : FollowerProcessCOMMIT(i, j)
    \/ \E i, j \in Server : ObserverProcessINFORM(i, j)
    \/ \E i, j \in Server : DiscardMessage(i, j)
    \/ \E i \in Server : LearnerTimeout(i)
    \/ \E i \in Server : LeaderTimeout(i)
    \/ \E i \in Server : Restart(i)
    \/ \E i, j \in Server : DropConnection(i, j)
    \/ \E i, j \in Server : FLEDropNotification(i, j)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Types                                                                   *)

Txn == [zxid : Zxid, value : Value]
ZabMessage ==
    [mtype : {"FOLLOWERINFO", "LEADERINFO"}, mepoch : Nat]
    \cup [mtype : {"ACKEPOCH"}, mepoch : Nat, mcurrentEpoch : Nat \cup {-1}, mzxid : Zxid]
    \cup [mtype : {"DIFF", "SNAP"}, mepoch : Nat, mtxns : Seq(Txn)]
    \cup [mtype : {"TRUNC"}, mepoch : Nat, mzxid : Zxid, mtxns : Seq(Txn)]
    \cup [mtype : {"NEWLEADER", "ACKLD", "UPTODATE", "ACK", "COMMIT"}, mepoch : Nat, mzxid : Zxid]
    \cup [mtype : {"PROPOSAL", "INFORM"}, mepoch : Nat, mtxn : Txn]

TypeOK ==
    /\ ElectionTypeOK
    /\ history \in [Server -> Seq(Txn)]
    /\ currentEpoch \in [Server -> Nat]
    /\ acceptedEpoch \in [Server -> Nat]
    /\ zabState \in [Server -> {ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST}]
    /\ syncStage \in [Server -> {NONE, AWAIT_SYNC, AWAIT_NEWLEADER, AWAIT_UPTODATE}]
    /\ \A i \in Server : lastCommitted[i] \in 0..Len(history[i])
    /\ learners \in [Server -> SUBSET Server]
    /\ leaderEpoch \in [Server -> Nat]
    /\ \A i \in Server : DOMAIN ackEpochRecv[i] \subseteq Server
    /\ syncedLearners \in [Server -> SUBSET Server]
    /\ newLeaderAcks \in [Server -> SUBSET Server]
    /\ ackIndex \in [Server -> [Server -> Nat]]
    /\ msgs \in [Server -> [Server -> Seq(ZabMessage)]]
    /\ proposedTxns \subseteq Txn
    /\ committedTxns \subseteq Txn
    /\ establishedLeaders \subseteq Nat \X Server
    /\ faults \in [restart : Nat, timeout : Nat, resend : Nat, drop : Nat]

-----------------------------------------------------------------------------
(* Safety. "Delivered" is the committed prefix of a server's log.          *)

Delivered(i) == SubSeq(history[i], 1, lastCommitted[i])
DeliveredSet(i) == Range(Delivered(i))
IsPrefix(s, t) == Len(s) <= Len(t) /\ SubSeq(t, 1, Len(s)) = s
\* a comes before b in i's delivered sequence
DeliveredBefore(i, a, b) ==
    \E x, y \in 1..lastCommitted[i] : x < y /\ history[i][x] = a /\ history[i][y] = b

\* At most one leader is ever established in an epoch.
AtMostOneLeaderPerEpoch ==
    \A a, b \in establishedLeaders : a[1] = b[1] => a[2] = b[2]

\* Any two servers delivered sequences of which one extends the other.
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
    \A i, j \in Server : \A x, y \in 1..lastCommitted[i] :
        x < y /\ history[i][y] \in DeliveredSet(j) =>
            DeliveredBefore(j, history[i][x], history[i][y])

\* If a leader proposed a before b, whoever delivered b delivered a before b.
LocalPrimaryOrder ==
    \A i \in Server : \A a, b \in proposedTxns :
        a.zxid[1] = b.zxid[1] /\ a.zxid[2] < b.zxid[2] /\ b \in DeliveredSet(i) =>
            DeliveredBefore(i, a, b)

\* Transactions of an earlier epoch are delivered before those of a later one.
GlobalPrimaryOrder ==
    \A i \in Server : \A x, y \in 1..lastCommitted[i] :
        history[i][x].zxid[1] < history[i][y].zxid[1] => x < y

\* An established leader has delivered every transaction of an earlier epoch
\* that anybody delivered, before anything it proposes itself.
PrimaryIntegrity ==
    \A l \in Server : state[l] = LEADING /\ zabState[l] = BROADCAST =>
        \A i \in Server : \A a \in DeliveredSet(i) :
            a.zxid[1] < leaderEpoch[l] =>
                /\ a \in DeliveredSet(l)
                /\ \A b \in Range(history[l]) : b.zxid[1] = leaderEpoch[l] =>
                        \E x, y \in 1..Len(history[l]) :
                            x < y /\ history[l][x] = a /\ history[l][y] = b

\* A transaction once committed by a quorum is in the log of every leader
\* established in a later epoch, and of every learner synced to one.
CommittedNeverLost ==
    \A t \in committedTxns : \A i \in Server :
        zabState[i] = BROADCAST /\ currentEpoch[i] > t.zxid[1] => t \in Range(history[i])
=============================================================================
