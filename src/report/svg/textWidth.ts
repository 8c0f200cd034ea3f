/**
 * Text width estimate for layout. The renderer runs in Node without a font engine, so widths are
 * estimated from character classes of a typical sans-serif (Arial/Helvetica advance widths,
 * rounded); layouts leave a little slack rather than measure.
 */

/**
 * Approximate rendered width of `text` in pixels at `fontSize`.
 * @param text The (unescaped) text.
 * @param fontSize Font size in px.
 * @example textWidth('CD44', 11) // about 27
 */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (let c = 0; c < text.length; c++) {
    const ch = text[c];
    if ('iljtfI.,:;|!\''.includes(ch)) em += 0.3;
    else if ('mwMW@'.includes(ch)) em += 0.88;
    else if (ch >= 'A' && ch <= 'Z') em += 0.68;
    else if (ch === ' ') em += 0.28;
    else em += 0.56;
  }
  return em * fontSize;
}
