import { describe, expect, it } from 'vitest';
import { normalCdf, normalLogCdf, normalLogUpperTail, normalUpperTail } from '../../../src/stats/normal.js';

/**
 * Reference: Q(z) = 1/2 - phi(z) * sum_{n>=0} z^(2n+1)/(2n+1)!!  (A&S 26.2.11), evaluated in
 * BigInt fixed point with 720 decimal digits, z = num/den rational. The series has positive terms
 * and the fixed point carries ~400 significant digits of Q even at z = 37 (Q ~ 1e-300), so the
 * result is exact to double precision. pi comes from Machin's formula, sqrt by Newton.
 */
const DIGITS = 720n;
const rel = (a: number, b: number): number => Math.abs(a / b - 1);
const SCALE = 10n ** DIGITS;

function atanInv(x: bigint): bigint {
  // atan(1/x) = sum (-1)^k / ((2k+1) x^(2k+1)), in fixed point.
  let power = SCALE / x;
  let sum = 0n;
  const x2 = x * x;
  for (let k = 0n; power !== 0n; k++) {
    const term = power / (2n * k + 1n);
    sum += k % 2n === 0n ? term : -term;
    power /= x2;
  }
  return sum;
}

function sqrtFixed(v: bigint): bigint {
  // floor(sqrt(v * SCALE)) by Newton's method on integers.
  const target = v * SCALE;
  let x = 10n ** (DIGITS + 1n); // above sqrt(2 pi) * SCALE, so Newton descends monotonically
  for (;;) {
    const next = (x + target / x) / 2n;
    if (next >= x) return x;
    x = next;
  }
}

function upperTailExact(num: bigint, den: bigint): number {
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  const sqrt2pi = sqrtFixed(2n * pi);
  const z2n = num * num;
  const z2d = den * den;
  // exp(z^2/2) = sum (z^2/2)^k / k!
  let term = SCALE;
  let expHalf = 0n;
  for (let k = 1n; term !== 0n || k < 10n; k++) {
    expHalf += term;
    term = (term * z2n) / (2n * z2d * k);
  }
  // S = sum z^(2n+1) / (2n+1)!!
  let s = 0n;
  let t = (SCALE * num) / den;
  for (let n = 1n; t !== 0n || n < 10n; n++) {
    s += t;
    t = (t * z2n) / (z2d * (2n * n + 1n));
  }
  const phiS = (s * SCALE * SCALE) / (expHalf * sqrt2pi);
  const q = SCALE / 2n - phiS;
  return Number.parseFloat(`${q.toString()}e-${DIGITS}`);
}

describe('normalUpperTail matches a 720-digit series reference', () => {
  const cases: Array<[number, bigint, bigint]> = [
    [0, 0n, 1n],
    [0.5, 1n, 2n],
    [1.96, 196n, 100n],
    [2.5, 5n, 2n],
    [5, 5n, 1n],
    [10, 10n, 1n],
    [20, 20n, 1n],
    [37, 37n, 1n],
  ];
  it.each(cases)('z = %f to 1e-14 relative, and the lower tail at -z', (z, num, den) => {
    const exact = upperTailExact(num, den);
    expect(Math.abs(normalUpperTail(z) / exact - 1)).toBeLessThan(1e-14);
    expect(Math.abs(normalCdf(-z) / exact - 1)).toBeLessThan(1e-14);
    expect(Math.abs(normalLogUpperTail(z) - Math.log(exact))).toBeLessThan(1e-14 * Math.max(1, Math.abs(Math.log(exact))));
  });

  it('reproduces R pnorm values quoted to 7 digits', () => {
    // R: pnorm(-37) = 5.725571e-300, pnorm(-20) = 2.753624e-89, pnorm(-10) = 7.619853e-24,
    // pnorm(1.96, lower = FALSE) = 0.0249979. The series reference agrees:
    expect(upperTailExact(37n, 1n) / 5.725571e-300).toBeCloseTo(1, 6);
    expect(normalCdf(-37) / 5.725571e-300).toBeCloseTo(1, 6);
    expect(normalCdf(-20) / 2.753624e-89).toBeCloseTo(1, 6);
    expect(normalCdf(-10) / 7.619853e-24).toBeCloseTo(1, 6);
    expect(normalUpperTail(1.96)).toBeCloseTo(0.0249979, 7);
    expect(normalUpperTail(0)).toBe(0.5);
  });
});

describe('normal tails: symmetry, monotonicity, logs and edge values', () => {
  it('Phi(z) + Q(z) = 1 and Q(-z) = Phi(z) on a grid', () => {
    for (let z = -9; z <= 9; z += 0.173) {
      expect(normalCdf(z) + normalUpperTail(z)).toBeCloseTo(1, 15);
      expect(normalUpperTail(-z)).toBe(normalCdf(z));
    }
  });

  it('is strictly decreasing across the series / continued-fraction switch at 1.5 and beyond', () => {
    let prev = normalUpperTail(-3);
    for (let z = -2.999; z < 37.5; z += 0.001) {
      const q = normalUpperTail(z);
      expect(q).toBeLessThan(prev);
      prev = q;
    }
  });

  it('log tails equal log of tails where those are normal doubles, and stay finite beyond underflow', () => {
    for (let z = -6; z <= 37; z += 0.37) {
      const q = normalUpperTail(z);
      expect(Math.abs(normalLogUpperTail(z) - Math.log(q))).toBeLessThan(2e-15 * Math.max(1, Math.abs(Math.log(q))));
      expect(normalLogCdf(-z)).toBe(normalLogUpperTail(z));
    }
    // At z = 50, Q underflows; log Q = -z^2/2 - log(z sqrt(2 pi)) + log(1 - 1/z^2 + 3/z^4 - 15/z^6)
    // (asymptotic series, next term 105/z^8 ~ 3e-12): -1250 - 4.830413... = -1254.8308...
    const z = 50;
    const asym = -z * z / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(1 - 1 / z ** 2 + 3 / z ** 4 - 15 / z ** 6);
    expect(normalUpperTail(z)).toBe(0);
    expect(Math.abs(normalLogUpperTail(z) - asym)).toBeLessThan(1e-10);
  });

  it('underflows to exactly 0 beyond z = 37.5193 as R pnorm does, never to a subnormal', () => {
    // R: pnorm(-37.5) = 4.6053530095819552e-308; pnorm(-37.52) = 0.
    expect(rel(normalCdf(-37.5), 4.6053530095819552e-308)).toBeLessThan(1e-13);
    expect(normalCdf(-37.52)).toBe(0);
    expect(normalUpperTail(38)).toBe(0);
    // R (digits = 17): pnorm(c(-37, -20, -10, -5, -1.96))
    const r = [5.7255712225245771e-300, 2.7536241186062337e-89, 7.6198530241605269e-24, 2.8665157187919391e-7, 2.4997895148220428e-2];
    [-37, -20, -10, -5, -1.96].forEach((z, t) => expect(rel(normalCdf(z), r[t])).toBeLessThan(1e-14));
  });

  it('maps NaN to NaN and infinities to 0/1', () => {
    expect(normalUpperTail(NaN)).toBeNaN();
    expect(normalLogUpperTail(NaN)).toBeNaN();
    expect(normalUpperTail(Infinity)).toBe(0);
    expect(normalUpperTail(-Infinity)).toBe(1);
    expect(normalLogUpperTail(Infinity)).toBe(-Infinity);
    expect(normalLogUpperTail(-Infinity) === 0).toBe(true); // log1p(-0) is -0
  });
});
