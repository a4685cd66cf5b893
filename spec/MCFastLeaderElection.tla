------------------------- MODULE MCFastLeaderElection -------------------------
(***************************************************************************)
(* Fast leader election alone, over logs and epochs that do not change:    *)
(* servers 1..3 are voters with the persisted state below (the kind a Zab  *)
(* run leaves behind: 1 and 2 synced with the leader of epoch 2, which     *)
(* truncated the uncommitted (1,2) that 3 still holds). Settled servers    *)
(* may leave and start a new round; notifications may be lost or sent      *)
(* again; how often is bounded by the constants.                           *)
(***************************************************************************)
EXTENDS FastLeaderElection

CONSTANTS
    MaxLeaves,   \* at most this many settled servers leave
    MaxResends,  \* at most this many notification timeouts
    MaxLosses    \* at most this many lost notifications

\* How many leaves, resends and losses happened (bounds the model only).
VARIABLE budget

Tx(e, c) == [zxid |-> <<e, c>>, value |-> "v"]

FixedLogs ==
    LET logs == (1 :> <<Tx(1, 1)>>) @@ (2 :> <<Tx(1, 1)>>) @@ (3 :> <<Tx(1, 1), Tx(1, 2)>>)
    IN [i \in Server |-> IF i \in DOMAIN logs THEN logs[i] ELSE <<>>]
FixedEpochs ==
    LET epochs == (1 :> 2) @@ (2 :> 2) @@ (3 :> 1)
    IN [i \in Server |-> IF i \in DOMAIN epochs THEN epochs[i] ELSE 0]

Init ==
    /\ log = FixedLogs
    /\ currentEpoch = FixedEpochs
    /\ ElectionInit
    /\ budget = [leave |-> 0, resend |-> 0, loss |-> 0]

Fixed == <<log, currentEpoch>>

Receive(i, j) == ReceiveNotificationStep(i, j) /\ UNCHANGED <<Fixed, budget>>
Decide(i) == DecideStep(i) /\ UNCHANGED <<Fixed, budget>>
Resend(i) ==
    /\ budget.resend < MaxResends
    /\ NotificationTimeoutStep(i)
    /\ budget' = [budget EXCEPT !.resend = @ + 1]
    /\ UNCHANGED Fixed
Lose(i, j) ==
    /\ budget.loss < MaxLosses
    /\ DropNotificationStep(i, j)
    /\ budget' = [budget EXCEPT !.loss = @ + 1]
    /\ UNCHANGED Fixed
\* A settled server loses its leader and looks again, one round later.
Leave(i) ==
    /\ budget.leave < MaxLeaves
    /\ state[i] # LOOKING
    /\ StartRound(i, logicalClock[i] + 1, electionMsgs)
    /\ budget' = [budget EXCEPT !.leave = @ + 1]
    /\ UNCHANGED Fixed

\* One election, nothing lost.
Next ==
    \/ \E i, j \in Server : Receive(i, j)
    \/ \E i \in Server : Decide(i)

\* With resends, losses and servers leaving (as many as the budget allows).
FaultyNext ==
    \/ Next
    \/ \E i \in Server : Resend(i)
    \/ \E i, j \in Server : Lose(i, j)
    \/ \E i \in Server : Leave(i)

vars == <<electionVars, Fixed, budget>>
Spec == Init /\ [][Next]_vars

TypeOK == ElectionTypeOK

\* A broken variant, substituted for MoreRecent with `<-`: votes compare the
\* zxid before the epoch.
ZxidFirst(ea, za, eb, zb) == ZxidLT(zb, za) \/ (za = zb /\ ea > eb)

\* (epoch, zxid) of a is at least that of b, in ZooKeeper's order.
AtLeastAsRecent(a, b) == a.epoch > b.epoch \/ (a.epoch = b.epoch /\ ~ZxidLT(a.zxid, b.zxid))

\* Whoever a server settles on is at least as recent as every member of some
\* quorum of voters: the leader's log is one a quorum can follow without
\* losing what it holds.
ElectedLeaderIsMostRecent ==
    \A i \in Server : state[i] # LOOKING =>
        /\ currentVote[i].leader \in Voter
        /\ \E Q \in SUBSET Voter :
              /\ IsQuorum(Q)
              /\ \A q \in Q : AtLeastAsRecent(InitVote(currentVote[i].leader), InitVote(q))
=============================================================================
