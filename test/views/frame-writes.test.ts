// A frame Ink writes between its synchronized-update markers reaches the terminal in one write, masked, and nothing is held.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { setScreenMasked } from '../../src/views/format.js';
import { maskingStream } from '../../src/views/render-console.js';

const BSU = '\u001B[?2026h';
const ESU = '\u001B[?2026l';

/** A real Writable that records each system-call-sized write it is given: one chunk, or a corked batch (writev). */
function terminal() {
  const calls: string[][] = [];
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      calls.push([String(chunk)]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => String(c.chunk)));
      done();
    },
  });
  return { calls, stdout: stream as unknown as NodeJS.WriteStream };
}

afterEach(() => setScreenMasked(false));

describe("the console's terminal stream", () => {
  it("writes a frame's markers and text in one call, in order, as soon as the end marker is written", () => {
    const { calls, stdout } = terminal();
    const out = maskingStream(stdout, false);
    out.write(BSU);
    out.write('frame one');
    expect(calls).toEqual([]);
    out.write(ESU);
    // At once, not on a later tick: the frame is on screen when Ink's write returns.
    expect(calls).toEqual([[BSU, 'frame one', ESU]]);
    out.write(BSU);
    out.write('frame two');
    out.write(ESU);
    expect(calls).toEqual([
      [BSU, 'frame one', ESU],
      [BSU, 'frame two', ESU],
    ]);
  });

  it('writes anything outside a frame at once, and lets a begin marker with no end go on the next tick', async () => {
    const { calls, stdout } = terminal();
    const out = maskingStream(stdout, false);
    out.write('\u001B[?25h');
    expect(calls).toEqual([['\u001B[?25h']]);
    out.write(BSU);
    out.write('half a frame');
    await new Promise((r) => process.nextTick(r));
    expect(calls).toEqual([['\u001B[?25h'], [BSU, 'half a frame']]);
    out.write('after');
    expect(calls.at(-1)).toEqual(['after']);
  });

  it('masks the frame it holds, as every other write', () => {
    const { calls, stdout } = terminal();
    const out = maskingStream(stdout, false);
    setScreenMasked(true);
    out.write(BSU);
    out.write('account U1234567 frame');
    out.write(ESU);
    expect(calls).toHaveLength(1);
    expect(calls[0]![1]).not.toContain('U1234567');
  });
});
