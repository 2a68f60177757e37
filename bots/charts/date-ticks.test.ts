/** Date labels: years for long runs, months for shorter ones, spread evenly for a few weeks. */
import { describe, expect, it } from 'vitest';
import { dateTicks } from './date-ticks.js';

/** Weekdays from `start` for `count` days, as ISO dates. */
function weekdays(start: string, count: number): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); out.length < count; t += 86_400_000) {
    const day = new Date(t).getUTCDay();
    if (day !== 0 && day !== 6) out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

describe('dateTicks', () => {
  it('labels a 21-year run at the first trading day of every 5th year', () => {
    const dates = weekdays('1999-11-01', 5_600);
    const ticks = dateTicks(dates);
    expect(ticks.map((tick) => tick.label)).toEqual(['2000', '2005', '2010', '2015', '2020']);
    expect(dates[ticks[0]?.index as number]).toBe('2000-01-03');
  });

  it('labels a year and a half by quarter-starting months', () => {
    const ticks = dateTicks(weekdays('2020-02-10', 390));
    expect(ticks.map((tick) => tick.label)).toEqual([
      'Apr 2020',
      'Jul 2020',
      'Oct 2020',
      'Jan 2021',
      'Apr 2021',
      'Jul 2021',
    ]);
  });

  it('spreads a few weeks, a single day and non-ISO dates evenly', () => {
    expect(dateTicks(weekdays('2021-03-01', 15)).length).toBe(5);
    expect(dateTicks(['2021-03-01'])).toEqual([{ index: 0, label: '2021-03-01' }]);
    expect(dateTicks(['day 1', 'day 2', 'day 3']).map((tick) => tick.label)).toEqual([
      'day 1',
      'day 2',
      'day 3',
    ]);
    expect(dateTicks([])).toEqual([]);
  });
});
