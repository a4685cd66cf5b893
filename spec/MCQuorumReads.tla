--------------------------- MODULE MCQuorumReads ---------------------------
(* Model of QuorumReads.tla for TLC. *)
EXTENDS QuorumReads, TLC

\* Replicas are interchangeable: only the sizes W and R single any out.
\* So are readers: every reader runs the same steps.
Symmetry == {p @@ q : p \in Permutations(Replica), q \in Permutations(Reader)}

\* Broken read repair: the reader returns once one replica has
\* acknowledged its write-back, not W of them (substitutes for
\* WriteBackComplete).
WriteBackToOne(c) == repairAcks[c] # {}
=============================================================================
