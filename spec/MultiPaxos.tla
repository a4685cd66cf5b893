----------------------------- MODULE MultiPaxos -----------------------------
(***************************************************************************)
(* Multi-Paxos: a replicated log of commands, one Paxos instance per slot, *)
(* with a distinguished leader per ballot.                                 *)
(*                                                                         *)
(* Every ballot belongs to one proposer.  A proposer that opens a ballot   *)
(* runs phase 1 once for all slots: its 1a asks the acceptors to promise   *)
(* the ballot, and each 1b reports the acceptor's last accepted proposal  *)
(* in every slot.  With 1b's from a quorum the proposer becomes leader of  *)
(* the ballot and plans each slot: a slot with a reported proposal gets    *)
(* the value of the highest-ballot one; a slot with no report below the    *)
(* highest reported slot is a hole and gets a no-op; the slots above are  *)
(* free.  Phase 2 then runs per slot: the leader sends a 2a for each       *)
(* planned slot and for each new command it puts in the lowest free slot;  *)
(* acceptors accept a 2a unless they promised a higher ballot (2b).        *)
(* Learners see the 2b's; a value is chosen in a slot once a quorum        *)
(* accepted it there in one ballot, and each learner delivers chosen       *)
(* values in slot order: slot 1, then 2, ..., never skipping a slot.       *)
(*                                                                         *)
(* The network is the set of every message sent: messages may be lost     *)
(* (never received), duplicated (received again) and reordered.           *)
(* Acceptor state is durable; proposers may give up on a ballot at any     *)
(* time by opening a higher one (a crashed leader is one that stops).      *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets

CONSTANTS
    Acceptor,    \* the acceptors
    Quorum,      \* the quorums: sets of acceptors, any two of which intersect
    Proposer,    \* the proposers (would-be leaders)
    Owner,       \* Owner[b]: the proposer that ballot b belongs to
    MaxBallot,   \* ballots are 1..MaxBallot
    Value,       \* the client commands
    MaxSlot,     \* slots are 1..MaxSlot
    Learner,     \* the learners
    NoOp,        \* the command that does nothing, used to fill holes
    None         \* "nothing here yet"

Ballot == 1..MaxBallot
Slot == 1..MaxSlot
Command == Value \cup {NoOp}

ASSUME /\ Quorum \subseteq SUBSET Acceptor
       /\ \A Q1, Q2 \in Quorum : Q1 \cap Q2 # {}
       /\ Owner \in [Ballot -> Proposer]
       /\ NoOp \notin Value /\ None \notin Command

\* A vote: the last proposal an acceptor accepted in a slot (ballot 0: none).
Vote == [bal : 0..MaxBallot, val : Command \cup {None}]
NoVote == [bal |-> 0, val |-> None]

VARIABLES
    promised,   \* promised[a]: the highest ballot a has promised (0: none)
    votes,      \* votes[a][s]: the last proposal a accepted in slot s
    msgs,       \* every message sent so far
    leading,    \* leading[p]: the ballot p opened last (0: none)
    phase,      \* phase[p]: "idle", "1" (waiting for 1b's) or "2" (leader)
    plan,       \* plan[p][s]: the command p proposes in slot s in its ballot, or None
    delivered   \* delivered[l]: the commands learner l has delivered, in slot order

vars == <<promised, votes, msgs, leading, phase, plan, delivered>>

Message ==
         [type : {"1a"}, bal : Ballot]
    \cup [type : {"1b"}, acc : Acceptor, bal : Ballot, votes : [Slot -> Vote]]
    \cup [type : {"2a"}, bal : Ballot, slot : Slot, val : Command]
    \cup [type : {"2b"}, acc : Acceptor, bal : Ballot, slot : Slot, val : Command]

TypeOK ==
    /\ promised \in [Acceptor -> 0..MaxBallot]
    /\ votes \in [Acceptor -> [Slot -> Vote]]
    /\ msgs \subseteq Message
    /\ leading \in [Proposer -> 0..MaxBallot]
    /\ phase \in [Proposer -> {"idle", "1", "2"}]
    /\ plan \in [Proposer -> [Slot -> Command \cup {None}]]
    /\ delivered \in [Learner -> Seq(Command)]

Init ==
    /\ promised = [a \in Acceptor |-> 0]
    /\ votes = [a \in Acceptor |-> [s \in Slot |-> NoVote]]
    /\ msgs = {}
    /\ leading = [p \in Proposer |-> 0]
    /\ phase = [p \in Proposer |-> "idle"]
    /\ plan = [p \in Proposer |-> [s \in Slot |-> None]]
    /\ delivered = [l \in Learner |-> <<>>]

Send(m) == msgs' = msgs \cup {m}

Max(S) == CHOOSE x \in S : \A y \in S : y <= x

-----------------------------------------------------------------------------
(* Phase 1a: proposer p opens ballot b, one of its own above its last. *)
OpenBallot(p, b) ==
    /\ Owner[b] = p
    /\ b > leading[p]
    /\ leading' = [leading EXCEPT ![p] = b]
    /\ phase' = [phase EXCEPT ![p] = "1"]
    /\ plan' = [plan EXCEPT ![p] = [s \in Slot |-> None]]
    /\ Send([type |-> "1a", bal |-> b])
    /\ UNCHANGED <<promised, votes, delivered>>

(* Phase 1b: acceptor a promises ballot b and reports its votes in every slot. *)
Promise(a, b) ==
    /\ [type |-> "1a", bal |-> b] \in msgs
    /\ b > promised[a]
    /\ promised' = [promised EXCEPT ![a] = b]
    /\ Send([type |-> "1b", acc |-> a, bal |-> b, votes |-> votes[a]])
    /\ UNCHANGED <<votes, leading, phase, plan, delivered>>

(* What the 1b's of the acceptors in Q for ballot b make of each slot: the *)
(* value of the highest-ballot vote reported; a no-op for a slot nobody    *)
(* voted in below the highest slot somebody voted in; None above it.       *)
PlanFrom(b, Q) ==
    LET replies  == {m \in msgs : m.type = "1b" /\ m.bal = b /\ m.acc \in Q}
        reported(s) == {m.votes[s] : m \in {r \in replies : r.votes[s].bal > 0}}
        top == Max({0} \cup {s \in Slot : reported(s) # {}})
    IN  [s \in Slot |->
            IF reported(s) # {}
            THEN (CHOOSE v \in reported(s) : \A w \in reported(s) : w.bal <= v.bal).val
            ELSE IF s < top THEN NoOp ELSE None]

HeardFrom(b, Q) ==
    \A a \in Q : \E m \in msgs : m.type = "1b" /\ m.bal = b /\ m.acc = a

(* Phase 1 ends: with 1b's from a quorum, p becomes leader of its ballot   *)
(* and plans every slot at once.                                           *)
BecomeLeader(p) ==
    /\ phase[p] = "1"
    /\ \E Q \in Quorum :
         /\ HeardFrom(leading[p], Q)
         /\ plan' = [plan EXCEPT ![p] = PlanFrom(leading[p], Q)]
    /\ phase' = [phase EXCEPT ![p] = "2"]
    /\ UNCHANGED <<promised, votes, msgs, leading, delivered>>

Proposed(b, s) == \E m \in msgs : m.type = "2a" /\ m.bal = b /\ m.slot = s

(* Phase 2a for a slot phase 1 found a value in: propose that value again. *)
ProposeSafe(p, s) ==
    /\ phase[p] = "2"
    /\ plan[p][s] \in Value
    /\ ~Proposed(leading[p], s)
    /\ Send([type |-> "2a", bal |-> leading[p], slot |-> s, val |-> plan[p][s]])
    /\ UNCHANGED <<promised, votes, leading, phase, plan, delivered>>

(* Phase 2a for a hole phase 1 found: propose a no-op. *)
FillHole(p, s) ==
    /\ phase[p] = "2"
    /\ plan[p][s] = NoOp
    /\ ~Proposed(leading[p], s)
    /\ Send([type |-> "2a", bal |-> leading[p], slot |-> s, val |-> NoOp])
    /\ UNCHANGED <<promised, votes, leading, phase, plan, delivered>>

(* Phase 2a for a new client command: the lowest free slot. *)
ProposeNew(p, v) ==
    /\ phase[p] = "2"
    /\ \A s \in Slot : plan[p][s] # v
    /\ \E s \in Slot :
         /\ plan[p][s] = None
         /\ \A t \in 1..(s - 1) : plan[p][t] # None
         /\ plan' = [plan EXCEPT ![p][s] = v]
         /\ Send([type |-> "2a", bal |-> leading[p], slot |-> s, val |-> v])
    /\ UNCHANGED <<promised, votes, leading, phase, delivered>>

(* Phase 2b: acceptor a accepts a 2a unless it promised a higher ballot. *)
Accept(a) ==
    \E m \in msgs :
        /\ m.type = "2a"
        /\ m.bal >= promised[a]
        /\ votes[a][m.slot].bal # m.bal
        /\ promised' = [promised EXCEPT ![a] = m.bal]
        /\ votes' = [votes EXCEPT ![a][m.slot] = [bal |-> m.bal, val |-> m.val]]
        /\ Send([type |-> "2b", acc |-> a, bal |-> m.bal, slot |-> m.slot, val |-> m.val])
        /\ UNCHANGED <<leading, phase, plan, delivered>>

(* The commands chosen in slot s: accepted there by a quorum in one ballot. *)
Chosen(s) ==
    LET accepted == {m \in msgs : m.type = "2b" /\ m.slot = s}
    IN  {c \in {m.val : m \in accepted} :
            \E b \in {m.bal : m \in accepted} :
                \E Q \in Quorum :
                    \A a \in Q : [type |-> "2b", acc |-> a, bal |-> b, slot |-> s, val |-> c] \in msgs}

(* Learner l delivers the next slot once it sees that slot's command chosen. *)
Deliver(l) ==
    /\ Len(delivered[l]) < MaxSlot
    /\ \E c \in Chosen(Len(delivered[l]) + 1) :
         delivered' = [delivered EXCEPT ![l] = Append(@, c)]
    /\ UNCHANGED <<promised, votes, msgs, leading, phase, plan>>

Next ==
    \/ \E p \in Proposer, b \in Ballot : OpenBallot(p, b)
    \/ \E a \in Acceptor, b \in Ballot : Promise(a, b)
    \/ \E p \in Proposer : BecomeLeader(p)
    \/ \E p \in Proposer, s \in Slot : ProposeSafe(p, s)
    \/ \E p \in Proposer, s \in Slot : FillHole(p, s)
    \/ \E p \in Proposer, v \in Value : ProposeNew(p, v)
    \/ \E a \in Acceptor : Accept(a)
    \/ \E l \in Learner : Deliver(l)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* No two different commands are chosen in one slot. *)
SlotAgreement == \A s \in Slot : Cardinality(Chosen(s)) <= 1

IsPrefix(u, w) == Len(u) <= Len(w) /\ \A i \in 1..Len(u) : u[i] = w[i]

(* Log-prefix agreement: of any two learners' delivered logs, one is a     *)
(* prefix of the other.  Learners deliver slot 1, 2, ... in order without  *)
(* gaps, so this says: every learner that delivered slot i delivered the   *)
(* same command there.                                                     *)
LogPrefixAgreement ==
    \A l1, l2 \in Learner :
        IsPrefix(delivered[l1], delivered[l2]) \/ IsPrefix(delivered[l2], delivered[l1])
=============================================================================
