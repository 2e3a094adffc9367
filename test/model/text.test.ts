// The neutraliser for text from outside: visible escapes, JSON-safe output lines, and deep use on recorded values.
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { hasControl, neutralise, neutraliseRecorded, terminalSafe, withoutEscapeSequences } from '../../src/model/text.js';

describe('neutralise', () => {
  it('writes C0, DEL, C1 and bidi controls as escapes and leaves ordinary text (wide characters too) alone', () => {
    expect(neutralise('A\u001b[8mB\u0007\u007f\u009b\u202eZ')).toBe('A\\x1b[8mB\\x07\\x7f\\x9b\\u202eZ');
    const plain = 'トヨタ 7203 EUR.USD';
    expect(neutralise(plain)).toBe(plain);
    expect(hasControl('a\nb')).toBe(true);
    expect(hasControl(plain)).toBe(false);
  });
});

describe('terminalSafe', () => {
  it('keeps line feeds and tabs, escapes the rest so a JSON line stays JSON', () => {
    const doc = JSON.stringify({ symbol: 'X\u009b31m\u202e' }, null, 2);
    const safe = terminalSafe(doc);
    expect(safe).not.toMatch(/[\u0080-\u009f\u202e]/);
    expect(safe).toContain('\n');
    expect(JSON.parse(safe)).toEqual({ symbol: 'X\u009b31m\u202e' });
  });
});

describe('neutraliseRecorded (for the recording reader)', () => {
  it('neutralises every string in a decoded event, keys and Map entries included, keeps Decimals and unchanged parts', () => {
    const qty = new Decimal('12.5');
    const clean = { conId: 1, symbol: 'AAPL' };
    const ev = { type: 'positionUpdated', position: qty, contract: { ...clean, symbol: 'EVIL\u001b]0;t\u0007' }, other: clean, m: new Map([['k\u001b', 'v']]) };
    const out = neutraliseRecorded(ev);
    expect(out.contract.symbol).toBe('EVIL\\x1b]0;t\\x07');
    expect(out.position).toBe(qty);
    expect(out.other).toBe(clean);
    expect([...out.m]).toEqual([['k\\x1b', 'v']]);
    expect(ev.contract.symbol).toBe('EVIL\u001b]0;t\u0007');
    const untouched = { a: ['x', { b: 'y' }] };
    expect(neutraliseRecorded(untouched)).toBe(untouched);
  });
});

describe('withoutEscapeSequences', () => {
  it('drops each sequence whole (CSI, its C1 form, OSC to BEL or ST, a charset switch), keeping the text around it', () => {
    expect(withoutEscapeSequences('AAPL\u001b[31m junk\u001b[0m')).toBe('AAPL junk');
    expect(withoutEscapeSequences('a\u001b[38;2;1;2;3mb\u009b1;2Hc')).toBe('abc');
    expect(withoutEscapeSequences('x\u001b]0;title\u0007y\u001b]8;;http://e\u001b\\z')).toBe('xyz');
    expect(withoutEscapeSequences('p\u001b(Bq\u001b7r')).toBe('pqr');
    // Cut at the end of the paste: the part that is there is still a sequence, not text.
    expect(withoutEscapeSequences('ok\u001b[3')).toBe('ok');
    expect(withoutEscapeSequences('plain [31m text')).toBe('plain [31m text');
  });
});
