--------------------------- MODULE MCQuorumReads ---------------------------
(* Model of QuorumReads.tla for TLC. *)
EXTENDS QuorumReads, TLC

\* Replicas are interchangeable: only the sizes W and R single any out.
Symmetry == Permutations(Replica)
=============================================================================
