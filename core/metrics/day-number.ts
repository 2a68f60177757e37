/** Calendar arithmetic on ISO dates: day numbers for durations and the year fraction CAGR uses. */
import { isIsoDate } from '../daily-bar.js';

const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to an ISO YYYY-MM-DD date; throws RangeError for anything else. */
export function dayNumber(date: string): number {
  if (!isIsoDate(date)) {
    throw new RangeError(`not an ISO date: ${JSON.stringify(date)}; expected YYYY-MM-DD`);
  }
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  // Date.UTC rather than Date.parse so no time zone or parser leniency can shift the day.
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

/** Calendar days from `start` to `end` (negative when `end` is earlier). */
export function daysBetween(start: string, end: string): number {
  return dayNumber(end) - dayNumber(start);
}
