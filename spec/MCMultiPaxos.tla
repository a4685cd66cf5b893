---------------------------- MODULE MCMultiPaxos ----------------------------
(* Model of MultiPaxos.tla for TLC, with two broken variants that TLC must *)
(* reject.                                                                 *)
EXTENDS MultiPaxos, TLC

CONSTANTS P1, P2   \* the two proposers; odd ballots are P1's, even ones P2's

MCProposer == {P1, P2}
MCOwner == [b \in Ballot |-> IF b % 2 = 1 THEN P1 ELSE P2]

\* Proposers own different ballots, so they are not interchangeable.
Symmetry == Permutations(Acceptor) \cup Permutations(Value) \cup Permutations(Learner)

-----------------------------------------------------------------------------
(* Broken: a new leader ignores the votes its 1b's report and treats every *)
(* slot as free, so it may propose a new command in a slot where another   *)
(* was already chosen.  SlotAgreement must fail.                           *)
BecomeLeaderIgnoringVotes(p) ==
    /\ phase[p] = "1"
    /\ \E Q \in Quorum : HeardFrom(leading[p], Q)
    /\ plan' = [plan EXCEPT ![p] = [s \in Slot |-> None]]
    /\ phase' = [phase EXCEPT ![p] = "2"]
    /\ UNCHANGED <<promised, votes, msgs, leading, delivered>>

IgnoreVotesNext ==
    \/ \E p \in Proposer : BecomeLeaderIgnoringVotes(p)
    \/ \E p \in Proposer, b \in Ballot : OpenBallot(p, b)
    \/ \E a \in Acceptor, b \in Ballot : Promise(a, b)
    \/ \E p \in Proposer, v \in Value : ProposeNew(p, v)
    \/ \E a \in Acceptor : Accept(a)
    \/ \E l \in Learner : Deliver(l)

IgnoreVotesSpec == Init /\ [][IgnoreVotesNext]_vars

(* Broken: a learner delivers a slot's command as soon as one acceptor     *)
(* accepted it, before it is chosen.  Commands are still chosen safely,    *)
(* but learners' logs diverge: LogPrefixAgreement must fail.               *)
DeliverOnOneVote(l) ==
    /\ Len(delivered[l]) < MaxSlot
    /\ \E m \in msgs :
         /\ m.type = "2b" /\ m.slot = Len(delivered[l]) + 1
         /\ delivered' = [delivered EXCEPT ![l] = Append(@, m.val)]
    /\ UNCHANGED <<promised, votes, msgs, leading, phase, plan>>

EagerLearnerNext ==
    \/ \E p \in Proposer, b \in Ballot : OpenBallot(p, b)
    \/ \E a \in Acceptor, b \in Ballot : Promise(a, b)
    \/ \E p \in Proposer : BecomeLeader(p)
    \/ \E p \in Proposer, s \in Slot : ProposeSafe(p, s)
    \/ \E p \in Proposer, s \in Slot : FillHole(p, s)
    \/ \E p \in Proposer, v \in Value : ProposeNew(p, v)
    \/ \E a \in Acceptor : Accept(a)
    \/ \E l \in Learner : DeliverOnOneVote(l)

EagerLearnerSpec == Init /\ [][EagerLearnerNext]_vars
=============================================================================
