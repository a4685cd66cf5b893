------------------------------- MODULE Paxos -------------------------------
(***************************************************************************)
(* Single-decree Paxos.                                                    *)
(*                                                                         *)
(* Proposers run numbered ballots.  In phase 1 a proposer asks the         *)
(* acceptors to promise to ignore lower ballots (1a) and each acceptor     *)
(* answers with the last proposal it accepted (1b).  In phase 2 the        *)
(* proposer asks the acceptors to accept one value for its ballot (2a),    *)
(* which must be the value of the highest-ballot proposal reported by a    *)
(* quorum in phase 1, or any value when none was reported; acceptors that  *)
(* have not promised a higher ballot accept it (2b).  A value is chosen    *)
(* once a quorum of acceptors has accepted it in the same ballot.          *)
(*                                                                         *)
(* The network is the set `msgs` of every message ever sent.  Receiving a  *)
(* message does not remove it, so any message can be received any number  *)
(* of times (duplication), and no receive action is ever forced to happen  *)
(* (loss).  Messages can be received in any order (reordering).           *)
(*                                                                         *)
(* Acceptor state (promised, accepted ballot and value) is durable: an     *)
(* acceptor that crashes and restarts comes back with the same state, so a *)
(* crash is indistinguishable from an acceptor that is slow to act and is  *)
(* not a separate action.  Proposers keep no state of their own: that a    *)
(* ballot has at most one 2a message stands for "each ballot belongs to    *)
(* one proposer, which proposes once in it".                               *)
(***************************************************************************)
EXTENDS Integers, FiniteSets

CONSTANTS
    Value,      \* the values that may be proposed
    Acceptor,   \* the acceptors
    Quorum,     \* the quorums: sets of acceptors, any two of which intersect
    MaxBallot,  \* ballots are 0..MaxBallot
    NoValue     \* stands for "no value accepted yet"; not a value

ASSUME QuorumsIntersect ==
    /\ Quorum \subseteq SUBSET Acceptor
    /\ \A Q1, Q2 \in Quorum : Q1 \cap Q2 # {}

ASSUME MaxBallot \in Nat /\ NoValue \notin Value

Ballot == 0..MaxBallot

\* "no ballot yet" sorts below every ballot.
NoBallot == -1

VARIABLES
    promised,   \* promised[a]: the highest ballot acceptor a has promised
    votedBal,   \* votedBal[a]: the ballot of the last proposal a accepted
    votedVal,   \* votedVal[a]: the value of that proposal
    msgs        \* every message sent so far

vars == <<promised, votedBal, votedVal, msgs>>

Message ==
         [type : {"1a"}, bal : Ballot]
    \cup [type : {"1b"}, acc : Acceptor, bal : Ballot,
          vbal : Ballot \cup {NoBallot}, vval : Value \cup {NoValue}]
    \cup [type : {"2a"}, bal : Ballot, val : Value]
    \cup [type : {"2b"}, acc : Acceptor, bal : Ballot, val : Value]

TypeOK ==
    /\ promised \in [Acceptor -> Ballot \cup {NoBallot}]
    /\ votedBal \in [Acceptor -> Ballot \cup {NoBallot}]
    /\ votedVal \in [Acceptor -> Value \cup {NoValue}]
    /\ msgs \subseteq Message

Init ==
    /\ promised = [a \in Acceptor |-> NoBallot]
    /\ votedBal = [a \in Acceptor |-> NoBallot]
    /\ votedVal = [a \in Acceptor |-> NoValue]
    /\ msgs = {}

Send(m) == msgs' = msgs \cup {m}

-----------------------------------------------------------------------------
(* Phase 1a: a proposer opens ballot b. *)
Prepare(b) ==
    /\ [type |-> "1a", bal |-> b] \notin msgs
    /\ Send([type |-> "1a", bal |-> b])
    /\ UNCHANGED <<promised, votedBal, votedVal>>

(* Phase 1b: acceptor a receives the 1a of a ballot above its promise,     *)
(* promises it and reports its last accepted proposal.                     *)
Promise(a, b) ==
    /\ [type |-> "1a", bal |-> b] \in msgs
    /\ b > promised[a]
    /\ promised' = [promised EXCEPT ![a] = b]
    /\ Send([type |-> "1b", acc |-> a, bal |-> b,
             vbal |-> votedBal[a], vval |-> votedVal[a]])
    /\ UNCHANGED <<votedBal, votedVal>>

(* The values a proposer may propose in ballot b once the acceptors of Q   *)
(* have all answered its 1a: the value of the highest-ballot proposal they *)
(* report, or any value when none of them has accepted anything.           *)
SafeValues(b, Q) ==
    LET replies == {m \in msgs : m.type = "1b" /\ m.bal = b /\ m.acc \in Q}
        voted   == {m \in replies : m.vbal # NoBallot}
    IN  IF voted = {}
        THEN Value
        ELSE {m.vval : m \in {r \in voted : \A o \in voted : o.vbal <= r.vbal}}

HeardFrom(b, Q) ==
    \A a \in Q : \E m \in msgs : m.type = "1b" /\ m.bal = b /\ m.acc = a

(* Phase 2a: the proposer of ballot b, having heard from a quorum,         *)
(* proposes a safe value, once per ballot.                                 *)
Propose(b, v) ==
    /\ ~\E m \in msgs : m.type = "2a" /\ m.bal = b
    /\ \E Q \in Quorum : HeardFrom(b, Q) /\ v \in SafeValues(b, Q)
    /\ Send([type |-> "2a", bal |-> b, val |-> v])
    /\ UNCHANGED <<promised, votedBal, votedVal>>

(* The effect of accepting the 2a of ballot b, whatever the guard was.     *)
AcceptEffect(a, b) ==
    \E m \in msgs :
        /\ m.type = "2a" /\ m.bal = b
        /\ votedBal[a] # b
        /\ promised' = [promised EXCEPT ![a] = IF b > @ THEN b ELSE @]
        /\ votedBal' = [votedBal EXCEPT ![a] = b]
        /\ votedVal' = [votedVal EXCEPT ![a] = m.val]
        /\ Send([type |-> "2b", acc |-> a, bal |-> b, val |-> m.val])

(* Phase 2b: acceptor a accepts the proposal of ballot b unless it has     *)
(* promised a higher ballot.                                               *)
Accept(a, b) ==
    /\ b >= promised[a]
    /\ AcceptEffect(a, b)

Next ==
    \/ \E b \in Ballot : Prepare(b)
    \/ \E a \in Acceptor, b \in Ballot : Promise(a, b)
    \/ \E b \in Ballot, v \in Value : Propose(b, v)
    \/ \E a \in Acceptor, b \in Ballot : Accept(a, b)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* A value is chosen when a quorum has accepted it in one ballot. *)
ChosenIn(b, v) ==
    \E Q \in Quorum : \A a \in Q :
        [type |-> "2b", acc |-> a, bal |-> b, val |-> v] \in msgs

Chosen == {v \in Value : \E b \in Ballot : ChosenIn(b, v)}

(* Safety: at most one value is ever chosen. *)
AtMostOneChosen == Cardinality(Chosen) <= 1

(* Refinement: with `chosen` mapped to Chosen, every behaviour of Paxos is *)
(* a behaviour of Consensus.                                               *)
Abstract == INSTANCE Consensus WITH chosen <- Chosen

RefinesConsensus == Abstract!Spec
=============================================================================
