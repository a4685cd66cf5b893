------------------------------ MODULE TraceZab ------------------------------
(***************************************************************************)
(* Is a recorded run of the implementation a behaviour of Zab.tla?         *)
(*                                                                         *)
(* A trace is a run's steps, in order: each names the Zab.tla action it    *)
(* was, the server that took it (srv), the other server of the step        *)
(* (peer), the request's value (LeaderProcessRequest), the notification    *)
(* received (FLEReceiveNotification), and the spec's variables of srv      *)
(* after the step (post). Traces holds one or more traces of runs with the *)
(* same servers; a behaviour replays one of them (t), on its own. A cursor *)
(* l walks it: each step of this spec is the action the event names, with  *)
(* its arguments, and must leave srv's variables as logged. What the       *)
(* implementation cannot log is filled in: an election notification lost   *)
(* on the way (the network drops it) before the one the next event         *)
(* receives on the same channel. Trace t is accepted when a behaviour      *)
(* consumes all of it: it reaches a state with t that violates             *)
(* TraceNotFinished.                                                       *)
(***************************************************************************)
EXTENDS Zab, TLC

CONSTANT Traces   \* a sequence of traces, each a sequence of events
\* Value is bound to the values the runs' leaders proposed, which the
\* checker lists. (Computed here from Traces, before TLC has built the
\* traces once, they would cost a build of all of them per event.)

VARIABLES
    t,   \* the trace replayed
    l    \* its next event to match

traceVars == <<vars, t, l>>

TraceLog == Traces[t]

ZxidAt(h, n) == IF n = 0 THEN ZeroZxid ELSE h[n].zxid

\* srv's variables after the step are those event e logged.
PostMatches(e) ==
    LET i == e.srv
        p == e.post
    IN /\ state'[i] = p.state
       /\ zabState'[i] = p.zabState
       /\ logicalClock'[i] = p.clock
       /\ currentVote'[i] = [leader |-> p.vote.leader, zxid |-> p.vote.zxid, epoch |-> p.vote.epoch]
       /\ LastZxid(log'[i]) = p.last
       /\ ZxidAt(log'[i], durableLen'[i]) = p.durable
       /\ ZxidAt(log'[i], lastCommitted'[i]) = p.committed
       /\ acceptedEpoch'[i] = p.accepted
       /\ currentEpoch'[i] = p.current

\* The notification event e received, as the spec writes it.
LoggedNotification(e) ==
    Notification([leader |-> e.msg.leader, zxid |-> e.msg.zxid, epoch |-> e.msg.epoch],
                 e.msg.round, e.msg.state)

\* The action event e names, with its arguments.
Action(e) ==
    LET i == e.srv IN
    CASE e.action = "FLEReceiveNotification" ->
              /\ electionMsgs[e.peer][i] # <<>>
              /\ Head(electionMsgs[e.peer][i]) = LoggedNotification(e)
              /\ FLEReceiveNotification(i, e.peer)
      [] e.action = "FLEDecide"                 -> FLEDecide(i)
      [] e.action = "FLENotificationTimeout"    -> FLENotificationTimeout(i)
      [] e.action = "LearnerConnect"            -> LearnerConnect(i, e.peer)
      [] e.action = "RefuseConnection"          -> RefuseConnection(i, e.peer)
      [] e.action = "ConnectionClosed"          -> ConnectionClosed(i, e.peer)
      [] e.action = "LeaderProcessFOLLOWERINFO" -> LeaderProcessFOLLOWERINFO(i, e.peer)
      [] e.action = "LeaderProcessACKEPOCH"     -> LeaderProcessACKEPOCH(i, e.peer)
      [] e.action = "LeaderProcessACKNEWLEADER" -> LeaderProcessACKNEWLEADER(i, e.peer)
      [] e.action = "LeaderProcessRequest"      -> LeaderProcessRequest(i, e.value)
      [] e.action = "LeaderProcessACK"          -> LeaderProcessACK(i, e.peer)
      [] e.action = "LeaderCommit"              -> LeaderCommit(i)
      [] e.action = "LearnerProcessLEADERINFO"  -> LearnerProcessLEADERINFO(i, e.peer)
      [] e.action = "LearnerProcessDIFF"        -> LearnerProcessDIFF(i, e.peer)
      [] e.action = "LearnerProcessTRUNC"       -> LearnerProcessTRUNC(i, e.peer)
      [] e.action = "LearnerProcessSNAP"        -> LearnerProcessSNAP(i, e.peer)
      [] e.action = "LearnerProcessPROPOSAL"    -> LearnerProcessPROPOSAL(i, e.peer)
      [] e.action = "LearnerProcessCOMMIT"      -> LearnerProcessCOMMIT(i, e.peer)
      [] e.action = "LearnerProcessNEWLEADER"   -> LearnerProcessNEWLEADER(i, e.peer)
      [] e.action = "LearnerAckNEWLEADER"       -> LearnerAckNEWLEADER(i, e.peer)
      [] e.action = "LearnerProcessUPTODATE"    -> LearnerProcessUPTODATE(i, e.peer)
      [] e.action = "ObserverProcessINFORM"     -> ObserverProcessINFORM(i, e.peer)
      [] e.action = "FlushLog"                  -> FlushLog(i)
      [] e.action = "TakeSnapshot"              -> TakeSnapshot(i)
      [] e.action = "LearnerTimeout"            -> LearnerTimeout(i)
      [] e.action = "LeaderTimeout"             -> LeaderTimeout(i)
      [] e.action = "Crash"                     -> Crash(i)
      [] e.action = "Restart"                   -> Restart(i)
      [] OTHER                                  -> FALSE

\* A notification the network lost, ahead of the one event e receives on
\* the same channel.
LostNotification(e) ==
    /\ e.action = "FLEReceiveNotification"
    /\ electionMsgs[e.peer][e.srv] # <<>>
    /\ Head(electionMsgs[e.peer][e.srv]) # LoggedNotification(e)
    /\ FLEDropNotification(e.peer, e.srv)
    /\ UNCHANGED l

TraceLen == Len(TraceLog)

TraceInit == Init /\ t \in DOMAIN Traces /\ l = 1

TraceNext ==
    /\ l <= TraceLen
    /\ LET e == TraceLog[l] IN
       \/ LostNotification(e)
       \/ /\ Action(e)
          /\ PostMatches(e)
          /\ l' = l + 1
    /\ UNCHANGED t

\* Violated (reported by TLC) once some behaviour has matched every event of
\* its trace.
TraceNotFinished == l <= TraceLen
=============================================================================
