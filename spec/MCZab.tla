-------------------------------- MODULE MCZab --------------------------------
(***************************************************************************)
(* Models of Zab.tla for TLC: bounds, starting states, scenarios,          *)
(* reachability checks and broken variants. The bounds are a state         *)
(* constraint: states past them are not explored further. The hand-built   *)
(* starting states are for servers {1, 2, 3} (and observer 4).             *)
(***************************************************************************)
EXTENDS Zab

CONSTANTS
    MaxEpoch,      \* no server accepts an epoch above this
    MaxRound,      \* no election round above this
    MaxRequests,   \* at most this many client requests
    MaxCrashes,    \* at most this many crashes in all
    MaxRestarts,   \* at most this many restarts in all
    MaxTimeouts,   \* at most this many learner or leader timeouts
    MaxResends,    \* at most this many notification timeouts (resends)
    MaxLosses,     \* at most this many lost notifications
    MaxBreaks,     \* at most this many broken connections
    MaxSnapshots   \* at most this many snapshots taken

StateConstraint ==
    /\ \A i \in Server : acceptedEpoch[i] <= MaxEpoch /\ logicalClock[i] <= MaxRound
    /\ counters.request <= MaxRequests
    /\ counters.crash <= MaxCrashes
    /\ counters.restart <= MaxRestarts
    /\ counters.timeout <= MaxTimeouts
    /\ counters.resend <= MaxResends
    /\ counters.loss <= MaxLosses
    /\ counters.break <= MaxBreaks
    /\ counters.snapshot <= MaxSnapshots

\* For simulation: only steps that stay within the bounds. TLC's simulator
\* ends a behaviour at the first state outside the state constraint; with
\* this next-state relation the bounds disable the fault steps instead.
BoundedNext == Next /\ StateConstraint'

\* Client values are interchangeable: no action or invariant singles one out.
ValueSymmetry == Permutations(Value)

V1 == CHOOSE v \in Value : TRUE
V2 == CHOOSE v \in Value : v # V1
Tx(e, c, v) == [zxid |-> <<e, c>>, value |-> v]

(***************************************************************************)
(* Hand-built starting states. Each is a state the correct protocol        *)
(* reaches from Init (the comments give the steps); starting there leaves  *)
(* the interleavings that lead to it to the models that start earlier.     *)
(***************************************************************************)

FirstLeader == 3

\* Right after the first election of a fresh ensemble: every log is empty,
\* so the highest id, 3, leads epoch 1 (the one after the epoch it
\* accepted, 0); every other server follows (voters) or observes it, has
\* connected and sent FOLLOWERINFO (FLEDecide, LearnerConnect), and every
\* notification has been received.
SettledInit ==
    LET l == FirstLeader IN
    /\ log = [i \in Server |-> <<>>]
    /\ currentEpoch = [i \in Server |-> 0]
    /\ durableLen = [i \in Server |-> 0]
    /\ snapshotLen = [i \in Server |-> 0]
    /\ acceptedEpoch = [i \in Server |-> 0]
    /\ state = [i \in Server |-> RoleFor(i, l)]
    /\ logicalClock = [i \in Server |-> 1]
    /\ currentVote = [i \in Server |-> [leader |-> l, zxid |-> ZeroZxid, epoch |-> 0]]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ zabState = [i \in Server |-> DISCOVERY]
    /\ syncStage = [i \in Server |-> NONE]
    /\ syncMode = [i \in Server |-> NONE]
    /\ lastCommitted = [i \in Server |-> 0]
    /\ learners = [i \in Server |-> {}]
    /\ connectingFollowers = [i \in Server |-> {}]
    /\ leaderEpoch = [i \in Server |-> IF i = l THEN 1 ELSE 0]
    /\ epochAcks = [i \in Server |-> EmptyFn]
    /\ forwarding = [i \in Server |-> {}]
    /\ newLeaderAcks = [i \in Server |-> {}]
    /\ proposalAcks = [i \in Server |-> EmptyFn]
    /\ msgs = [i \in Server |-> [j \in Server |->
                  IF j = l /\ i # l THEN <<FollowerInfoMsg(0)>> ELSE <<>>]]
    /\ conn = [i \in Server |-> [j \in Server |->
                  IF (i = l) # (j = l) THEN OPEN ELSE CLOSED]]
    /\ proposedTxns = {}
    /\ committedTxns = <<>>
    /\ deliveredTxns = [i \in Server |-> <<>>]
    /\ epochLeaders = {}
    /\ counters = NoCounts

\* SettledInit after leader 3 established epoch 1 with every server except
\* those in `late`: it processed the FOLLOWERINFO of 1 (which fixed the
\* epoch) and of the others, every one of them acknowledged the epoch
\* (current epoch 0, no zxid), got an empty DIFF and NEWLEADER, wrote
\* currentEpoch 1, acknowledged, and got UPTODATE. The FOLLOWERINFO of the
\* servers in `late` is still in flight. Every log is empty.
EstablishedWith(late) ==
    LET l      == FirstLeader
        synced == Server \ ({l} \cup late)
    IN
    /\ log = [i \in Server |-> <<>>]
    /\ currentEpoch = [i \in Server |-> IF i \in late THEN 0 ELSE 1]
    /\ durableLen = [i \in Server |-> 0]
    /\ snapshotLen = [i \in Server |-> 0]
    /\ acceptedEpoch = [i \in Server |-> IF i \in late THEN 0 ELSE 1]
    /\ state = [i \in Server |-> RoleFor(i, l)]
    /\ logicalClock = [i \in Server |-> 1]
    /\ currentVote = [i \in Server |-> [leader |-> l, zxid |-> ZeroZxid, epoch |-> 0]]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ zabState = [i \in Server |-> IF i \in late THEN DISCOVERY ELSE BROADCAST]
    /\ syncStage = [i \in Server |-> NONE]
    /\ syncMode = [i \in Server |-> IF i \in synced THEN DIFF ELSE NONE]
    /\ lastCommitted = [i \in Server |-> 0]
    /\ learners = [i \in Server |-> IF i = l THEN synced ELSE {}]
    /\ connectingFollowers = [i \in Server |-> IF i = l THEN {1} ELSE {}]
    /\ leaderEpoch = [i \in Server |-> IF i = l THEN 1 ELSE 0]
    /\ epochAcks = [i \in Server |-> IF i = l
                       THEN [k \in synced |-> [currentEpoch |-> 0, zxid |-> ZeroZxid]]
                       ELSE EmptyFn]
    /\ forwarding = [i \in Server |-> IF i = l THEN synced ELSE {}]
    /\ newLeaderAcks = [i \in Server |-> IF i = l THEN synced ELSE {}]
    /\ proposalAcks = [i \in Server |-> EmptyFn]
    /\ msgs = [i \in Server |-> [j \in Server |->
                  IF j = l /\ i \in late THEN <<FollowerInfoMsg(0)>> ELSE <<>>]]
    /\ conn = [i \in Server |-> [j \in Server |->
                  IF (i = l) # (j = l) THEN OPEN ELSE CLOSED]]
    /\ proposedTxns = {}
    /\ committedTxns = <<>>
    /\ deliveredTxns = [i \in Server |-> <<>>]
    /\ epochLeaders = {<<1, l>>}
    /\ counters = NoCounts

\* Leader 3 established in epoch 1 with every other server; nothing logged,
\* nothing in flight.
EstablishedInit == EstablishedWith({})

\* Leader 3 established in epoch 1 with server 1; server 2's FOLLOWERINFO is
\* still in flight: it joins late.
LateJoinerInit == EstablishedWith({2})

\* Servers that restarted together after a past that left them with logs
\* lg (durable; sn of it in a snapshot, delivered), epochs ce (current) and
\* ae (accepted): those in `up` are LOOKING in round 1 with their first
\* notifications in flight, the others are down. The bookkeeping of that
\* past: cm (committed, in order), dl (delivered), el (leaders that began
\* synchronizing), pr (proposed).
RestartedFrom(up, lg, sn, ce, ae, cm, dl, el, pr) ==
    /\ log = lg
    /\ currentEpoch = ce
    /\ durableLen = [i \in Server |-> Len(lg[i])]
    /\ snapshotLen = sn
    /\ acceptedEpoch = ae
    /\ state = [i \in Server |-> LOOKING]
    /\ logicalClock = [i \in Server |-> 1]
    /\ currentVote = [i \in Server |-> InitVote(i)]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |->
            IF i \in up /\ j \in up \cap Voter
            THEN <<Notification(InitVote(i), 1, LOOKING)>> ELSE <<>>]]
    /\ zabState = [i \in Server |-> IF i \in up THEN ELECTION ELSE DOWN]
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
    /\ proposedTxns = pr
    /\ committedTxns = cm
    /\ deliveredTxns = dl
    /\ epochLeaders = el
    /\ counters = NoCounts

\* The same past, right after an election that every server in `up` took
\* part in, all notifications received: l leads (it proposes the epoch
\* after the one it accepted), the others follow it and have connected and
\* sent FOLLOWERINFO.
SettledFrom(up, l, lg, sn, ce, ae, cm, dl, el, pr) ==
    /\ log = lg
    /\ currentEpoch = ce
    /\ durableLen = [i \in Server |-> Len(lg[i])]
    /\ snapshotLen = sn
    /\ acceptedEpoch = ae
    /\ state = [i \in Server |-> IF i \in up THEN RoleFor(i, l) ELSE LOOKING]
    /\ logicalClock = [i \in Server |-> 1]
    /\ currentVote = [i \in Server |->
          IF i \in up THEN [leader |-> l, zxid |-> LastZxid(lg[l]), epoch |-> ce[l]]
          ELSE [leader |-> i, zxid |-> LastZxid(lg[i]), epoch |-> ce[i]]]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ zabState = [i \in Server |-> IF i \in up THEN DISCOVERY ELSE DOWN]
    /\ syncStage = [i \in Server |-> NONE]
    /\ syncMode = [i \in Server |-> NONE]
    /\ lastCommitted = sn
    /\ learners = [i \in Server |-> {}]
    /\ connectingFollowers = [i \in Server |-> {}]
    /\ leaderEpoch = [i \in Server |-> IF i = l THEN FirstEpochToPropose(l) ELSE 0]
    /\ epochAcks = [i \in Server |-> EmptyFn]
    /\ forwarding = [i \in Server |-> {}]
    /\ newLeaderAcks = [i \in Server |-> {}]
    /\ proposalAcks = [i \in Server |-> EmptyFn]
    /\ msgs = [i \in Server |-> [j \in Server |->
                  IF j = l /\ i \in up \ {l} THEN <<FollowerInfoMsg(ae[i])>> ELSE <<>>]]
    /\ conn = [i \in Server |-> [j \in Server |->
                  IF (i = l /\ j \in up \ {l}) \/ (j = l /\ i \in up \ {l}) THEN OPEN ELSE CLOSED]]
    /\ proposedTxns = pr
    /\ committedTxns = cm
    /\ deliveredTxns = dl
    /\ epochLeaders = el
    /\ counters = NoCounts

(***************************************************************************)
(* A leader that gave up. From EstablishedInit: 3 proposed (1,1) = V1,     *)
(* every server made it durable, 3 committed it and 1 and 2 delivered it;  *)
(* then 3 gave up (LeaderTimeout): it is LOOKING in round 2 with its       *)
(* notifications in flight, and its connections are closed, so 1 and 2     *)
(* find theirs broken.                                                     *)
(***************************************************************************)
LeaderGaveUpInit ==
    LET l  == FirstLeader
        t  == Tx(1, 1, V1)
        v3 == [leader |-> l, zxid |-> t.zxid, epoch |-> 1]
    IN
    /\ log = [i \in Server |-> <<t>>]
    /\ currentEpoch = [i \in Server |-> 1]
    /\ durableLen = [i \in Server |-> 1]
    /\ snapshotLen = [i \in Server |-> 0]
    /\ acceptedEpoch = [i \in Server |-> 1]
    /\ state = [i \in Server |-> IF i = l THEN LOOKING ELSE RoleFor(i, l)]
    /\ logicalClock = [i \in Server |-> IF i = l THEN 2 ELSE 1]
    /\ currentVote = [i \in Server |->
          IF i = l THEN v3 ELSE [leader |-> l, zxid |-> ZeroZxid, epoch |-> 0]]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |->
          IF i = l /\ j \in Voter THEN <<Notification(v3, 2, LOOKING)>> ELSE <<>>]]
    /\ zabState = [i \in Server |-> IF i = l THEN ELECTION ELSE BROADCAST]
    /\ syncStage = [i \in Server |-> NONE]
    /\ syncMode = [i \in Server |-> IF i = l THEN NONE ELSE DIFF]
    /\ lastCommitted = [i \in Server |-> 1]
    /\ learners = [i \in Server |-> {}]
    /\ connectingFollowers = [i \in Server |-> {}]
    /\ leaderEpoch = [i \in Server |-> 0]
    /\ epochAcks = [i \in Server |-> EmptyFn]
    /\ forwarding = [i \in Server |-> {}]
    /\ newLeaderAcks = [i \in Server |-> {}]
    /\ proposalAcks = [i \in Server |-> EmptyFn]
    /\ msgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ conn = [i \in Server |-> [j \in Server |->
                  IF j = l /\ i # l THEN BROKEN ELSE CLOSED]]
    /\ proposedTxns = {t}
    /\ committedTxns = <<t>>
    /\ deliveredTxns = [i \in Server |-> <<t>>]
    /\ epochLeaders = {<<1, l>>}
    /\ counters = NoCounts

(***************************************************************************)
(* A follower that gave up. From EstablishedInit: 3 proposed (1,1) = V1,   *)
(* every server made it durable, 3 committed it and 1 and 2 delivered it;  *)
(* then 1 gave up on 3 (LearnerTimeout): it is LOOKING in round 2 with its *)
(* notifications in flight, and its connection is closed, so 3 finds its   *)
(* end broken.                                                             *)
(***************************************************************************)
FollowerGaveUpInit ==
    LET l  == FirstLeader
        t  == Tx(1, 1, V1)
        v1 == [leader |-> 1, zxid |-> t.zxid, epoch |-> 1]
    IN
    /\ log = [i \in Server |-> <<t>>]
    /\ currentEpoch = [i \in Server |-> 1]
    /\ durableLen = [i \in Server |-> 1]
    /\ snapshotLen = [i \in Server |-> 0]
    /\ acceptedEpoch = [i \in Server |-> 1]
    /\ state = [i \in Server |-> IF i = 1 THEN LOOKING ELSE RoleFor(i, l)]
    /\ logicalClock = [i \in Server |-> IF i = 1 THEN 2 ELSE 1]
    /\ currentVote = [i \in Server |->
          IF i = 1 THEN v1 ELSE [leader |-> l, zxid |-> ZeroZxid, epoch |-> 0]]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |->
          IF i = 1 /\ j \in Voter THEN <<Notification(v1, 2, LOOKING)>> ELSE <<>>]]
    /\ zabState = [i \in Server |-> IF i = 1 THEN ELECTION ELSE BROADCAST]
    /\ syncStage = [i \in Server |-> NONE]
    /\ syncMode = [i \in Server |-> IF i = 2 THEN DIFF ELSE NONE]
    /\ lastCommitted = [i \in Server |-> 1]
    /\ learners = [i \in Server |-> IF i = l THEN {1, 2} ELSE {}]
    /\ connectingFollowers = [i \in Server |-> IF i = l THEN {1} ELSE {}]
    /\ leaderEpoch = [i \in Server |-> IF i = l THEN 1 ELSE 0]
    /\ epochAcks = [i \in Server |-> IF i = l
                       THEN [k \in {1, 2} |-> [currentEpoch |-> 0, zxid |-> ZeroZxid]]
                       ELSE EmptyFn]
    /\ forwarding = [i \in Server |-> IF i = l THEN {1, 2} ELSE {}]
    /\ newLeaderAcks = [i \in Server |-> IF i = l THEN {1, 2} ELSE {}]
    /\ proposalAcks = [i \in Server |-> EmptyFn]
    /\ msgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ conn = [i \in Server |-> [j \in Server |->
                  IF {i, j} = {2, l} THEN OPEN ELSE IF i = l /\ j = 1 THEN BROKEN ELSE CLOSED]]
    /\ proposedTxns = {t}
    /\ committedTxns = <<t>>
    /\ deliveredTxns = [i \in Server |-> <<t>>]
    /\ epochLeaders = {<<1, l>>}
    /\ counters = NoCounts

(***************************************************************************)
(* A follower that crashed. From EstablishedInit: 3 proposed (1,1) = V1;   *)
(* 3 and 2 made it durable, 3 committed it, 2 delivered it; 1 crashed      *)
(* before (1,1) reached it, and 3 noticed its broken connection; 3 took a  *)
(* snapshot of (1,1). 1 is down; when it restarts it joins 3 (settled      *)
(* voters 2 and 3 name 3, which says LEADING) and, being behind 3's        *)
(* snapshot, is brought up to date by SNAP.                                *)
(***************************************************************************)
JoinInit ==
    LET l  == FirstLeader
        t  == Tx(1, 1, V1)
    IN
    /\ log = [i \in Server |-> IF i = 1 THEN <<>> ELSE <<t>>]
    /\ currentEpoch = [i \in Server |-> 1]
    /\ durableLen = [i \in Server |-> Len(log[i])]
    /\ snapshotLen = [i \in Server |-> IF i = l THEN 1 ELSE 0]
    /\ acceptedEpoch = [i \in Server |-> 1]
    /\ state = [i \in Server |-> IF i = 1 THEN LOOKING ELSE RoleFor(i, l)]
    /\ logicalClock = [i \in Server |-> 1]
    /\ currentVote = [i \in Server |-> [leader |-> l, zxid |-> ZeroZxid, epoch |-> 0]]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ zabState = [i \in Server |-> IF i = 1 THEN DOWN ELSE BROADCAST]
    /\ syncStage = [i \in Server |-> NONE]
    /\ syncMode = [i \in Server |-> IF i = 2 THEN DIFF ELSE NONE]
    /\ lastCommitted = [i \in Server |-> Len(log[i])]
    /\ learners = [i \in Server |-> IF i = l THEN {2} ELSE {}]
    /\ connectingFollowers = [i \in Server |-> IF i = l THEN {1} ELSE {}]
    /\ leaderEpoch = [i \in Server |-> IF i = l THEN 1 ELSE 0]
    /\ epochAcks = [i \in Server |-> IF i = l
                       THEN [k \in {1, 2} |-> [currentEpoch |-> 0, zxid |-> ZeroZxid]]
                       ELSE EmptyFn]
    /\ forwarding = [i \in Server |-> IF i = l THEN {2} ELSE {}]
    /\ newLeaderAcks = [i \in Server |-> IF i = l THEN {1, 2} ELSE {}]
    /\ proposalAcks = [i \in Server |-> EmptyFn]
    /\ msgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ conn = [i \in Server |-> [j \in Server |->
                  IF {i, j} = {2, l} THEN OPEN ELSE CLOSED]]
    /\ proposedTxns = {t}
    /\ committedTxns = <<t>>
    /\ deliveredTxns = [i \in Server |-> IF i = 1 THEN <<>> ELSE <<t>>]
    /\ epochLeaders = {<<1, l>>}
    /\ counters = NoCounts

(***************************************************************************)
(* A lagging and a diverged server. Epoch 1: leader 3 with followers 1 and *)
(* 2; 1 lost its connection before the first proposal and gave up; 3       *)
(* proposed (1,1) = V1, 3 and 2 made it durable, 3 committed it and 2      *)
(* delivered it; 3 proposed (1,2) = V2, made it durable, and its           *)
(* connection with 2 broke before 2 got it; 2 gave up and took a snapshot  *)
(* of (1,1); all three crashed. 1 and 2 restarted: 2 (epoch 1, (1,1))      *)
(* won over 1 (epoch 1, nothing) and leads; then 3 restarted and followed  *)
(* 2 on the word of 1 and 2 (settled voters naming 2, which says LEADING). *)
(* All three have sent FOLLOWERINFO; no FOLLOWERINFO has been received.    *)
(* 2 leads epoch 2; 1 is behind its snapshot (SNAP), 3 holds (1,2) that    *)
(* nobody else has (TRUNC, unless its ACKEPOCH arrives before the quorum:  *)
(* then 2 disconnects it, as it is ahead).                                 *)
(***************************************************************************)
LagLogs ==
    (1 :> <<>>) @@ (2 :> <<Tx(1, 1, V1)>>) @@ (3 :> <<Tx(1, 1, V1), Tx(1, 2, V2)>>)
LagSnapshots == (1 :> 0) @@ (2 :> 1) @@ (3 :> 0)
LagEpochs == (1 :> 1) @@ (2 :> 1) @@ (3 :> 1)
LagDelivered == (1 :> <<>>) @@ (2 :> <<Tx(1, 1, V1)>>) @@ (3 :> <<Tx(1, 1, V1)>>)
LagSettledInit ==
    SettledFrom({1, 2, 3}, 2, LagLogs, LagSnapshots, LagEpochs, LagEpochs, <<Tx(1, 1, V1)>>,
                LagDelivered, {<<1, 3>>}, {Tx(1, 1, V1), Tx(1, 2, V2)})

(***************************************************************************)
(* A diverged server. Epoch 1: leader 3 with followers 1 and 2; (1,1) = V1 *)
(* committed and delivered everywhere; 3 proposed (1,2) = V2, made it      *)
(* durable and crashed before anyone else got it. Epoch 2: 1 and 2 elected *)
(* 2, which committed (2,1) = V2 with 1 (both delivered it). Then all      *)
(* three crashed and restarted; 2 (epoch 2, (2,1)) won the election and    *)
(* leads epoch 3, and all three have sent FOLLOWERINFO. 3's last zxid      *)
(* (1,2) is not in 2's log: TRUNC back to (1,1), then (2,1).               *)
(***************************************************************************)
DivLogs ==
    (1 :> <<Tx(1, 1, V1), Tx(2, 1, V2)>>) @@ (2 :> <<Tx(1, 1, V1), Tx(2, 1, V2)>>)
    @@ (3 :> <<Tx(1, 1, V1), Tx(1, 2, V2)>>)
DivEpochs == (1 :> 2) @@ (2 :> 2) @@ (3 :> 1)
DivDelivered ==
    (1 :> <<Tx(1, 1, V1), Tx(2, 1, V2)>>) @@ (2 :> <<Tx(1, 1, V1), Tx(2, 1, V2)>>)
    @@ (3 :> <<Tx(1, 1, V1)>>)
DivSettledInit ==
    SettledFrom({1, 2, 3}, 2, DivLogs, [i \in Server |-> 0], DivEpochs, DivEpochs,
                <<Tx(1, 1, V1), Tx(2, 1, V2)>>, DivDelivered, {<<1, 3>>, <<2, 2>>},
                {Tx(1, 1, V1), Tx(1, 2, V2), Tx(2, 1, V2)})

\* Either past: a lagging and a diverged server, or a diverged server.
SyncInit == LagSettledInit \/ DivSettledInit

(***************************************************************************)
(* An uncommitted tail. Epoch 1: leader 3 with followers 1 and 2; (1,1) =  *)
(* V1 committed and delivered everywhere; 3 proposed (1,2) = V2 and made   *)
(* it durable; nobody else got it. All three crashed and restarted; 3      *)
(* (zxid (1,2)) won and leads epoch 2, and 1 and 2 have sent FOLLOWERINFO. *)
(* 3 will bring both up to date by a DIFF of (1,2), and commit it once a   *)
(* quorum has acknowledged NEWLEADER.                                      *)
(***************************************************************************)
TailLogs ==
    (1 :> <<Tx(1, 1, V1)>>) @@ (2 :> <<Tx(1, 1, V1)>>) @@ (3 :> <<Tx(1, 1, V1), Tx(1, 2, V2)>>)
TailSettledInit ==
    SettledFrom({1, 2, 3}, 3, TailLogs, [i \in Server |-> 0], [i \in Server |-> 1],
                [i \in Server |-> 1], <<Tx(1, 1, V1)>>, [i \in Server |-> <<Tx(1, 1, V1)>>],
                {<<1, 3>>}, {Tx(1, 1, V1), Tx(1, 2, V2)})

(***************************************************************************)
(* A committed tail that one server missed. Epoch 1: leader 3 with         *)
(* followers 1 and 2; (1,1) = V1 committed and delivered everywhere; 3     *)
(* proposed (1,2) = V2, 3 and 2 made it durable, 3 committed it and        *)
(* delivered it, 2 did not get the COMMIT; 1 lost its connection before    *)
(* (1,2) reached it. All three crashed and restarted; 3 and 2 (zxid (1,2)) *)
(* beat 1, the higher id, 3, leads epoch 2; 1 and 2 have sent              *)
(* FOLLOWERINFO.                                                           *)
(***************************************************************************)
MissedLogs ==
    (1 :> <<Tx(1, 1, V1)>>) @@ (2 :> <<Tx(1, 1, V1), Tx(1, 2, V2)>>)
    @@ (3 :> <<Tx(1, 1, V1), Tx(1, 2, V2)>>)
MissedDelivered ==
    (1 :> <<Tx(1, 1, V1)>>) @@ (2 :> <<Tx(1, 1, V1)>>) @@ (3 :> <<Tx(1, 1, V1), Tx(1, 2, V2)>>)
MissedSettledInit ==
    SettledFrom({1, 2, 3}, 3, MissedLogs, [i \in Server |-> 0], [i \in Server |-> 1],
                [i \in Server |-> 1], <<Tx(1, 1, V1), Tx(1, 2, V2)>>, MissedDelivered,
                {<<1, 3>>}, {Tx(1, 1, V1), Tx(1, 2, V2)})

(***************************************************************************)
(* A stale leader's past. Server 3 led epoch 1 with 2 while 1 was cut off, *)
(* and logged (1,1) = V1, which reached nobody else; 2 then led epoch 2    *)
(* with 1 and logged (2,1) = V2, which reached nobody else; all three      *)
(* crashed. Nothing was ever committed. 1 and 3 restarted; 2 is down.      *)
(* ZooKeeper's order makes 1 (epoch 2, nothing logged) win over 3 (epoch   *)
(* 1, zxid (1,1)); comparing the zxid first makes 3 win.                   *)
(***************************************************************************)
StaleLogs == (1 :> <<>>) @@ (2 :> <<Tx(2, 1, V2)>>) @@ (3 :> <<Tx(1, 1, V1)>>)
StaleEpochs == (1 :> 2) @@ (2 :> 2) @@ (3 :> 1)
StaleInit ==
    RestartedFrom({1, 3}, StaleLogs, [i \in Server |-> 0], StaleEpochs, StaleEpochs, <<>>,
                  [i \in Server |-> <<>>], {<<1, 3>>, <<2, 2>>}, {Tx(1, 1, V1), Tx(2, 1, V2)})

(***************************************************************************)
(* A leader ahead of its learners' epochs. Server 3 led epochs 1 and 2     *)
(* with 2 while 1 was cut off, and logged (2,1) = V1, which reached nobody *)
(* else; all crashed and restarted. Nothing was ever committed; 1 has      *)
(* accepted no epoch. 3 (epoch 2, zxid (2,1)) leads; 1 and 2 have sent     *)
(* FOLLOWERINFO.                                                           *)
(***************************************************************************)
AheadLogs == (1 :> <<>>) @@ (2 :> <<>>) @@ (3 :> <<Tx(2, 1, V1)>>)
AheadEpochs == (1 :> 0) @@ (2 :> 2) @@ (3 :> 2)
AheadSettledInit ==
    SettledFrom({1, 2, 3}, 3, AheadLogs, [i \in Server |-> 0], AheadEpochs, AheadEpochs, <<>>,
                [i \in Server |-> <<>>], {<<1, 3>>, <<2, 3>>}, {Tx(2, 1, V1)})

(***************************************************************************)
(* Reachability: properties that say a scenario never happens. A model     *)
(* that expects one of them violated proves that the scenario is reached   *)
(* in the state space of the passing model with the same bounds.           *)
(***************************************************************************)

\* A transaction was committed, and later a leader of a later epoch was
\* established (after the leader that committed it was lost).
NeverNewLeaderAfterCommit ==
    ~\E l \in Server :
        /\ state[l] = LEADING
        /\ zabState[l] = BROADCAST
        /\ \E t \in Range(committedTxns) : t.zxid[1] < leaderEpoch[l]

\* A learner brought up to date by DIFF (TRUNC, SNAP): it serves in
\* BROADCAST after a synchronization of that kind.
UpToDateBy(mode) ==
    \E i \in Server : IsLearner(i) /\ zabState[i] = BROADCAST /\ syncMode[i] = mode
\* (EstablishedInit's followers were brought up to date by an empty DIFF in
\* epoch 1: a DIFF that counts is one in epoch 2 or later.)
NeverUpToDateByDIFF ==
    ~\E i \in Server :
        /\ IsLearner(i)
        /\ zabState[i] = BROADCAST
        /\ syncMode[i] = DIFF
        /\ currentEpoch[i] >= 2
NeverUpToDateByTRUNC == ~UpToDateBy(TRUNC)
NeverUpToDateBySNAP == ~UpToDateBy(SNAP)

(***************************************************************************)
(* Broken variants. An expected-violation cfg substitutes one of these for *)
(* the check or choice of Zab.tla (or FastLeaderElection.tla) it names,    *)
(* with `<-`.                                                              *)
(***************************************************************************)

\* For CommitQuorumAcked: the leader commits without waiting for ACKs.
CommitWithoutQuorum(i, z) == TRUE

\* For MoreRecent: votes, and the leader's check for learners ahead of it,
\* compare the zxid before the epoch.
ZxidFirst(ea, za, eb, zb) == ZxidLT(zb, za) \/ (za = zb /\ ea > eb)

\* For FirstEpochToPropose: a new leader proposes the epoch it already
\* accepted instead of the next one; only its learners' accepted epochs are
\* raised past.
ReuseAcceptedEpoch(i) == acceptedEpoch[i]

\* For FirstEpochToPropose: a new leader leaves its own accepted epoch out
\* of the new epoch, which becomes one past the highest epoch its learners
\* accepted.
LearnersEpochOnly(i) == 0

\* For LogEntryFor: an observer logs a transaction it is informed of under
\* the next zxid of its own log (its last zxid plus one, as a standalone
\* server numbers its writes) instead of the zxid the leader gave it. The
\* two agree inside an epoch and differ at the first transaction of each.
\* (A follower that did so could never acknowledge the first proposal of an
\* epoch under the leader's zxid, so nothing would be committed.)
NumberLocally(i, t) ==
    LET l == LastZxid(log[i]) IN
    IF state[i] = OBSERVING THEN [t EXCEPT !.zxid = <<l[1], l[2] + 1>>] ELSE t

\* For SyncedTxnsDurable: a learner acknowledges NEWLEADER without waiting
\* for its log writer: the transactions of its synchronization may not be
\* on disk yet (ZOOKEEPER-4646; with EpochAtNewLeader, ZOOKEEPER-3911).
AckNewLeaderBeforeDurable(i) == TRUE

\* For EpochOnNewLeader: a learner writes the new epoch as its current epoch
\* as soon as NEWLEADER arrives, before the transactions of its
\* synchronization are durable (ZOOKEEPER-4643; with
\* AckNewLeaderBeforeDurable, ZOOKEEPER-3911).
EpochAtNewLeader(i, e) == e

\* For DrainedBeforeLeaving: a learner leaves its session without draining
\* its log writer, so it takes transactions that are not durable yet into
\* the next election as its own (ZOOKEEPER-4712).
LeaveWithoutDrain(i) == TRUE

\* For CommittedAfterRestart: a restarted server applies its whole durable
\* log, uncommitted tail included, as ZooKeeper replays its log at startup.
ReplayWholeLog(i) == durableLen[i]

\* For SyncPlan: a learner whose last zxid is not in the leader's log but
\* lies between its snapshot and its last zxid gets a DIFF of what follows
\* (no TRUNC of its own tail first), as in ZOOKEEPER-1154.
DiffWithoutTrunc(i, z) ==
    LET h     == log[i]
        below == Cardinality({x \in 1..Len(h) : ZxidLT(h[x].zxid, z)})
    IN IF /\ IndexOfZxid(h, z) = 0
          /\ z # ZeroZxid
          /\ ZxidLT(z, LastZxid(h))
          /\ below >= snapshotLen[i]
       THEN [mode |-> DIFF, from |-> below]
       ELSE SyncPlanFor(h, snapshotLen[i], z)

\* For ForwardingAfterSync: the leader starts forwarding new proposals to a
\* learner only when its ACK of NEWLEADER arrives; proposals made between
\* its synchronization and that ACK never reach it.
ForwardAfterNewLeaderAck(i, synced) == forwarding[i]

(***************************************************************************)
(* Scenarios of the expected-violation models: state constraints that      *)
(* narrow the search to the behaviours where the bug shows. Every state    *)
(* they keep is reachable in the broken protocol, so a counterexample      *)
(* found under them is a counterexample of the broken protocol.            *)
(***************************************************************************)

\* From an uncommitted or a missed tail (TailSettledInit, MissedSettledInit):
\* leader 3 never registers server 2, so only server 1 can complete its
\* quorums in epoch 2; nothing crashes before (1,2) is committed and 1 has
\* taken epoch 2 (or a later one) as its current epoch; 2 never crashes; 1
\* restarts only once 3 is down, so that 1 and 2 elect a leader without 3.
LostTailScenario ==
    /\ 2 \notin learners[FirstLeader]
    /\ zabState[2] # DOWN
    /\ counters.crash > 0 => Tx(1, 2, V2) \in Range(committedTxns) /\ currentEpoch[1] >= 2
    /\ counters.restart > 0 => zabState[FirstLeader] = DOWN

\* From EstablishedInit: server 3 stays the leader of epoch 1 and no follower
\* writes a transaction of epoch 1, so what 3 commits it holds alone; only
\* 3 crashes, and only once it has committed something.
CommitAloneScenario ==
    /\ \A i \in Server \ {FirstLeader} : \A t \in Range(log[i]) : t.zxid[1] # 1
    /\ counters.crash > 0 => zabState[FirstLeader] = DOWN /\ committedTxns # <<>>

\* From AheadSettledInit: the followers never look for another leader, so a
\* leader that gives up stays alone.
FollowersStayScenario == \A i \in Server \ {FirstLeader} : state[i] # LOOKING

\* From StaleInit: server 2, down, restarts only once a transaction has been
\* committed.
Server2LateScenario == counters.restart > 0 => committedTxns # <<>>

\* From SettledInit: server 3 stays the leader and never answers a
\* notification (the others' election goes on without it); the followers
\* give up on it only once it has begun synchronizing.
SecondLeaderScenario ==
    /\ state[FirstLeader] = LEADING
    /\ \A i \in Server : electionMsgs[FirstLeader][i] = <<>>
    /\ counters.timeout > 0 => epochLeaders # {}

=============================================================================
