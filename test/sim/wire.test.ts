// Framing and field encodings, independently of the server.
import { describe, it, expect } from 'vitest';
import { Decimal } from '../../src/model/money.js';
import { FrameError, FrameReader, encodeFrame, encodeFrames, fDbl, fDec, fSize, framePayload, parseVersionRange } from '../../src/sim/wire.js';

const hs = Buffer.concat([Buffer.from('API\0', 'latin1'), Buffer.from([0, 0, 0, 9]), Buffer.from('v100..193')]);

describe('wire', () => {
  it('reassembles the handshake and frames split at every possible byte position', () => {
    const stream = Buffer.concat([hs, encodeFrame(['71', '2', '7', '']), encodeFrame(['49', '1']), encodeFrame(['6', '2', '1', 'Zürich'])]);
    for (let cut = 1; cut < stream.length; cut++) {
      const r = new FrameReader();
      const items = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
      expect(items).toEqual([
        { kind: 'handshake', handshake: { minVersion: 100, maxVersion: 193, raw: 'v100..193' } },
        { kind: 'frame', fields: ['71', '2', '7', ''] },
        { kind: 'frame', fields: ['49', '1'] },
        { kind: 'frame', fields: ['6', '2', '1', 'Zürich'] },
      ]);
      expect(r.buffered).toBe(0);
    }
  });

  it('refuses garbage and frames above 0xFFFFFF bytes', () => {
    expect(() => new FrameReader().push(Buffer.from('HELLO'))).toThrow(FrameError);
    const r = new FrameReader();
    r.push(hs);
    expect(() => r.push(Buffer.from([0x01, 0x00, 0x00, 0x00]))).toThrow(/exceeds/);
  });

  it('writes several frames as one buffer, the same bytes as one frame after another', () => {
    const frames = [['9', '1', '42'], ['4', '2', '-1', '2104', 'Zürich'], []];
    expect(encodeFrames(frames.map(framePayload))).toEqual(Buffer.concat(frames.map((f) => encodeFrame(f))));
    expect([...encodeFrames([framePayload(['1', 'é'])])]).toEqual([0, 0, 0, 5, 49, 0, 0xc3, 0xa9, 0]);
  });

  it('encodes frames as int32 length + NUL-terminated fields, doubles with the unset sentinel, decimals exactly', () => {
    expect([...encodeFrame(['9', '1', '42'])]).toEqual([0, 0, 0, 7, 57, 0, 49, 0, 52, 50, 0]);
    expect(fDbl(undefined)).toBe('1.7976931348623157E308');
    expect(fDbl(Number.NaN)).toBe('1.7976931348623157E308');
    expect(fDbl(-0)).toBe('0');
    expect(fDbl(228.5)).toBe('228.5');
    expect(fDec(new Decimal('0.1234567890123456789'))).toBe('0.1234567890123456789');
    expect(fDec(new Decimal('1e-9'))).toBe('0.000000001');
    // Sizes held as numbers are written as their Decimal would be: plain notation, whole or not, however large.
    expect(fSize(500)).toBe('500');
    expect(fSize(-0)).toBe('0');
    expect(fSize(0.5)).toBe('0.5');
    expect(fSize(1e21)).toBe('1000000000000000000000');
    expect(fSize(1e-7)).toBe('0.0000001');
    expect(parseVersionRange('v176')).toEqual({ minVersion: 176, maxVersion: 176, raw: 'v176' });
    expect(parseVersionRange('garbage').maxVersion).toBe(-1);
  });
});
