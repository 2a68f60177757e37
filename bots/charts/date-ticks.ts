/**
 * Where to put date labels under a daily series: at the first trading day of every year (or of
 * every 2nd, 5th … year), of months for spans under about three years, or evenly for a few weeks.
 */

/** A label at the point with this index of the series. */
export interface DateTick {
  index: number;
  label: string;
}

/** The most labels under a chart: more overlap at 800 px. */
const MAX_TICKS = 7;
const ISO = /^(\d{4})-(\d{2})-\d{2}/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Indices where `key` of the date changes from the previous one. */
function boundaries(dates: readonly string[], key: (date: string) => string): number[] {
  const found: number[] = [];
  for (let i = 1; i < dates.length; i++)
    if (key(dates[i] as string) !== key(dates[i - 1] as string)) found.push(i);
  return found;
}

/** The boundaries whose number is a multiple of the smallest step that leaves ≤ MAX_TICKS. */
function every(found: number[], numberOf: (index: number) => number, steps: number[]): number[] {
  for (const step of steps) {
    const kept = found.filter((index) => numberOf(index) % step === 0);
    if (kept.length <= MAX_TICKS) return kept;
  }
  return found.filter((_, k) => k % Math.ceil(found.length / MAX_TICKS) === 0);
}

/** About five labels spread evenly, away from the edges. */
function evenly(dates: readonly string[]): DateTick[] {
  const count = Math.min(dates.length, 5);
  return Array.from({ length: count }, (_, k) => {
    const index = Math.min(dates.length - 1, Math.floor(((k + 0.5) * dates.length) / count));
    return { index, label: (dates[index] as string).slice(0, 12) };
  });
}

/** The date labels for a series of `dates` in order (ISO YYYY-MM-DD; other text is spread evenly). */
export function dateTicks(dates: readonly string[]): DateTick[] {
  if (dates.length === 0) return [];
  if (!dates.every((date) => ISO.test(date))) return evenly(dates);
  const year = (index: number) => Number((dates[index] as string).slice(0, 4));
  const month = (index: number) => Number((dates[index] as string).slice(5, 7));
  const years = boundaries(dates, (date) => date.slice(0, 4));
  if (years.length >= 3)
    return every(years, year, [1, 2, 5, 10, 20, 50, 100]).map((index) => ({
      index,
      label: String(year(index)),
    }));
  const months = boundaries(dates, (date) => date.slice(0, 7));
  if (months.length >= 2)
    return every(months, (index) => month(index) - 1, [1, 2, 3, 6, 12]).map((index) => ({
      index,
      label: `${MONTHS[month(index) - 1] ?? '?'} ${year(index)}`,
    }));
  return evenly(dates);
}
