------------------------- MODULE FastLeaderElection -------------------------
(***************************************************************************)
(* ZooKeeper's fast leader election (FLE), one server step at a time.      *)
(*                                                                         *)
(* A LOOKING server starts a round of its logical clock, votes for itself  *)
(* with its current epoch and last logged zxid, and notifies every voter.  *)
(* Each notification received is handled on its own:                       *)
(*   - from a later round: jump to that round, forget the votes collected  *)
(*     so far, vote for the better of the received vote and its own, and   *)
(*     notify the voters again;                                            *)
(*   - from the same round: adopt the received vote if it is better and    *)
(*     notify the voters again; remember the sender's vote;                *)
(*   - from an earlier round: answer with the current vote;                *)
(*   - from a FOLLOWING or LEADING server: remember the vote, both in the  *)
(*     round's votes (same round) and in the out-of-election votes.        *)
(* Votes are ordered by epoch, then zxid, then server id (ZooKeeper's      *)
(* totalOrderPredicate). A voter's notifications go to every voter, itself *)
(* included, and its own vote enters its round's votes only when it        *)
(* receives its own notification, as ZooKeeper loops a server's messages   *)
(* to itself back through its receive queue. A server settles when its     *)
(* finalize wait runs out (a step of its own) while a quorum of the        *)
(* round's votes equals its own, or when a quorum of FOLLOWING/LEADING     *)
(* servers names the same leader and that leader says it is LEADING (how a *)
(* restarted server joins an established ensemble). The notification       *)
(* timeout is a timer step of its own: a LOOKING server may send its vote  *)
(* again at any time. No step reads a message before it is received, nor   *)
(* another server's variables.                                             *)
(*                                                                         *)
(* Settled servers answer LOOKING voters with the vote they settled on.    *)
(* Observers take part only by listening: their own vote names nobody,     *)
(* voters answer their notifications without counting them, and observers  *)
(* settle as OBSERVING when a quorum of voters agrees.                     *)
(*                                                                         *)
(* This module holds the election variables and steps. Zab.tla extends it  *)
(* and turns each step into a Zab action; MCFastLeaderElection.tla checks  *)
(* the election alone, over fixed logs.                                    *)
(***************************************************************************)
EXTENDS Naturals, Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Server,     \* server ids (the myid of each server), positive naturals
    Voter       \* the servers that vote; Server \ Voter are observers

ASSUME /\ Server \subseteq Nat \ {0}
       /\ Voter \subseteq Server
       /\ Voter # {}

Observer == Server \ Voter

LOOKING   == "LOOKING"
FOLLOWING == "FOLLOWING"
LEADING   == "LEADING"
OBSERVING == "OBSERVING"
ServerState == {LOOKING, FOLLOWING, LEADING, OBSERVING}

NoServer == 0   \* the leader named by an observer's own vote: nobody

VARIABLES
    state,          \* state[i]: LOOKING, FOLLOWING, LEADING or OBSERVING
    logicalClock,   \* logicalClock[i]: i's election round (volatile)
    currentVote,    \* currentVote[i]: the vote i proposes, or settled on
    receiveVotes,   \* receiveVotes[i]: sender -> vote of i's current round
    outOfElection,  \* outOfElection[i]: sender -> vote of a settled server
    electionMsgs,   \* electionMsgs[i][j]: notifications from i to j, FIFO
    log,            \* log[i]: the transactions i holds, in order (Zab.tla: what
                    \* of it is durable, and how a restart cuts it back)
    currentEpoch    \* currentEpoch[i]: the last epoch i synced with (a durable file)

electionVars == <<state, logicalClock, currentVote, receiveVotes, outOfElection, electionMsgs>>

-----------------------------------------------------------------------------
(* Zxids, votes, quorums                                                   *)

\* A zxid is <<epoch, counter>>; ZooKeeper packs them into one 64-bit number.
ZeroZxid == <<0, 0>>
ZxidLT(a, b) == a[1] < b[1] \/ (a[1] = b[1] /\ a[2] < b[2])
LastZxid(h) == IF h = <<>> THEN ZeroZxid ELSE h[Len(h)].zxid

IsQuorum(S) == 2 * Cardinality(S \cap Voter) > Cardinality(Voter)

\* The vote a server casts for itself when a round starts.
InitVote(i) ==
    IF i \in Voter
    THEN [leader |-> i, zxid |-> LastZxid(log[i]), epoch |-> currentEpoch[i]]
    ELSE [leader |-> NoServer, zxid |-> ZeroZxid, epoch |-> 0]

\* (epoch ea, zxid za) is more recent than (epoch eb, zxid zb): ZooKeeper
\* compares the epoch first, then the zxid. Zab.tla's leader uses the same
\* order to spot a learner ahead of it. (A model that overrides this
\* operator with a zxid-first order checks that broken variant.)
MoreRecent(ea, za, eb, zb) == ea > eb \/ (ea = eb /\ ZxidLT(zb, za))

\* Vote a beats vote b: more recent, or as recent with a higher server id.
\* Only voters can win.
Better(a, b) ==
    /\ a.leader \in Voter
    /\ \/ MoreRecent(a.epoch, a.zxid, b.epoch, b.zxid)
       \/ a.epoch = b.epoch /\ a.zxid = b.zxid /\ a.leader > b.leader

Notification(v, round, st) ==
    [mtype |-> "NOTIFICATION", mleader |-> v.leader, mzxid |-> v.zxid,
     mepoch |-> v.epoch, mround |-> round, mstate |-> st]

VoteOf(n) == [leader |-> n.mleader, zxid |-> n.mzxid, epoch |-> n.mepoch]

\* A remembered vote: the vote, the sender's round and the sender's state.
Entry(v, round, st) ==
    [leader |-> v.leader, zxid |-> v.zxid, epoch |-> v.epoch, round |-> round, state |-> st]
EntryOf(n) == Entry(VoteOf(n), n.mround, n.mstate)
SameVote(e, v) == e.leader = v.leader /\ e.zxid = v.zxid /\ e.epoch = v.epoch

EmptyFn == [k \in {} |-> NoServer]
Put(f, k, v) == [x \in DOMAIN f \cup {k} |-> IF x = k THEN v ELSE f[x]]

-----------------------------------------------------------------------------
(* Sending on the election network                                         *)

SendTo(chans, i, j, m) == [chans EXCEPT ![i][j] = Append(@, m)]

\* i notifies every voter, itself included (ZooKeeper's sendNotifications;
\* a message to itself goes straight to its own receive queue).
Broadcast(chans, i, m) ==
    [chans EXCEPT ![i] = [j \in Server |->
        IF j \in Voter THEN Append(chans[i][j], m) ELSE chans[i][j]]]

\* i's current vote as an answer to one server.
Answer(i) == Notification(currentVote[i], logicalClock[i], state[i])

\* The start of a round: i is LOOKING in round `round`, votes for itself and
\* notifies the voters over `chans`. Zab uses it when a server (re)starts
\* or gives up its leader.
StartRound(i, round, chans) ==
    LET v == InitVote(i) IN
    /\ state' = [state EXCEPT ![i] = LOOKING]
    /\ logicalClock' = [logicalClock EXCEPT ![i] = round]
    /\ currentVote' = [currentVote EXCEPT ![i] = v]
    /\ receiveVotes' = [receiveVotes EXCEPT ![i] = EmptyFn]
    /\ outOfElection' = [outOfElection EXCEPT ![i] = EmptyFn]
    /\ electionMsgs' = Broadcast(chans, i, Notification(v, round, LOOKING))

\* Every server has just started: round 1, its own vote, and the first
\* notifications of the servers in `heard` in flight (those of the others
\* were lost; a voter's notification to itself is never lost). log and
\* currentEpoch must be set before this is evaluated.
ElectionInitHeard(heard) ==
    /\ state = [i \in Server |-> LOOKING]
    /\ logicalClock = [i \in Server |-> 1]
    /\ currentVote = [i \in Server |-> InitVote(i)]
    /\ receiveVotes = [i \in Server |-> EmptyFn]
    /\ outOfElection = [i \in Server |-> EmptyFn]
    /\ electionMsgs = [i \in Server |-> [j \in Server |->
            IF j \in Voter /\ (i \in heard \/ j = i)
            THEN <<Notification(InitVote(i), 1, LOOKING)>> ELSE <<>>]]

ElectionInit == ElectionInitHeard(Server)

-----------------------------------------------------------------------------
(* Election steps. Each changes only the election variables.               *)

\* i receives the next notification from j (j = i: its own) and reacts to it.
ReceiveNotificationStep(i, j) ==
    /\ electionMsgs[j][i] # <<>>
    /\ LET n    == Head(electionMsgs[j][i])
           nv   == VoteOf(n)
           rest == [electionMsgs EXCEPT ![j][i] = Tail(@)]
       IN
       IF j = i /\ state[i] # LOOKING
       THEN \* its own notification of the round it has settled: nothing to do
            /\ electionMsgs' = rest
            /\ UNCHANGED <<state, logicalClock, currentVote, receiveVotes, outOfElection>>
       ELSE IF j \notin Voter \/ (state[i] # LOOKING /\ n.mstate = LOOKING)
       THEN \* An observer asks, or a LOOKING voter asks a settled server.
            \* Voters answer both; an observer answers nobody (observers
            \* only listen, which also avoids an endless exchange of answers
            \* between a settled observer and a LOOKING voter).
            /\ electionMsgs' = IF i \in Voter THEN SendTo(rest, i, j, Answer(i)) ELSE rest
            /\ UNCHANGED <<state, logicalClock, currentVote, receiveVotes, outOfElection>>
       ELSE IF state[i] # LOOKING
       THEN \* a settled server ignores other settled servers
            /\ electionMsgs' = rest
            /\ UNCHANGED <<state, logicalClock, currentVote, receiveVotes, outOfElection>>
       ELSE IF n.mstate = LOOKING /\ n.mround > logicalClock[i]
       THEN \* a later round: join it, start collecting afresh (i's own vote of
            \* the new round arrives with its own notification)
            LET v == IF Better(nv, InitVote(i)) THEN nv ELSE InitVote(i)
            IN /\ logicalClock' = [logicalClock EXCEPT ![i] = n.mround]
               /\ currentVote' = [currentVote EXCEPT ![i] = v]
               /\ receiveVotes' = [receiveVotes EXCEPT ![i] = (j :> EntryOf(n))]
               /\ electionMsgs' = Broadcast(rest, i, Notification(v, n.mround, LOOKING))
               /\ UNCHANGED <<state, outOfElection>>
       ELSE IF n.mstate = LOOKING /\ n.mround = logicalClock[i]
       THEN IF Better(nv, currentVote[i])
            THEN \* a better vote of this round: adopt it and tell the voters
                 /\ currentVote' = [currentVote EXCEPT ![i] = nv]
                 /\ receiveVotes' = [receiveVotes EXCEPT ![i] = Put(@, j, EntryOf(n))]
                 /\ electionMsgs' = Broadcast(rest, i, Notification(nv, logicalClock[i], LOOKING))
                 /\ UNCHANGED <<state, logicalClock, outOfElection>>
            ELSE /\ receiveVotes' = [receiveVotes EXCEPT ![i] = Put(@, j, EntryOf(n))]
                 /\ electionMsgs' = rest
                 /\ UNCHANGED <<state, logicalClock, currentVote, outOfElection>>
       ELSE IF n.mstate = LOOKING
       THEN \* an earlier round: tell the sender where this server stands
            /\ electionMsgs' = SendTo(rest, i, j, Answer(i))
            /\ UNCHANGED <<state, logicalClock, currentVote, receiveVotes, outOfElection>>
       ELSE \* a FOLLOWING or LEADING voter reports the leader it settled on
            /\ receiveVotes' = IF n.mround = logicalClock[i]
                               THEN [receiveVotes EXCEPT ![i] = Put(@, j, EntryOf(n))]
                               ELSE receiveVotes
            /\ outOfElection' = [outOfElection EXCEPT ![i] = Put(@, j, EntryOf(n))]
            /\ electionMsgs' = rest
            /\ UNCHANGED <<state, logicalClock, currentVote>>

\* Voters whose vote of i's round, as i received it, equals i's own vote.
RoundSupport(i) ==
    {k \in DOMAIN receiveVotes[i] \cap Voter : SameVote(receiveVotes[i][k], currentVote[i])}

\* Settled servers naming the same leader (and epoch) as entry e.
OutOfElectionSupport(i, e) ==
    {k \in DOMAIN outOfElection[i] \cap Voter :
        outOfElection[i][k].leader = e.leader /\ outOfElection[i][k].epoch = e.epoch}

\* ZooKeeper's checkLeader over the votes `votes`: the leader itself says it
\* is LEADING, or i is the leader and the round is i's own.
LeaderConfirmedIn(votes, i, e) ==
    IF e.leader = i
    THEN logicalClock[i] = e.round
    ELSE e.leader \in DOMAIN votes /\ votes[e.leader].state = LEADING
LeaderConfirmed(i, e) == LeaderConfirmedIn(outOfElection[i], i, e)

\* ZooKeeper's vote equality: a LOOKING vote matches only the same vote of
\* the same round; two settled ones match when they name the same leader
\* and epoch.
ZkSameVote(a, b) ==
    IF a.state = LOOKING \/ b.state = LOOKING
    THEN a.leader = b.leader /\ a.zxid = b.zxid /\ a.epoch = b.epoch /\ a.round = b.round
    ELSE a.leader = b.leader /\ a.epoch = b.epoch

\* Voters whose vote of i's round matches the settled vote e, as ZooKeeper
\* counts them when a settled server's notification of its own round comes.
RoundSettledSupport(i, e) ==
    {k \in DOMAIN receiveVotes[i] \cap Voter : ZkSameVote(receiveVotes[i][k], e)}

RoleFor(i, leader) ==
    IF leader = i THEN LEADING ELSE IF i \in Voter THEN FOLLOWING ELSE OBSERVING

\* i settles on a leader, from the votes it has received: its finalize
\* wait runs out while a quorum of its round's votes equals its own; or a
\* settled voter of its round named a leader that a quorum of its round's
\* votes matches and that says it is LEADING; or a quorum of settled voters
\* names a leader that says it is LEADING. A better vote received before
\* this step changes i's vote, so the support it needs.
DecideStep(i) ==
    /\ state[i] = LOOKING
    /\ \/ /\ IsQuorum(RoundSupport(i))
          /\ state' = [state EXCEPT ![i] = RoleFor(i, currentVote[i].leader)]
          /\ UNCHANGED <<logicalClock, currentVote>>
       \/ \E k \in DOMAIN receiveVotes[i] :
            LET e == receiveVotes[i][k] IN
            /\ e.state \in {FOLLOWING, LEADING}
            /\ e.round = logicalClock[i]
            /\ IsQuorum(RoundSettledSupport(i, e))
            /\ LeaderConfirmedIn(receiveVotes[i], i, e)
            /\ state' = [state EXCEPT ![i] = RoleFor(i, e.leader)]
            /\ currentVote' = [currentVote EXCEPT ![i] =
                                  [leader |-> e.leader, zxid |-> e.zxid, epoch |-> e.epoch]]
            /\ UNCHANGED logicalClock
       \/ \E k \in DOMAIN outOfElection[i] :
            LET e == outOfElection[i][k] IN
            /\ IsQuorum(OutOfElectionSupport(i, e))
            /\ LeaderConfirmed(i, e)
            /\ state' = [state EXCEPT ![i] = RoleFor(i, e.leader)]
            /\ logicalClock' = [logicalClock EXCEPT ![i] = e.round]
            /\ currentVote' = [currentVote EXCEPT ![i] =
                                  [leader |-> e.leader, zxid |-> e.zxid, epoch |-> e.epoch]]
    /\ receiveVotes' = [receiveVotes EXCEPT ![i] = EmptyFn]
    /\ outOfElection' = [outOfElection EXCEPT ![i] = EmptyFn]
    /\ UNCHANGED electionMsgs

\* i's notification timer fires: a LOOKING server notifies the voters again.
NotificationTimeoutStep(i) ==
    /\ state[i] = LOOKING
    /\ electionMsgs' = Broadcast(electionMsgs, i,
                                 Notification(currentVote[i], logicalClock[i], LOOKING))
    /\ UNCHANGED <<state, logicalClock, currentVote, receiveVotes, outOfElection>>

\* The next notification from i to j (i # j) is lost.
DropNotificationStep(i, j) ==
    /\ i # j
    /\ electionMsgs[i][j] # <<>>
    /\ electionMsgs' = [electionMsgs EXCEPT ![i][j] = Tail(@)]
    /\ UNCHANGED <<state, logicalClock, currentVote, receiveVotes, outOfElection>>

-----------------------------------------------------------------------------
(* Types                                                                   *)

Zxid == Nat \X Nat
VoteType == [leader : Server \cup {NoServer}, zxid : Zxid, epoch : Nat]
EntryType == [leader : Server \cup {NoServer}, zxid : Zxid, epoch : Nat,
              round : Nat, state : ServerState]
NotificationType == [mtype : {"NOTIFICATION"}, mleader : Server \cup {NoServer},
                     mzxid : Zxid, mepoch : Nat, mround : Nat, mstate : ServerState]

IsVoteTable(f) == DOMAIN f \subseteq Server /\ \A k \in DOMAIN f : f[k] \in EntryType

ElectionTypeOK ==
    /\ state \in [Server -> ServerState]
    /\ logicalClock \in [Server -> Nat]
    /\ currentVote \in [Server -> VoteType]
    /\ \A i \in Server : IsVoteTable(receiveVotes[i]) /\ IsVoteTable(outOfElection[i])
    /\ DOMAIN receiveVotes = Server /\ DOMAIN outOfElection = Server
    /\ electionMsgs \in [Server -> [Server -> Seq(NotificationType)]]
=============================================================================
