/** What a signal code means for a position: the one rule both engine loops follow. */

/** Flag: close the current position. */
export const EXIT = 4;
/** Flag: open a long. */
export const ENTER_LONG = 1;
/** Flag: open a short. */
export const ENTER_SHORT = 2;

/**
 * The actions for signal `code` (see SIGNAL) given the position's sign, as EXIT | ENTER_* flags.
 * Long-only runs read "go short" as "exit the long"; long/short runs reverse through flat.
 */
export function decide(code: number, position: number, longShort: boolean): number {
  if (code === 1) return (position < 0 ? EXIT : 0) | (position <= 0 ? ENTER_LONG : 0);
  if (code === -1)
    return (position > 0 ? EXIT : 0) | (longShort && position >= 0 ? ENTER_SHORT : 0);
  if (code === 2) return position > 0 ? EXIT : 0;
  if (code === -2) return position < 0 ? EXIT : 0;
  return 0;
}
