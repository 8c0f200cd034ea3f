import { describe, expect, it } from 'vitest';
import { logBeta, logGamma, studentTCdf, studentTUpperTail } from '../../../src/stats/studentT.js';
import { normalUpperTail } from '../../../src/stats/normal.js';

const rel = (a: number, b: number): number => Math.abs(a / b - 1);

describe('studentTUpperTail', () => {
  it('equals the closed forms for df = 1 (Cauchy), 2 and 3, far into the tails', () => {
    for (const t of [0.1, 0.7, 1, 2.5, 10, 1e3, 1e6]) {
      // df = 1: P(T > t) = atan(1/t) / pi
      expect(rel(studentTUpperTail(t, 1), Math.atan(1 / t) / Math.PI)).toBeLessThan(1e-13);
      // df = 2: P(T > t) = (1 - t/sqrt(2+t^2))/2 = 1 / ((sqrt(2+t^2) + t) sqrt(2+t^2))
      const s = Math.sqrt(2 + t * t);
      expect(rel(studentTUpperTail(t, 2), 1 / ((s + t) * s))).toBeLessThan(1e-13);
      // df = 3: P(T > t) = 1/2 - (atan(u) + u/(1+u^2))/pi, u = t/sqrt(3) (use t <= 10: cancellation in the formula)
      if (t <= 10) {
        const u = t / Math.sqrt(3);
        expect(rel(studentTUpperTail(t, 3), 0.5 - (Math.atan(u) + u / (1 + u * u)) / Math.PI)).toBeLessThan(1e-12);
      }
    }
  });

  it('matches 20-digit values for fractional df (mpmath betainc; scipy agrees to 1e-14)', () => {
    // mpmath (40 digits): sf(t, df) = betainc(df/2, 1/2, 0, df/(df+t^2), regularized)/2
    const cases: Array<[number, number, number]> = [
      [2.5, 7.3, 0.019825117332800235804],
      [10, 15.5, 1.8463803965178526858e-8],
      [0.3, 3.7, 0.39013374356573115015],
      [40, 120.25, 1.2606851460298990386e-71],
      [-1.2, 5.5, 0.86036837444830414161],
      [6, 2000.5, 1.1680724021842202596e-9],
    ];
    for (const [t, df, p] of cases) expect(rel(studentTUpperTail(t, df), p)).toBeLessThan(1e-11);
  });

  it('tends to the normal tail for huge df, is symmetric, and handles edges', () => {
    // mpmath: P(T > 3 | df = 1e9) = 0.0013498980648689578339 (2.46e-8 above the normal tail), and
    // P(T > 4.5 | df = 12345.5) = 3.428732594435243544e-6: large df must not lose precision.
    expect(rel(studentTUpperTail(3, 1e9), 0.0013498980648689578339)).toBeLessThan(1e-12);
    expect(rel(studentTUpperTail(4.5, 12345.5), 3.428732594435243544e-6)).toBeLessThan(1e-12);
    expect(studentTUpperTail(3, Infinity)).toBe(normalUpperTail(3));
    expect(studentTUpperTail(0, 4.2)).toBe(0.5);
    expect(studentTCdf(-2.5, 7.3)).toBe(studentTUpperTail(2.5, 7.3));
    expect(studentTUpperTail(1.3, 6) + studentTCdf(1.3, 6)).toBeCloseTo(1, 15);
    expect(studentTUpperTail(NaN, 3)).toBeNaN();
    expect(studentTUpperTail(1, 0)).toBeNaN();
  });
});

describe('logGamma', () => {
  it('matches log of factorials and Gamma(1/2) = sqrt(pi)', () => {
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-14);
    expect(rel(logGamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-14);
    let f = 0;
    for (let n = 2; n <= 170; n++) {
      f += Math.log(n - 1);
      expect(Math.abs(logGamma(n) - f)).toBeLessThan(1e-13 * Math.max(1, f));
    }
  });
});

describe('logBeta', () => {
  it('keeps full precision for a huge argument where the three log Gammas cancel', () => {
    // B(a, 1/2) = sqrt(pi) Gamma(a)/Gamma(a + 1/2) ~ sqrt(pi/a) (1 + 1/(8a) + 1/(128 a^2)) for large a.
    const a = 5e8;
    const approx = 0.5 * Math.log(Math.PI / a) + Math.log1p(1 / (8 * a) + 1 / (128 * a * a));
    expect(Math.abs(logBeta(a, 0.5) - approx)).toBeLessThan(1e-14);
    // Both large: B(20, 30) = 19! 29! / 49! -> log computed from factorial logs in small steps.
    let lf = 0;
    const logFact: number[] = [0];
    for (let n = 1; n <= 49; n++) logFact.push((lf += Math.log(n)));
    expect(Math.abs(logBeta(20, 30) - (logFact[19] + logFact[29] - logFact[49]))).toBeLessThan(1e-12);
    expect(Math.abs(logBeta(3, 4) - Math.log(1 / 60))).toBeLessThan(1e-14); // 2! 3! / 6! = 12/720
    expect(Math.abs(logBeta(2.5, 40) - (logGamma(2.5) + logGamma(40) - logGamma(42.5)))).toBeLessThan(1e-12);
  });
});
