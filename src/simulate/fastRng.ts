/**
 * A fast 32-bit stream for the simulator's inner loop, seeded from an injected {@link Rng}.
 * The project Rng (xoroshiro128+ emulated on 32-bit halves) costs several 64-bit emulation steps
 * per draw; the cell loop makes billions of draws at benchmark scale, and profiling showed the
 * generator alone taking ~40% of the time. SFC32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, PractRand-clean to 2^40+ bytes) needs four 32-bit adds/shifts per draw.
 * Uniforms carry 32 random bits (resolution 2^-32), ample for count simulation.
 */
import type { Rng } from '../core/rng.js';

class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;
  readonly seed: number;

  constructor(private readonly parent: Rng) {
    this.seed = parent.seed;
    this.a = Math.floor(parent.next() * 4294967296) | 0;
    this.b = Math.floor(parent.next() * 4294967296) | 0;
    this.c = Math.floor(parent.next() * 4294967296) | 0;
    this.d = 1;
    // Warm-up as the reference implementation does, to decorrelate from the seed words.
    for (let t = 0; t < 12; t++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) * 2.3283064365386963e-10;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  normal(): number {
    // Marsaglia polar method, keeping the second deviate.
    if (this.spare === this.spare) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  fork(label: string): Rng {
    // Same contract as the project Rng: a fork depends on the parent's seed and the label only.
    return fastRngFrom(this.parent.fork(label));
  }
}

/**
 * A fast stream seeded from three draws of `rng` (which advances by three).
 *
 * @example
 * const fast = fastRngFrom(createRng(0).fork('cells:BM01'));
 * fast.next(); // uniform in [0, 1) with 32 random bits
 */
export function fastRngFrom(rng: Rng): Rng {
  return new Sfc32(rng);
}
