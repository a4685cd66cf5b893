------------------------------ MODULE MCPaxos ------------------------------
(* Model of Paxos.tla for TLC: symmetric acceptors and values (the cfgs    *)
(* use majority quorums), and a broken variant that must be rejected.     *)
EXTENDS Paxos, TLC

\* Acceptors and values are interchangeable: quorums are all majorities and
\* no action singles out one acceptor or value.
Symmetry == Permutations(Acceptor) \cup Permutations(Value)

\* The bug: an acceptor accepts a proposal of a ballot below its promise.
AcceptBelowPromise(a, b) ==
    /\ b < promised[a]
    /\ AcceptEffect(a, b)

BrokenNext ==
    \/ Next
    \/ \E a \in Acceptor, b \in Ballot : AcceptBelowPromise(a, b)

BrokenSpec == Init /\ [][BrokenNext]_vars
=============================================================================
