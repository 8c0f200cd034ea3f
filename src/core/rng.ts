/**
 * Seeded random numbers. One `--seed` drives every random step: each step draws from
 * `rng.fork(stepName)`, so adding a step never perturbs the stream another step sees.
 *
 * Generator: xoroshiro128+ (Blackman & Vigna) on 32-bit halves, seeded through splitmix32 so
 * that nearby seeds give unrelated streams. Written here rather than imported because it is
 * 40 lines and the fork-by-label contract is ours.
 */

/** A seeded stream of uniform numbers. */
export interface Rng {
  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal deviate (Marsaglia polar method). */
  normal(): number;
  /** An independent stream derived from this one's seed and `label`; does not advance this stream. */
  fork(label: string): Rng;
  /** The 32-bit seed this stream was made from. */
  readonly seed: number;
}

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** FNV-1a hash of a label, for deriving fork seeds. */
function hashLabel(label: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let c = 0; c < label.length; c++) {
    h ^= label.charCodeAt(c);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

class Xoroshiro128Plus implements Rng {
  // State as four 32-bit words: s0 = (s0h, s0l), s1 = (s1h, s1l).
  private s0h: number;
  private s0l: number;
  private s1h: number;
  private s1l: number;
  private spareNormal = NaN;

  constructor(readonly seed: number) {
    let st = seed | 0;
    const words: number[] = [];
    for (let w = 0; w < 4; w++) {
      const [next, out] = splitmix32(st);
      st = next;
      words.push(out);
    }
    [this.s0h, this.s0l, this.s1h, this.s1l] = words as [number, number, number, number];
    if ((this.s0h | this.s0l | this.s1h | this.s1l) === 0) this.s0l = 1;
  }

  /** Advances the state and returns the high 32 bits and low 32 bits of s0 + s1 (unsigned). */
  private step(): number {
    const s0h = this.s0h, s0l = this.s0l;
    let s1h = this.s1h, s1l = this.s1l;
    // result = s0 + s1 (64-bit add on halves)
    const lo = (s0l + s1l) >>> 0;
    const hi = (s0h + s1h + (lo < s0l >>> 0 ? 1 : 0)) >>> 0;
    // s1 ^= s0
    s1h ^= s0h;
    s1l ^= s0l;
    // s0 = rotl(s0, 24) ^ s1 ^ (s1 << 16)
    const r0h = ((s0h << 24) | (s0l >>> 8)) >>> 0;
    const r0l = ((s0l << 24) | (s0h >>> 8)) >>> 0;
    const shh = ((s1h << 16) | (s1l >>> 16)) >>> 0;
    const shl = (s1l << 16) >>> 0;
    this.s0h = (r0h ^ s1h ^ shh) >>> 0;
    this.s0l = (r0l ^ s1l ^ shl) >>> 0;
    // s1 = rotl(s1, 37) = rotl by 32 then by 5
    this.s1h = ((s1l << 5) | (s1h >>> 27)) >>> 0;
    this.s1l = ((s1h << 5) | (s1l >>> 27)) >>> 0;
    this.low = lo;
    return hi;
  }
  private low = 0;

  next(): number {
    const hi = this.step();
    // 53 bits: 27 from hi, 26 from lo
    return ((hi >>> 5) * 67108864 + (this.low >>> 6)) / 9007199254740992;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  fork(label: string): Rng {
    return new Xoroshiro128Plus(hashLabel(label, this.seed) | 0);
  }
}

/** Creates the seeded stream for `seed` (any integer; only its low 32 bits count). */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  return new Xoroshiro128Plus(seed | 0);
}

/** Fisher-Yates shuffle in place of a typed array, driven by `rng`. */
export function shuffleInPlace(a: Int32Array | Uint32Array | Float64Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
