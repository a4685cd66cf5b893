----------------------------- MODULE MCZkReads -----------------------------
(* Model of ZkReads.tla for TLC. *)
EXTENDS ZkReads, TLC

\* A real read quorum: a majority of the servers.
MajorityOfServers == Quorum

\* Too small a read quorum: any single server.
SingleServers == {{s} : s \in Server}

\* Scenario of the deposed-leader models: the leader of epoch 1 and the
\* servers clients read at never hear of a later epoch (a partition cuts
\* them off), so the leader goes on believing it leads.  Every state it
\* keeps is reachable in the spec.
CutOffScenario == \A s \in {Leader} \cup ReadServers : epoch[s] = 1

\* Followers are interchangeable, except that clients read at some of
\* them; the leader of epoch 1 is not.
Symmetry ==
    {p @@ q : p \in Permutations(Follower \cap ReadServers),
              q \in Permutations(Follower \ ReadServers)}
=============================================================================
