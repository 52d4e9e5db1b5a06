/**
 * Stateless, seeded hashing used instead of a stateful PRNG so that any record can be produced from
 * (seed, stream, index) alone — the property that lets a 1,000,000-patient sandbox serve page 3999
 * without generating pages 0..3998.
 */

function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit unsigned hash of (seed, stream, index, salt). Pure and fast. */
export function hash32(seed: number, stream: number, index: number, salt = 0): number {
  let h = fmix32(seed ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(stream + 1, 0x27d4eb2d));
  h = fmix32(h ^ index);
  return fmix32(h ^ Math.imul(salt + 1, 0x165667b1));
}

/** Draws successive pseudo-random numbers for one record; cheap to create per record. */
export class RecordRandom {
  private counter = 0;
  private readonly base: number;

  constructor(seed: number, stream: number, index: number) {
    this.base = hash32(seed, stream, index);
  }

  /** Next unsigned 32-bit value. */
  next(): number {
    this.counter += 1;
    return fmix32(this.base + Math.imul(this.counter, 0x9e3779b9));
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }

  /** Integer in [min, max] inclusive. */
  range(min: number, max: number): number {
    return min + (this.next() % (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length] as T;
  }

  /** True with probability `p` (0..1). */
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }

  /** Decimal digits as a string of the given length. */
  digits(length: number): string {
    let out = '';
    while (out.length < length) out += String(this.next() % 1_000_000_000).padStart(9, '0');
    return out.slice(0, length);
  }
}
