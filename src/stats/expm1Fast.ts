/**
 * exp(x) - 1 for the fold changes of marker genes, which evaluate it once per stored value (tens of
 * millions of times). V8's Math.expm1 is a call into C++ that costs about 15-20 ns here; this one
 * is plain arithmetic the JIT inlines into the caller's loop, at a few ns.
 *
 * Method (as fdlibm and musl's exp): x = k ln2/64 + r with |r| <= ln2/128 (Cody-Waite reduction in
 * two parts, exact for |x| < 700), exp(r) - 1 by its degree-7 Taylor polynomial (truncation below
 * 1e-18 relative, so that it is the whole answer when k = 0), exp(x) = 2^(k >> 6) 2^((k & 63)/64) (1 + p(r)) from two tables. For |x| < ln2/128 the
 * polynomial is the result, accurate to an ulp or two relative; elsewhere the error is about an ulp
 * of exp(x), i.e. an absolute error of 1e-16 near 0 (relative 2e-14 at x = 0.01) and a relative
 * error of a few ulps from x = 1 on. Non-finite and |x| >= 700 fall back to Math.expm1.
 */

/** Sub-steps per power of two. */
const STEPS = 64;
const INV_STEP = STEPS / Math.LN2;
/** ln2/64 in two parts: the high one has 21 trailing zero bits, so k * STEP_HI is exact for |k| < 2^21. */
const STEP_HI = 6.93147180369123816490e-1 / STEPS;
const STEP_LO = 1.90821492927058770002e-10 / STEPS;

/** 2^(j/64) for j = 0..63. */
const FRACTION_POWERS = Float64Array.from({ length: STEPS }, (_, j) => 2 ** (j / STEPS));

/** 2^(e - 1024) for e = 0..2047 (exact: powers of two, subnormal at the low end). */
const POWERS_OF_TWO = Float64Array.from({ length: 2048 }, (_, e) => 2 ** (e - 1024));

/** 1.5 * 2^52: adding and subtracting it rounds a double below 2^51 to an integer (ties to even). */
const ROUNDING_SHIFT = 6755399441055744;

/** exp(x) - 1; see the module comment for its accuracy. */
export function expm1Fast(x: number): number {
  if (!(x > -700 && x < 700)) return Math.expm1(x);
  const kd = x * INV_STEP + ROUNDING_SHIFT - ROUNDING_SHIFT;
  const k = kd | 0;
  const r = x - kd * STEP_HI - kd * STEP_LO;
  // Two independent halves instead of one Horner chain: shorter latency inside the caller's loop.
  const r2 = r * r;
  const p = r + r2 * (1 / 2 + r * (1 / 6)) + r2 * r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720 + r * (1 / 5040)));
  if (k === 0) return p;
  const t = FRACTION_POWERS[k & (STEPS - 1)];
  return POWERS_OF_TWO[(k >> 6) + 1024] * (t + t * p) - 1;
}
