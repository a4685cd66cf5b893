// A trace drawn as a message-sequence chart: one lifeline per server, one
// row per event, top to bottom. The page is self-contained (inline SVG and
// CSS, no scripts), so that it can be opened from a file or attached to a
// report. Traces record steps, not messages, so each receive is matched to
// the sender's step that most plausibly sent it (see sendOf); the legend
// says so.

import type { SpecAction, SpecEvent, SpecPost, SpecZxid } from '../core/zab/trace.js';
import type { TraceVerdict } from '../tlc/trace-check.js';
import type { Trace } from './events.js';

type Role = 'LEADING' | 'FOLLOWING' | 'OBSERVING' | 'LOOKING' | 'DOWN';

const ROLE_COLOUR: Record<Role, string> = {
  LEADING: '#7b3fa0',
  FOLLOWING: '#1f77b4',
  OBSERVING: '#17a2b8',
  LOOKING: '#f0a020',
  DOWN: '#b0b0b0',
};

const ROW = 18;
const TOP = 56;
const LEFT = 56;
const COL = 290;
const COMMIT = '#1a8a1a';

export function roleOf(post: SpecPost): Role {
  return post.zabState === 'DOWN' ? 'DOWN' : post.state;
}

function zx(z: SpecZxid): string {
  return `${z[0]}.${z[1]}`;
}

function zxidLess(a: SpecZxid, b: SpecZxid): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function zxidEq(a: SpecZxid, b: SpecZxid): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Is the event the receipt of a message from its peer? */
export function isReceive(e: SpecEvent): boolean {
  if (e.peer === undefined || e.peer === e.srv) return false;
  return e.action === 'FLEReceiveNotification' || /^(Leader|Learner|Observer)\w*Process/.test(e.action);
}

/**
 * The index of the sender's event that sent what event i received, or
 * undefined when no earlier event of the sender fits. Always the latest such
 * event before the receive.
 */
export function sendOf(events: readonly SpecEvent[], i: number): number | undefined {
  const e = events[i]!;
  if (!isReceive(e)) return undefined;
  const peer = e.peer!;
  const latest = (pred: (s: SpecEvent) => boolean): number | undefined => {
    for (let k = i - 1; k >= 0; k--) {
      const s = events[k]!;
      if (s.srv === peer && pred(s)) return k;
    }
    return undefined;
  };
  const is = (...actions: SpecAction[]) => (s: SpecEvent) => actions.includes(s.action);
  switch (e.action) {
    case 'LearnerProcessPROPOSAL':
      return latest((s) => s.action === 'LeaderProcessRequest' && zxidEq(s.post.last, e.post.last)) ?? latest(is('LeaderProcessACKEPOCH'));
    case 'LearnerProcessCOMMIT':
      return (
        latest((s) => s.action === 'LeaderCommit' && zxidEq(s.post.committed, e.post.committed)) ?? latest(is('LeaderProcessACKEPOCH'))
      );
    case 'ObserverProcessINFORM':
      return latest((s) => s.action === 'LeaderCommit' && zxidEq(s.post.committed, e.post.committed));
    case 'LearnerProcessLEADERINFO':
      return latest(is('LeaderProcessFOLLOWERINFO'));
    case 'LeaderProcessFOLLOWERINFO':
      return latest(is('LearnerConnect'));
    case 'LeaderProcessACKEPOCH':
      return latest(is('LearnerProcessLEADERINFO'));
    case 'LearnerProcessDIFF':
    case 'LearnerProcessTRUNC':
    case 'LearnerProcessSNAP':
    case 'LearnerProcessNEWLEADER':
      return latest(is('LeaderProcessACKEPOCH'));
    case 'LearnerProcessUPTODATE':
      return latest(is('LeaderProcessACKNEWLEADER'));
    case 'LeaderProcessACKNEWLEADER':
      return latest(is('LearnerAckNEWLEADER'));
    case 'LeaderProcessACK':
      return latest(is('FlushLog', 'LearnerAckNEWLEADER'));
    default:
      return latest(() => true);
  }
}

/** The message a receive stands for, for the arrow's tooltip. */
function messageName(e: SpecEvent): string {
  if (e.action === 'FLEReceiveNotification') {
    const m = e.msg;
    return m ? `notification: vote ${m.leader} ${zx(m.zxid)} epoch ${m.epoch}, round ${m.round}, ${m.state}` : 'notification';
  }
  if (e.action === 'LeaderProcessACKNEWLEADER') return 'ACK of NEWLEADER';
  const m = /Process(\w+)$/.exec(e.action);
  return m ? m[1]! : e.action;
}

/** The short label of an event: its action and the zxid where it matters. */
export function eventLabel(e: SpecEvent): string {
  const p = e.post;
  switch (e.action) {
    case 'LeaderProcessRequest':
    case 'LearnerProcessPROPOSAL':
    case 'FlushLog':
      return `${e.action} ${zx(e.action === 'FlushLog' ? p.durable : p.last)}`;
    case 'LeaderCommit':
    case 'LearnerProcessCOMMIT':
    case 'ObserverProcessINFORM':
      return `${e.action} ${zx(p.committed)}`;
    case 'FLEDecide':
      return `FLEDecide → ${p.state} (leader ${p.vote.leader})`;
    case 'LearnerProcessLEADERINFO':
    case 'LeaderProcessACKEPOCH':
      return `${e.action} e${p.accepted}`;
    case 'LearnerProcessDIFF':
    case 'LearnerProcessTRUNC':
    case 'LearnerProcessSNAP':
      return `${e.action} ${zx(p.last)}`;
    case 'TakeSnapshot':
      return `${e.action} ${zx(p.committed)}`;
    default:
      return e.action;
  }
}

export interface Commit {
  index: number;
  zxid: SpecZxid;
}

/** LeaderCommit steps and every step after which a learner's delivered zxid advanced. */
export function commitsOf(trace: Trace): Commit[] {
  const delivered = new Map<number, SpecZxid>();
  const out: Commit[] = [];
  trace.events.forEach((e, index) => {
    const before = delivered.get(e.srv) ?? [0, 0];
    if (e.action === 'LeaderCommit' || (e.post.state !== 'LEADING' && zxidLess(before, e.post.committed))) {
      out.push({ index, zxid: e.post.committed });
    }
    delivered.set(e.srv, e.post.committed);
  });
  return out;
}

export function renderTraceHtml(trace: Trace, verdict?: TraceVerdict): string {
  const { header, events } = trace;
  const servers = header.servers;
  const xOf = new Map(servers.map((s, k) => [s, LEFT + COL * k + 100]));
  const yOf = (i: number): number => TOP + ROW * i + ROW / 2;
  const height = TOP + ROW * events.length + 24;
  const width = LEFT + COL * servers.length + 100;
  const unmatched = verdict?.kind === 'rejected' ? verdict.firstUnmatched - 1 : -1;
  const commits = new Map(commitsOf(trace).map((c) => [c.index, c]));
  const svg: string[] = [];

  svg.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
  );

  // stripes for reading across, the rejected row, row numbers
  events.forEach((_, i) => {
    if (i % 2 === 1) svg.push(`<rect class="stripe" x="0" y="${TOP + ROW * i}" width="${width}" height="${ROW}" fill="#f6f6f6"/>`);
  });
  if (unmatched >= 0 && unmatched < events.length) {
    svg.push(
      `<rect class="unmatched" data-index="${unmatched}" x="0" y="${TOP + ROW * unmatched}" width="${width}" height="${ROW}" fill="#ffd0d0" stroke="#d00000"/>`,
    );
  }
  events.forEach((_, i) => {
    svg.push(`<text x="6" y="${yOf(i) + 4}" fill="#888">${i + 1}</text>`);
  });

  // server headers and lifelines, one segment per role
  for (const s of servers) {
    const x = xOf.get(s)!;
    const kind = header.voters.includes(s) ? 'voter' : 'observer';
    svg.push(
      `<text class="server" data-srv="${s}" x="${x}" y="20" text-anchor="middle" font-size="14" font-weight="bold">server ${s}</text>`,
      `<text x="${x}" y="36" text-anchor="middle" fill="#555">${kind}</text>`,
    );
    let from = TOP;
    let role: Role = 'LOOKING';
    const segments: string[] = [];
    const flush = (to: number): void => {
      if (to > from) {
        const dash = role === 'DOWN' ? ' stroke-dasharray="4 4"' : '';
        segments.push(
          `<line class="role role-${role}" x1="${x}" y1="${from}" x2="${x}" y2="${to}" stroke="${ROLE_COLOUR[role]}" stroke-width="4"${dash}><title>server ${s}: ${role}</title></line>`,
        );
      }
    };
    events.forEach((e, i) => {
      if (e.srv !== s) return;
      const r = roleOf(e.post);
      if (r !== role) {
        flush(yOf(i));
        from = yOf(i);
        role = r;
      }
    });
    flush(height - 16);
    svg.push(`<g class="lifeline" data-srv="${s}">${segments.join('')}</g>`);
  }

  // phase changes
  const phase = new Map<number, string>(servers.map((s) => [s, 'ELECTION']));
  events.forEach((e, i) => {
    const x = xOf.get(e.srv);
    if (x === undefined) return;
    if (e.post.zabState !== phase.get(e.srv)) {
      phase.set(e.srv, e.post.zabState);
      svg.push(
        `<g class="phase" data-index="${i}"><line x1="${x - 14}" y1="${yOf(i)}" x2="${x + 14}" y2="${yOf(i)}" stroke="#000" stroke-width="2"/>` +
          `<text x="${x - 16}" y="${yOf(i) + 4}" text-anchor="end" font-size="10" font-weight="bold">${e.post.zabState}</text></g>`,
      );
    }
  });

  // messages
  events.forEach((e, i) => {
    const k = sendOf(events, i);
    if (k === undefined) return;
    const x1 = xOf.get(events[k]!.srv);
    const x2 = xOf.get(e.srv);
    if (x1 === undefined || x2 === undefined) return;
    const notification = e.action === 'FLEReceiveNotification';
    const colour = notification ? '#a0a0a0' : '#303060';
    const x2e = x2 + (x1 < x2 ? -5 : 5);
    svg.push(
      `<line class="arrow${notification ? ' notification' : ''}" data-from="${k}" data-to="${i}" x1="${x1}" y1="${yOf(k)}" x2="${x2e}" y2="${yOf(i)}" ` +
        `stroke="${colour}" stroke-width="${notification ? 0.8 : 1.2}" marker-end="url(#head)"><title>${esc(messageName(e))}: event ${k + 1} → ${i + 1}</title></line>`,
    );
  });

  // the events
  events.forEach((e, i) => {
    const x = xOf.get(e.srv);
    if (x === undefined) return;
    const y = yOf(i);
    const commit = commits.get(i);
    const title = esc(`${i + 1}: ${JSON.stringify(e)}`);
    const label = esc(eventLabel(e)) + (commit && e.action !== 'LeaderCommit' && !/COMMIT|INFORM/.test(e.action) ? ` (delivered ${zx(commit.zxid)})` : '');
    const mark = commit
      ? `<path class="commit" d="M${x},${y - 7} L${x + 7},${y} L${x},${y + 7} L${x - 7},${y} z" fill="${COMMIT}" stroke="#fff"/>`
      : `<circle cx="${x}" cy="${y}" r="4.5" fill="${ROLE_COLOUR[roleOf(e.post)]}" stroke="#000" stroke-width="0.8"/>`;
    const textStyle = commit ? ` fill="${COMMIT}" font-weight="bold"` : i === unmatched ? ' fill="#b00000" font-weight="bold"' : '';
    svg.push(
      `<g class="event" data-index="${i}" data-srv="${e.srv}"><title>${title}</title>${mark}<text x="${x + 10}" y="${y + 4}"${textStyle}>${label}</text></g>`,
    );
  });
  if (unmatched >= 0 && unmatched < events.length) {
    svg.push(
      `<text class="unmatched-note" x="${width - 8}" y="${yOf(unmatched) + 4}" text-anchor="end" fill="#b00000" font-weight="bold">the spec has no step that matches this event</text>`,
    );
  }
  svg.push('</svg>');

  let verdictHtml = '';
  if (verdict?.kind === 'accepted') {
    verdictHtml = `<p class="verdict accepted">Accepted: the spec has a behaviour matching all ${verdict.events} events.</p>`;
  } else if (verdict?.kind === 'rejected') {
    verdictHtml =
      `<p class="verdict rejected">Rejected: event ${verdict.firstUnmatched} (highlighted in red) is the first the spec has no step for; ` +
      `its state before that event is below the chart.</p>`;
  } else if (verdict?.kind === 'error') {
    verdictHtml = `<p class="verdict error">The check failed: ${esc(verdict.message)}</p>`;
  }

  let stateHtml = '';
  if (verdict?.kind === 'rejected') {
    const lines = Object.entries(verdict.stateBefore ?? {}).map(([k, v]) => `${esc(k)} = ${esc(v)}`);
    stateHtml =
      `<h2>The spec's state before event ${verdict.firstUnmatched}</h2>` +
      `<pre class="event-json">${esc(JSON.stringify(verdict.event))}</pre>` +
      (lines.length > 0 ? `<pre class="state-before">${lines.join('\n')}</pre>` : '<p>(no state: the first event is unmatched)</p>');
  }

  const legendRoles = (Object.keys(ROLE_COLOUR) as Role[])
    .map((r) => `<span class="swatch" style="background:${ROLE_COLOUR[r]}"></span>${r}`)
    .join(' ');
  const title = `Zab trace: ${header.source}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>${esc(title)}</title>
<style>
body { font-family: sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px 0; }
h2 { font-size: 15px; }
.source { font-family: monospace; font-size: 12px; color: #444; }
.verdict { font-weight: bold; padding: 4px 8px; display: inline-block; }
.accepted { background: #d8f5d8; color: #155a15; }
.rejected { background: #ffd0d0; color: #900000; }
.error { background: #fff0c0; color: #705000; }
.legend { font-size: 12px; color: #333; max-width: 1100px; }
.swatch { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 10px; }
pre { background: #f4f4f4; padding: 8px; font-size: 12px; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>Zab trace: ${events.length} events, servers ${servers.join(', ')} (voters ${header.voters.join(', ')})</h1>
<div class="source">${esc(header.source)}${header.seed !== undefined ? ` — seed ${header.seed}` : ''}${header.bug ? ` — injected bug ${esc(header.bug)}` : ''}</div>
${verdictHtml}
<div class="legend">
<p>Lifeline colour is the server's role after each of its steps:${legendRoles} (dashed: down after a Crash). A black tick and a label on the left mark a change of phase (ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST).
<span style="color:${COMMIT};font-weight:bold">Green diamonds</span> are commits: a LeaderCommit, or a step after which a learner's delivered zxid advanced. Zxids are written epoch.counter.</p>
<p>Arrows are messages, drawn from the sender's step to the receiver's step (grey: election notifications). A trace records steps, not messages, so each receive is matched to the latest step of its sender before it that fits: PROPOSAL ← the LeaderProcessRequest of that zxid, else the latest LeaderProcessACKEPOCH (the sync stream); COMMIT ← the LeaderCommit of that zxid, else the latest LeaderProcessACKEPOCH; INFORM ← the LeaderCommit of that zxid; LEADERINFO ← LeaderProcessFOLLOWERINFO; FOLLOWERINFO ← LearnerConnect; ACKEPOCH ← LearnerProcessLEADERINFO; DIFF, TRUNC, SNAP, NEWLEADER ← LeaderProcessACKEPOCH; UPTODATE ← LeaderProcessACKNEWLEADER; ACK of NEWLEADER ← LearnerAckNEWLEADER; ACK ← FlushLog or LearnerAckNEWLEADER; notifications ← the sender's latest step of any kind. Hover over a mark for the whole event.</p>
</div>
${svg.join('\n')}
${stateHtml}
</body>
</html>
`;
}
