/** The one sanitiser for text written by others (a proposer's rationale, a broker's reason) before a person sees it. */

/** Longest note shown by default, in characters (code points) before the ellipsis. */
export const DISPLAY_TEXT_MAX = 300;

/**
 * Characters that change how text is laid out or read without being visible: every control
 * character (Unicode Cc: C0 and C1, newlines and tabs included, which are collapsed to spaces
 * first) and every format character (Cf: the bidirectional embeddings, overrides and isolates
 * U+202A–U+202E and U+2066–U+2069, the directional marks, zero-width spaces and joiners, the
 * soft hyphen, U+FEFF, interlinear annotation marks, tag characters). A right-to-left override
 * can make "BUY 1" read as something else, and a newline can forge a line that looks like part
 * of the order ("Order hash 000…").
 */
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
/** Whitespace of any kind, line breaks included, collapsed to one space. */
const SPACES = /[\s\u2028\u2029]+/gu;

/**
 * `text` made safe to show a person as one line of data: control, bidirectional and zero-width
 * characters removed, every run of whitespace and line breaks collapsed to one space, trimmed,
 * and cut to `max` characters (code points, never half a surrogate pair) with "…" when longer.
 * Anything that is not a string becomes ''. Every surface that shows third-party text uses it
 * (CLI, the MCP approval form, and later the bots and the web console).
 */
export function displayText(text: unknown, max = DISPLAY_TEXT_MAX): string {
  if (typeof text !== 'string' || text === '') return '';
  const clean = text.replace(SPACES, ' ').replace(INVISIBLE, '').replace(SPACES, ' ').trim();
  const points = Array.from(clean);
  if (points.length <= max) return clean;
  return `${points
    .slice(0, Math.max(0, max - 1))
    .join('')
    .trimEnd()}…`;
}
