-------------------------------- MODULE MCZab --------------------------------
(***************************************************************************)
(* Models of Zab.tla for TLC. The bounds are a state constraint: states    *)
(* past them are not explored further. Server ids must be {1, 2, 3} for    *)
(* DivergedInit.                                                           *)
(***************************************************************************)
EXTENDS Zab

CONSTANTS
    MaxEpoch,      \* no server accepts an epoch above this
    MaxRound,      \* no election round above this
    MaxProposals,  \* at most this many transactions proposed in all
    MaxRestarts,   \* at most this many restarts in all
    MaxTimeouts,   \* at most this many learner or leader timeouts
    MaxResends,    \* at most this many notification timeouts (resends)
    MaxDrops       \* at most this many lost notifications or connections

StateConstraint ==
    /\ \A i \in Server : acceptedEpoch[i] <= MaxEpoch /\ logicalClock[i] <= MaxRound
    /\ Cardinality(proposedTxns) <= MaxProposals
    /\ faults.restart <= MaxRestarts
    /\ faults.timeout <= MaxTimeouts
    /\ faults.resend <= MaxResends
    /\ faults.drop <= MaxDrops

\* For simulation: only steps that stay within the bounds. TLC's simulator
\* ends a behaviour at the first state outside the state constraint; with
\* this next-state relation the bounds disable the fault steps instead.
BoundedNext == Next /\ StateConstraint'

\* A transaction of the past, for the initial states below.
Old(e, c) == [zxid |-> <<e, c>>, value |-> CHOOSE v \in Value : TRUE]

(***************************************************************************)
(* The diverged past: servers 1..3 restart together after this history,    *)
(* which the correct protocol can produce: server 3 led epoch 1 with       *)
(* server 2 (server 1 cut off), logged (1,1), lost its PROPOSAL with the   *)
(* connection and went down; server 2 then led epoch 2 with server 1,      *)
(* logged (2,1), lost it the same way and went down. Nothing was ever      *)
(* committed. The logs disagree, so synchronization needs SNAP and TRUNC,  *)
(* and an election that compares the zxid before the epoch can commit     *)
(* (1,1) and later lose it.                                                *)
(***************************************************************************)
DivergedLogs   == (1 :> <<>>) @@ (2 :> <<Old(2, 1)>>) @@ (3 :> <<Old(1, 1)>>)
DivergedEpochs == (1 :> 2) @@ (2 :> 2) @@ (3 :> 1)
DivergedLeaders == {<<1, 3>>, <<2, 2>>}

DivergedInit == InitFrom(DivergedLogs, DivergedEpochs, DivergedEpochs, DivergedLeaders)

\* The same start after server 2's first notifications were lost (two
\* FLEDropNotification steps from DivergedInit).
DivergedInitServer2Unheard ==
    InitHeardFrom({1, 3}, DivergedLogs, DivergedEpochs, DivergedEpochs, DivergedLeaders)

(***************************************************************************)
(* A state right after an election in which every notification was        *)
(* consumed: leader l LEADS and proposes the epoch after the one it        *)
(* accepted, every other server follows (voters) or observes l and has     *)
(* sent its FOLLOWERINFO. The correct protocol reaches these states from   *)
(* the matching InitFrom; starting here leaves the interleavings of that   *)
(* first election to the models that start before it.                     *)
(***************************************************************************)
SettledFrom(h, ce, ae, est, l) ==
    /\ history = h
    /\ currentEpoch = ce
    /\ acceptedEpoch = ae
    /\ state = [i \in Server |-> RoleFor(i, l)]
    /\ logicalClock = [i \in Server |-> 1]
    /\ currentVote = [i \in Server |-> [leader |-> l, zxid |-> LastZxid(h[l]), epoch |-> ce[l]]]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |-> <<>>]]
    /\ zabState = [i \in Server |-> DISCOVERY]
    /\ syncStage = [i \in Server |-> NONE]
    /\ lastCommitted = [i \in Server |-> 0]
    /\ learners = [i \in Server |-> {}]
    /\ leaderEpoch = [i \in Server |-> IF i = l THEN FirstEpochToPropose(l) ELSE 0]
    /\ ackEpochRecv = [i \in Server |-> EmptyFn]
    /\ syncedLearners = [i \in Server |-> {}]
    /\ newLeaderAcks = [i \in Server |-> {}]
    /\ ackIndex = [i \in Server |-> [k \in Server |-> 0]]
    /\ msgs = [i \in Server |-> [j \in Server |->
                  IF j = l /\ i # l THEN <<FollowerInfoMsg(ae[i])>> ELSE <<>>]]
    /\ proposedTxns = UNION {Range(h[i]) : i \in Server}
    /\ committedTxns = {}
    /\ establishedLeaders = est
    /\ faults = [restart |-> 0, timeout |-> 0, resend |-> 0, drop |-> 0]

\* A fresh ensemble after its first election: all logs are empty, so the
\* highest id, 3, leads.
FirstLeader == 3
SettledInit ==
    SettledFrom([i \in Server |-> <<>>], [i \in Server |-> 0], [i \in Server |-> 0], {}, FirstLeader)

\* The diverged past after the election ZooKeeper's order gives: server 2
\* (epoch 2, zxid (2,1)) beats 1 (epoch 2, nothing logged) and 3 (epoch 1).
DivergedSettledInit == SettledFrom(DivergedLogs, DivergedEpochs, DivergedEpochs, DivergedLeaders, 2)

(***************************************************************************)
(* A past in which server 1 lagged: server 3 led epoch 1 with server 2     *)
(* while server 1 was cut off, then led epoch 2 with server 2 again,       *)
(* logged (2,1), lost its PROPOSAL with the connection and went down.      *)
(* Nothing was ever committed. The correct protocol produces it, and so    *)
(* does LearnersEpochOnly below. Server 3, with the most recent log, wins  *)
(* the next election; server 1 has accepted no epoch yet.                  *)
(***************************************************************************)
LaggingLogs    == (1 :> <<>>) @@ (2 :> <<>>) @@ (3 :> <<Old(2, 1)>>)
LaggingEpochs  == (1 :> 0) @@ (2 :> 2) @@ (3 :> 2)
LaggingLeaders == {<<1, 3>>, <<2, 3>>}
LaggingSettledInit == SettledFrom(LaggingLogs, LaggingEpochs, LaggingEpochs, LaggingLeaders, 3)

(***************************************************************************)
(* Broken variants. An expected-violation cfg substitutes one of these for *)
(* the check of Zab.tla (or FastLeaderElection.tla) it names, with `<-`.   *)
(***************************************************************************)

\* For CommitQuorumAcked: the leader commits without waiting for ACKs.
CommitWithoutQuorum(i, k) == TRUE

\* For ProposalInSession: a follower logs a PROPOSAL of its own or of an
\* older epoch, whoever sends it.
AcceptStaleProposal(i, j, m) == m.mepoch <= currentEpoch[i]

\* For ExtendsLog: a learner logs what arrives even after a gap.
SkipGapCheck(i, z) == TRUE

\* For MoreRecent: votes, and the leader's check for learners ahead of it,
\* compare the zxid before the epoch.
ZxidFirst(ea, za, eb, zb) == ZxidLT(zb, za) \/ (za = zb /\ ea > eb)

\* For FirstEpochToPropose: a new leader proposes the epoch it already
\* accepted instead of the next one; only its learners' accepted epochs are
\* raised past.
ReuseAcceptedEpoch(i) == acceptedEpoch[i]

\* For LogEntryFor: a learner logs a transaction from its leader under the
\* next zxid of its own log (its last zxid plus one, as a standalone server
\* numbers its writes) instead of the zxid the leader gave it. The two agree
\* inside an epoch and differ at the first transaction of each.
NumberLocally(i, t) ==
    LET l == LastZxid(history[i]) IN [t EXCEPT !.zxid = <<l[1], l[2] + 1>>]

\* For FirstEpochToPropose: a new leader leaves its own accepted epoch out
\* of the new epoch, which becomes one past the highest epoch its learners
\* accepted.
LearnersEpochOnly(i) == 0

(***************************************************************************)
(* Scenarios of the expected-violation models: state constraints that      *)
(* narrow the search to the behaviours where the bug shows. Every state    *)
(* they keep is reachable in the broken protocol, so a counterexample      *)
(* found under them is a counterexample of the broken protocol.            *)
(***************************************************************************)

\* Server 3 stays the leader of epoch 1, proposes once, and no follower
\* logs an epoch-1 transaction: what 3 commits, it holds alone. The
\* followers give up on 3 only after it committed, and 3 does not answer
\* their notifications.
CommitAloneScenario ==
    /\ state[FirstLeader] = LEADING
    /\ Len(history[FirstLeader]) <= 1
    /\ \A i \in Server \ {FirstLeader} : \A t \in Range(history[i]) : t.zxid[1] # 1
    /\ faults.timeout > 0 => committedTxns # {}
    /\ \A i \in Server : electionMsgs[FirstLeader][i] = <<>>

\* Server 3 stays the leader of epoch 1 and no follower logs an epoch-1
\* transaction while it is still in epoch 1: the followers move on to
\* epoch 2 without it, and only a stale PROPOSAL can bring it to them. They
\* give up on 3 only after it proposed, and 3 does not answer them.
StaleProposalScenario ==
    /\ state[FirstLeader] = LEADING
    /\ \A i \in Server \ {FirstLeader} :
          (\E t \in Range(history[i]) : t.zxid[1] = 1) => currentEpoch[i] >= 2
    /\ faults.timeout > 0 => proposedTxns # {}
    /\ \A i \in Server : electionMsgs[FirstLeader][i] = <<>>

\* Server 3 stays the leader of epoch 1 and never answers a notification;
\* the followers give up on it only once some leader is established.
SecondLeaderScenario ==
    /\ state[FirstLeader] = LEADING
    /\ faults.timeout > 0 => establishedLeaders # {}
    /\ \A i \in Server : electionMsgs[FirstLeader][i] = <<>>

\* From the lagging past: server 3 stays the leader and server 2 its
\* follower; server 1 gives up on 3 only after 3 has committed something.
RejoinScenario ==
    /\ state[FirstLeader] = LEADING
    /\ state[2] = FOLLOWING
    /\ faults.timeout > 0 => committedTxns # {}

\* Server 2 is out of reach until a leader of epoch 3 is established:
\* neither 1 nor 3 votes for it before then.
Server2LateScenario ==
    (~\E e \in establishedLeaders : e[1] = 3) =>
        \A i \in {1, 3} : currentVote[i].leader # 2

=============================================================================
