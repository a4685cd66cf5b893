import { describe, expect, it } from 'vitest';
import { splitToolOutput } from '../../src/tlc/tool-messages.js';
import { fixture } from './fixtures.js';

describe('splitToolOutput', () => {
  it('splits messages by code and keeps the text outside them', () => {
    const out = splitToolOutput(
      '@!@!@STARTMSG 2262:0 @!@!@\nTLC2 Version 2.18\n@!@!@ENDMSG 2262 @!@!@\nloose line\n' +
        '@!@!@STARTMSG 2110:1 @!@!@\nInvariant Inv is violated.\n\n@!@!@ENDMSG 2110 @!@!@\n',
    );
    expect(out.messages).toEqual([
      { code: 2262, severity: 0, body: 'TLC2 Version 2.18' },
      { code: 2110, severity: 1, body: 'Invariant Inv is violated.' },
    ]);
    expect(out.loose).toBe('loose line\n');
  });

  it('reads a message nested inside another (an exception around a config error)', () => {
    const { messages } = splitToolOutput(fixture('missing-cfg.out'));
    const wrapper = messages.find((m) => m.code === 1000);
    const inner = messages.find((m) => m.code === 5001);
    expect(wrapper?.body).toContain('ConfigFileException');
    expect(wrapper?.body).not.toContain('File not found');
    expect(inner?.body).toContain('File not found.');
    // The wrapper starts first, so it is listed first.
    expect(messages.indexOf(wrapper!)).toBeLessThan(messages.indexOf(inner!));
  });

  it('keeps SANY output, which TLC prints outside any message, as loose text', () => {
    const { loose } = splitToolOutput(fixture('parse-error.out'));
    expect(loose).toContain('***Parse Error***');
  });

  it('keeps a message that a cut-off output leaves open', () => {
    const { messages } = splitToolOutput('@!@!@STARTMSG 2217:4 @!@!@\n1: <Initial predicate>\nx = 0\n');
    expect(messages).toEqual([{ code: 2217, severity: 4, body: '1: <Initial predicate>\nx = 0' }]);
  });
});
