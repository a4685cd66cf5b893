----------------------------- MODULE Consensus -----------------------------
(***************************************************************************)
(* What any consensus protocol must look like from the outside: the set of *)
(* chosen values starts empty, at some point becomes a single value, and   *)
(* never changes again.  Paxos.tla is checked to refine this module.       *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANT Value

VARIABLE chosen

TypeOK == chosen \subseteq Value /\ Cardinality(chosen) <= 1

Init == chosen = {}

\* The only step: pick one value, once.
Choose ==
    /\ chosen = {}
    /\ \E v \in Value : chosen' = {v}

Next == Choose

Spec == Init /\ [][Next]_chosen
=============================================================================
