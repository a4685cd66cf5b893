---------------------------- MODULE QuorumReads ----------------------------
(***************************************************************************)
(* A versioned register replicated on N replicas with quorum writes and    *)
(* quorum reads (Dynamo/Cassandra style, no leader).                       *)
(*                                                                         *)
(* One writer writes versions 1, 2, ... in turn.  It sends each version to *)
(* every replica; a replica stores a version newer than the one it holds   *)
(* and acknowledges it; the write completes once W replicas acknowledged.  *)
(* A read asks replicas for their version, waits for R answers and returns *)
(* the highest version among them.  Version k carries value k, so versions *)
(* stand for values.                                                       *)
(*                                                                         *)
(* With ReadRepair the reader does one more round before it returns, as    *)
(* the read of Attiya, Bar-Noy and Dolev's register does: it writes the    *)
(* version it chose back to the replicas and waits until W of them have    *)
(* acknowledged it.                                                        *)
(*                                                                         *)
(* Messages may be lost (a replica may never store a version, a replica    *)
(* may never answer a read), delayed and reordered: the writer's sends are *)
(* a set that replicas draw from in any order at any time, and an answer   *)
(* to a read reports the replica's version at the moment it answers.  A    *)
(* write-back that arrives after its read returned is no new behaviour:    *)
(* the version it carries was sent by the writer, and the writer's own     *)
(* message may arrive just as late.                                        *)
(*                                                                         *)
(* What R + W > N gives is a regular register, not an atomic one: a read   *)
(* sees every write that completed before it began, but two reads that     *)
(* overlap a write may see it in the order new, then old.  Read repair     *)
(* closes that gap.                                                        *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    Replica,     \* the N replicas
    Reader,      \* the clients that read
    W,           \* acknowledgements a write (and a write-back) waits for
    R,           \* answers a read waits for
    MaxVersion,  \* the writer writes versions 1..MaxVersion
    ReadRepair   \* TRUE: a read writes its result back before it returns

ASSUME /\ W \in 1..Cardinality(Replica)
       /\ R \in 1..Cardinality(Replica)
       /\ MaxVersion \in Nat
       /\ ReadRepair \in BOOLEAN

Version == 0..MaxVersion   \* version 0 is the initial value

VARIABLES
    stored,     \* stored[r]: the version replica r holds
    sent,       \* the versions the writer has sent to the replicas
    writing,    \* the version of the writer's current (or last) write
    acked,      \* the replicas that acknowledged version `writing`
    completed,  \* the highest version whose write has completed
    phase,      \* phase[c]: "idle", "reading", "repairing" or "done"
    floor,      \* floor[c]: `completed` when c's current read began
    prior,      \* prior[c]: the newest version any read had returned when c's current read began
    answered,   \* answered[c]: the replicas that answered c's current read
    highest,    \* highest[c]: the highest version among those answers
    repairAcks, \* repairAcks[c]: the replicas that acknowledged c's write-back
    result      \* result[c]: the version c's last read returned

vars == <<stored, sent, writing, acked, completed,
          phase, floor, prior, answered, highest, repairAcks, result>>

TypeOK ==
    /\ stored \in [Replica -> Version]
    /\ sent \subseteq 1..MaxVersion
    /\ writing \in Version
    /\ acked \subseteq Replica
    /\ completed \in Version
    /\ phase \in [Reader -> {"idle", "reading", "repairing", "done"}]
    /\ floor \in [Reader -> Version]
    /\ prior \in [Reader -> Version]
    /\ answered \in [Reader -> SUBSET Replica]
    /\ highest \in [Reader -> Version]
    /\ repairAcks \in [Reader -> SUBSET Replica]
    /\ result \in [Reader -> Version]

Init ==
    /\ stored = [r \in Replica |-> 0]
    /\ sent = {}
    /\ writing = 0
    /\ acked = {}
    /\ completed = 0
    /\ phase = [c \in Reader |-> "idle"]
    /\ floor = [c \in Reader |-> 0]
    /\ prior = [c \in Reader |-> 0]
    /\ answered = [c \in Reader |-> {}]
    /\ highest = [c \in Reader |-> 0]
    /\ repairAcks = [c \in Reader |-> {}]
    /\ result = [c \in Reader |-> 0]

WriterVars == <<sent, writing, acked, completed>>
ReadVars == <<phase, floor, prior, answered, highest, repairAcks, result>>

Max(S) == CHOOSE v \in S : \A u \in S : u <= v

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

(* Replica r receives version v from the writer, stores it if it is newer  *)
(* than what it holds, and acknowledges it; the acknowledgement counts if  *)
(* v is the writer's current version.  A replica that already holds v      *)
(* (from a reader's write-back) still acknowledges it.                     *)
Store(r, v) ==
    /\ v \in sent
    /\ \/ v > stored[r]
       \/ v = writing /\ r \notin acked
    /\ stored' = [stored EXCEPT ![r] = Max({v, stored[r]})]
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

(* Reader c starts a read, remembering which writes have completed and the *)
(* newest version a read has returned so far: the newest of the readers'   *)
(* last results (as long as no read returned less than an earlier one,     *)
(* each reader's results only grow, so that is the newest ever returned).  *)
StartRead(c) ==
    /\ phase[c] \in {"idle", "done"}
    /\ phase' = [phase EXCEPT ![c] = "reading"]
    /\ floor' = [floor EXCEPT ![c] = completed]
    /\ prior' = [prior EXCEPT ![c] = Max({result[d] : d \in Reader})]
    /\ UNCHANGED <<stored>>
    /\ UNCHANGED WriterVars
    /\ UNCHANGED <<answered, highest, repairAcks, result>>

(* Replica r answers c's read with the version it holds now; the reader    *)
(* keeps only the highest version it has been told.                        *)
AnswerRead(c, r) ==
    /\ phase[c] = "reading"
    /\ r \notin answered[c]
    /\ answered' = [answered EXCEPT ![c] = @ \cup {r}]
    /\ highest' = [highest EXCEPT ![c] = Max({@, stored[r]})]
    /\ UNCHANGED <<stored>>
    /\ UNCHANGED WriterVars
    /\ UNCHANGED <<phase, floor, prior, repairAcks, result>>

(* A read returns the highest version it was told; the reader forgets the  *)
(* answers and acknowledgements of the read.                               *)
Return(c) ==
    /\ phase' = [phase EXCEPT ![c] = "done"]
    /\ result' = [result EXCEPT ![c] = highest[c]]
    /\ answered' = [answered EXCEPT ![c] = {}]
    /\ highest' = [highest EXCEPT ![c] = 0]
    /\ repairAcks' = [repairAcks EXCEPT ![c] = {}]
    /\ UNCHANGED <<stored>>
    /\ UNCHANGED WriterVars
    /\ UNCHANGED <<floor, prior>>

(* Without read repair: with R answers, the read returns. *)
FinishRead(c) ==
    /\ ~ReadRepair
    /\ phase[c] = "reading"
    /\ Cardinality(answered[c]) >= R
    /\ Return(c)

(* With read repair: with R answers, the reader sends the highest version  *)
(* it was told back to every replica.                                      *)
StartWriteBack(c) ==
    /\ ReadRepair
    /\ phase[c] = "reading"
    /\ Cardinality(answered[c]) >= R
    /\ phase' = [phase EXCEPT ![c] = "repairing"]
    /\ UNCHANGED <<stored>>
    /\ UNCHANGED WriterVars
    /\ UNCHANGED <<floor, prior, answered, highest, repairAcks, result>>

(* Replica r receives c's write-back, stores the version if it is newer    *)
(* than what it holds, and acknowledges it to c.                           *)
StoreWriteBack(c, r) ==
    /\ phase[c] = "repairing"
    /\ r \notin repairAcks[c]
    /\ stored' = [stored EXCEPT ![r] = Max({highest[c], stored[r]})]
    /\ repairAcks' = [repairAcks EXCEPT ![c] = @ \cup {r}]
    /\ UNCHANGED WriterVars
    /\ UNCHANGED <<phase, floor, prior, answered, highest, result>>

(* When the reader may return: W replicas hold the version it chose. *)
WriteBackComplete(c) == Cardinality(repairAcks[c]) >= W

(* The write-back is complete: the read returns the version it chose. *)
FinishRepairedRead(c) ==
    /\ phase[c] = "repairing"
    /\ WriteBackComplete(c)
    /\ Return(c)

Next ==
    \/ StartWrite
    \/ \E r \in Replica, v \in 1..MaxVersion : Store(r, v)
    \/ CompleteWrite
    \/ \E c \in Reader : StartRead(c)
    \/ \E c \in Reader, r \in Replica : AnswerRead(c, r)
    \/ \E c \in Reader : FinishRead(c)
    \/ \E c \in Reader : StartWriteBack(c)
    \/ \E c \in Reader, r \in Replica : StoreWriteBack(c, r)
    \/ \E c \in Reader : FinishRepairedRead(c)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* A regular register (Lamport): a finished read returned a version at     *)
(* least as new as every write that had completed before the read began.   *)
(* (That it returns no version the writer has not yet sent holds by        *)
(* construction: replicas hold only versions the writer sent.)  Holds when *)
(* every read quorum meets every write quorum, that is when R + W > N.     *)
RegularRegister ==
    \A c \in Reader : phase[c] = "done" => result[c] >= floor[c]

(* An atomic register adds: no new-old inversion.  Once a read has         *)
(* returned version v, a read that begins afterwards, by any reader,       *)
(* returns v or newer.  R + W > N alone does not give it: a read can see   *)
(* a write still in progress at the one replica that has stored it, and a  *)
(* later read can miss that replica.  With read repair the first read      *)
(* returns only once a write quorum holds what it returns.                 *)
AtomicRegister ==
    /\ RegularRegister
    /\ \A c \in Reader : phase[c] = "done" => result[c] >= prior[c]
=============================================================================
