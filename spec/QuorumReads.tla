---------------------------- MODULE QuorumReads ----------------------------
(***************************************************************************)
(* A versioned register replicated on N replicas with quorum writes and   *)
(* quorum reads (Dynamo/Cassandra style, no leader).                       *)
(*                                                                         *)
(* One writer writes versions 1, 2, ... in turn.  It sends each version to *)
(* every replica; a replica stores a version newer than the one it holds   *)
(* and acknowledges it; the write completes once W replicas acknowledged.  *)
(* A read asks replicas for their version, waits for R answers and returns *)
(* the highest version among them.  Version k carries value k, so versions *)
(* stand for values.                                                       *)
(*                                                                         *)
(* Messages may be lost (a replica may never store a version, a replica    *)
(* may never answer a read), delayed and reordered: the writer's sends are *)
(* a set that replicas draw from in any order at any time, and an answer  *)
(* to a read reports the replica's version at the moment it answers.       *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    Replica,     \* the N replicas
    Reader,      \* the clients that read
    W,           \* acknowledgements a write waits for
    R,           \* answers a read waits for
    MaxVersion   \* the writer writes versions 1..MaxVersion

ASSUME /\ W \in 1..Cardinality(Replica)
       /\ R \in 1..Cardinality(Replica)
       /\ MaxVersion \in Nat

Version == 0..MaxVersion   \* version 0 is the initial value

VARIABLES
    stored,     \* stored[r]: the version replica r holds
    sent,       \* the versions the writer has sent to the replicas
    writing,    \* the version of the writer's current (or last) write
    acked,      \* the replicas that acknowledged version `writing`
    completed,  \* the highest version whose write has completed
    phase,      \* phase[c]: "idle", "reading" or "done"
    floor,      \* floor[c]: `completed` when c's current read began
    answers,    \* answers[c]: the answers c's current read has received
    result      \* result[c]: the version c's last read returned

vars == <<stored, sent, writing, acked, completed, phase, floor, answers, result>>

Answer == [from : Replica, version : Version]

TypeOK ==
    /\ stored \in [Replica -> Version]
    /\ sent \subseteq 1..MaxVersion
    /\ writing \in Version
    /\ acked \subseteq Replica
    /\ completed \in Version
    /\ phase \in [Reader -> {"idle", "reading", "done"}]
    /\ floor \in [Reader -> Version]
    /\ answers \in [Reader -> SUBSET Answer]
    /\ result \in [Reader -> Version]

Init ==
    /\ stored = [r \in Replica |-> 0]
    /\ sent = {}
    /\ writing = 0
    /\ acked = {}
    /\ completed = 0
    /\ phase = [c \in Reader |-> "idle"]
    /\ floor = [c \in Reader |-> 0]
    /\ answers = [c \in Reader |-> {}]
    /\ result = [c \in Reader |-> 0]

ReadVars == <<phase, floor, answers, result>>

-----------------------------------------------------------------------------
(* The writer starts its next write once the previous one completed. *)
StartWrite ==
    /\ writing = completed
    /\ writing < MaxVersion
    /\ writing' = writing + 1
    /\ sent' = sent \cup {writing + 1}
    /\ acked' = {}
    /\ UNCHANGED <<stored, completed>>
    /\ UNCHANGED ReadVars

(* Replica r receives version v, stores it if it is newer than what it     *)
(* holds, and acknowledges it (the acknowledgement counts only if v is the *)
(* writer's current version).                                              *)
Store(r, v) ==
    /\ v \in sent
    /\ v > stored[r]
    /\ stored' = [stored EXCEPT ![r] = v]
    /\ acked' = IF v = writing THEN acked \cup {r} ELSE acked
    /\ UNCHANGED <<sent, writing, completed>>
    /\ UNCHANGED ReadVars

(* The write completes: W replicas acknowledged it. *)
CompleteWrite ==
    /\ completed < writing
    /\ Cardinality(acked) >= W
    /\ completed' = writing
    /\ UNCHANGED <<stored, sent, writing, acked>>
    /\ UNCHANGED ReadVars

(* Reader c starts a read, remembering which writes have completed. *)
StartRead(c) ==
    /\ phase[c] # "reading"
    /\ phase' = [phase EXCEPT ![c] = "reading"]
    /\ floor' = [floor EXCEPT ![c] = completed]
    /\ answers' = [answers EXCEPT ![c] = {}]
    /\ UNCHANGED <<stored, sent, writing, acked, completed, result>>

(* Replica r answers c's read with the version it holds now. *)
AnswerRead(c, r) ==
    /\ phase[c] = "reading"
    /\ \A a \in answers[c] : a.from # r
    /\ answers' = [answers EXCEPT ![c] = @ \cup {[from |-> r, version |-> stored[r]]}]
    /\ UNCHANGED <<stored, sent, writing, acked, completed, phase, floor, result>>

(* With R answers, the read returns the highest version among them. *)
FinishRead(c) ==
    /\ phase[c] = "reading"
    /\ Cardinality(answers[c]) >= R
    /\ LET versions == {a.version : a \in answers[c]}
       IN  result' = [result EXCEPT ![c] = CHOOSE v \in versions : \A u \in versions : u <= v]
    /\ phase' = [phase EXCEPT ![c] = "done"]
    /\ UNCHANGED <<stored, sent, writing, acked, completed, floor, answers>>

Next ==
    \/ StartWrite
    \/ \E r \in Replica, v \in 1..MaxVersion : Store(r, v)
    \/ CompleteWrite
    \/ \E c \in Reader : StartRead(c)
    \/ \E c \in Reader, r \in Replica : AnswerRead(c, r)
    \/ \E c \in Reader : FinishRead(c)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* A finished read returned a value at least as new as every write that    *)
(* had completed before the read began.  Holds when every read quorum      *)
(* meets every write quorum, that is when R + W > N.                       *)
ReadSeesCompletedWrites ==
    \A c \in Reader : phase[c] = "done" => result[c] >= floor[c]
=============================================================================
