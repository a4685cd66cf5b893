----------------------------- MODULE MCZkReads -----------------------------
(* Model of ZkReads.tla for TLC. *)
EXTENDS ZkReads, TLC

\* A real read quorum: a majority of the servers.
MajorityOfServers == {Q \in SUBSET Server : IsQuorum(Q)}

\* Too small a read quorum: any single server.
SingleServers == {{s} : s \in Server}

\* Followers are interchangeable; the leader is not.
Symmetry == Permutations(Follower)
=============================================================================
