// Seeded pseudo-random numbers: mulberry32 streams, one per concern, so order flow never perturbs prices.

/** A deterministic source of uniform [0,1) and standard normal numbers. */
export interface Rng {
  next(): number;
  normal(): number;
}

/** mulberry32: tiny, fast, good enough for a simulation (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  let spare: number | undefined;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    const u = 1 - next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { next, normal };
}

/**
 * An independent stream for `label` derived from the run seed (FNV-1a over the label, mixed with the
 * seed), so adding a new consumer of randomness does not shift the existing streams.
 */
export function streamFor(seed: number, label: string): Rng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return mulberry32(h ^ Math.imul(seed >>> 0, 0x9e3779b1));
}
