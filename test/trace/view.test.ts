// The trace viewer: the page it draws for a trace (one lifeline per server,
// a mark per event, arrows for messages, commits marked, a rejected event in
// red with the spec's state before it), and that a real browser renders it
// into a picture that is not blank.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TraceVerdict } from '../../src/tlc/trace-check.js';
import { type Trace, readTrace } from '../../src/trace/events.js';
import { commitsOf, isReceive, renderTraceHtml, sendOf } from '../../src/trace/view.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const fixture = (name: string): Trace => readTrace(readFileSync(path.join(root, 'traces', `${name}.ndjson`), 'utf8'), name);

const count = (html: string, re: RegExp): number => html.match(new RegExp(re.source, 'g'))?.length ?? 0;

/** Every element closed in order (the page is written as XML-compatible HTML). */
function unbalancedTags(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  const body = html.replace(/^<!DOCTYPE html>/, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (selfClosing) continue;
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else stack.push(name!);
  }
  return [...problems, ...stack.map((s) => `<${s}> not closed`)];
}

describe('renderTraceHtml', () => {
  const trace = fixture('leader-crash-mid-proposal');
  const html = renderTraceHtml(trace);

  it('draws a well-formed page: a lifeline per server, a mark per event, arrows and commits', () => {
    expect(unbalancedTags(html)).toEqual([]);
    expect(count(html, /<svg /)).toBe(1);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain(trace.header.source.replace(/&/g, '&amp;'));
    for (const s of trace.header.servers) expect(count(html, new RegExp(`class="lifeline" data-srv="${s}"`))).toBe(1);
    expect(count(html, /class="lifeline"/)).toBe(trace.header.servers.length);
    expect(count(html, /<g class="event" /)).toBe(trace.events.length);
    trace.events.forEach((e, i) => expect(html).toContain(`<g class="event" data-index="${i}" data-srv="${e.srv}">`));
    // a crash turns the lifeline dashed grey
    expect(trace.events.some((e) => e.action === 'Crash')).toBe(true);
    expect(html).toContain('role-DOWN');
    expect(count(html, /class="phase"/)).toBeGreaterThan(trace.header.servers.length);

    const arrows = trace.events.map((_, i) => sendOf(trace.events, i)).filter((k) => k !== undefined);
    expect(arrows.length).toBeGreaterThan(trace.events.filter(isReceive).length * 0.9);
    expect(count(html, /<line class="arrow/)).toBe(arrows.length);

    const commits = commitsOf(trace);
    const leaderCommits = trace.events.filter((e) => e.action === 'LeaderCommit').length;
    expect(leaderCommits).toBeGreaterThan(0);
    expect(commits.length).toBeGreaterThan(leaderCommits);
    expect(count(html, /class="commit"/)).toBe(commits.length);
    expect(html).toContain('LeaderCommit 1.1');
    expect(html).toMatch(/Arrows are messages.*matched/s);
    expect(html).not.toContain('class="unmatched"');
  });

  it('matches a proposal to the request of its zxid and a commit to the LeaderCommit of its zxid', () => {
    const ev = trace.events;
    let checked = 0;
    ev.forEach((e, i) => {
      const k = sendOf(ev, i);
      if (e.action === 'LearnerProcessPROPOSAL' && k !== undefined && ev[k]!.action === 'LeaderProcessRequest') {
        expect(ev[k]!.post.last).toEqual(e.post.last);
        expect(ev[k]!.srv).toBe(e.peer);
        expect(k).toBeLessThan(i);
        checked++;
      }
      if (e.action === 'LearnerProcessCOMMIT' && k !== undefined && ev[k]!.action === 'LeaderCommit') {
        expect(ev[k]!.post.committed).toEqual(e.post.committed);
        checked++;
      }
      if (e.action === 'LeaderProcessFOLLOWERINFO') expect(ev[k!]!.action).toBe('LearnerConnect');
    });
    expect(checked).toBeGreaterThan(10);
  });

  it('marks a rejected trace at exactly its first unmatched event, with the state before it', () => {
    const at = 42;
    const verdict: TraceVerdict = {
      kind: 'rejected',
      events: trace.events.length,
      seconds: 1,
      tlcRuns: 2,
      firstUnmatched: at,
      event: JSON.parse(JSON.stringify(trace.events[at - 1])),
      stateBefore: { zabState: '(1 :> "BROADCAST" @@ 2 :> "BROADCAST")', history: '<<[zxid |-> <<1, 1>>]>>' },
    };
    const page = renderTraceHtml(trace, verdict);
    expect(unbalancedTags(page)).toEqual([]);
    expect(count(page, /<rect class="unmatched" /)).toBe(1);
    expect(page).toContain(`<rect class="unmatched" data-index="${at - 1}"`);
    expect(count(page, /the spec has no step that matches this event/)).toBe(1);
    expect(page).toContain('Rejected: event 42');
    expect(page).toContain('zabState = (1 :&gt; &quot;BROADCAST&quot; @@ 2 :&gt; &quot;BROADCAST&quot;)\nhistory = &lt;&lt;[zxid |-&gt; &lt;&lt;1, 1&gt;&gt;]&gt;&gt;');
    const accepted = renderTraceHtml(trace, { kind: 'accepted', events: trace.events.length, seconds: 1, tlcRuns: 1 });
    expect(accepted).toContain('Accepted');
    expect(accepted).not.toContain('class="unmatched"');
  });

  it('draws an observer as such, with INFORM arrows from the LeaderCommit of its zxid', () => {
    const obs = fixture('observer-catch-up');
    const page = renderTraceHtml(obs);
    expect(unbalancedTags(page)).toEqual([]);
    expect(count(page, /class="lifeline"/)).toBe(4);
    expect(page).toContain('>observer<');
    expect(page).toContain('role-OBSERVING');
    obs.events.forEach((e, i) => {
      if (e.action !== 'ObserverProcessINFORM') return;
      const k = sendOf(obs.events, i);
      expect(k).toBeDefined();
      expect(obs.events[k!]!.action).toBe('LeaderCommit');
      expect(obs.events[k!]!.post.committed).toEqual(e.post.committed);
    });
  });
});

// ---- a real browser -------------------------------------------------------

const CHROMIUM = ['/usr/bin/chromium-headless-shell', '/usr/lib/chromium/chromium-headless-shell'].find((p) => existsSync(p));

interface Png {
  width: number;
  height: number;
  /** distinct RGB(A) values */
  colours: number;
  /** share of pixels that are not white */
  inked: number;
}

/** Enough PNG decoding (8-bit RGB or RGBA, not interlaced) to see what was drawn. */
function decodePng(buf: Buffer): Png {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let off = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      colourType = data[9]!;
      expect(data[12]).toBe(0); // not interlaced
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  expect(bpp).toBeGreaterThan(0);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  expect(raw.length).toBe(height * (stride + 1));
  let prev = Buffer.alloc(stride);
  const colours = new Set<number>();
  let inked = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      let p = 0;
      if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[x] = (line[x]! + p) & 0xff;
    }
    for (let x = 0; x < stride; x += bpp) {
      const v = (line[x]! << 16) | (line[x + 1]! << 8) | line[x + 2]!;
      colours.add(v);
      if (v !== 0xffffff) inked++;
    }
    prev = line;
  }
  return { width, height, colours: colours.size, inked: inked / (width * height) };
}

function screenshot(url: string, dir: string, name: string): Buffer {
  const png = path.join(dir, name);
  execFileSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', `--screenshot=${png}`, '--window-size=1200,2000', url], {
    stdio: 'ignore',
    timeout: 60_000,
  });
  return readFileSync(png);
}

const browserTest = 'headless Chromium renders the chart of leader-crash-mid-proposal';

describe('the page in a browser', () => {
  it.skipIf(CHROMIUM === undefined)(
    CHROMIUM === undefined ? `${browserTest} (skipped: chromium-headless-shell is not installed; make debian installs it)` : browserTest,
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'verikeeper-view-'));
      const page = path.join(dir, 'leader-crash-mid-proposal.html');
      writeFileSync(page, renderTraceHtml(fixture('leader-crash-mid-proposal')));
      const blankPage = path.join(dir, 'blank.html');
      writeFileSync(blankPage, '<!DOCTYPE html><html><body></body></html>');

      const chart = decodePng(screenshot(`file://${page}`, dir, 'chart.png'));
      expect([chart.width, chart.height]).toEqual([1200, 2000]);
      const blank = decodePng(screenshot(`file://${blankPage}`, dir, 'blank.png'));
      expect([blank.width, blank.height]).toEqual([1200, 2000]);
      expect(blank.colours).toBeLessThanOrEqual(2);
      // role colours, commit green, text and arrows anti-aliased: many colours, a fair share of ink
      expect(chart.colours).toBeGreaterThan(50);
      expect(chart.inked).toBeGreaterThan(0.05);
      expect(chart.inked).toBeGreaterThan(blank.inked + 0.05);
    },
  );
});
