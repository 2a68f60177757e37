/** The NYSE calendar: New York time across DST, holidays by rule, early closes, session edges. */
import { describe, expect, it } from 'vitest';
import {
  isNyseEarlyClose,
  newYorkInstant,
  newYorkTime,
  nyseHolidays,
  nyseSession,
} from './market-calendar.js';

const ms = (iso: string) => Date.parse(iso);

describe('newYorkTime', () => {
  it('follows the 2026 DST change (second Sunday of March, first Sunday of November)', () => {
    expect(newYorkTime(ms('2026-03-06T14:00:00Z')).text).toBe(
      'Friday 2026-03-06 09:00 New York time',
    );
    expect(newYorkTime(ms('2026-03-09T14:00:00Z')).text).toBe(
      'Monday 2026-03-09 10:00 New York time',
    );
    expect(newYorkTime(ms('2026-03-08T06:59:00Z')).text).toBe(
      'Sunday 2026-03-08 01:59 New York time',
    );
    expect(newYorkTime(ms('2026-03-08T07:00:00Z')).text).toBe(
      'Sunday 2026-03-08 03:00 New York time',
    );
    expect(newYorkTime(ms('2026-11-02T15:00:00Z')).text).toBe(
      'Monday 2026-11-02 10:00 New York time',
    );
  });

  it('gives the New York date, not the UTC one, late in the evening', () => {
    const local = newYorkTime(ms('2026-03-10T02:30:00Z'));
    expect(local).toMatchObject({ date: '2026-03-09', weekday: 1, minutes: 22 * 60 + 30 });
  });
});

describe('newYorkInstant', () => {
  it('finds 16:00 New York in EST and in EDT', () => {
    expect(new Date(newYorkInstant('2026-03-06', 16, 0)).toISOString()).toBe(
      '2026-03-06T21:00:00.000Z',
    );
    expect(new Date(newYorkInstant('2026-03-09', 16, 0)).toISOString()).toBe(
      '2026-03-09T20:00:00.000Z',
    );
  });
});

describe('nyseHolidays', () => {
  it.each([
    [
      2025,
      [
        '2025-01-01',
        '2025-01-09',
        '2025-01-20',
        '2025-02-17',
        '2025-04-18',
        '2025-05-26',
        '2025-06-19',
        '2025-07-04',
        '2025-09-01',
        '2025-11-27',
        '2025-12-25',
      ],
    ],
    [
      2026,
      [
        '2026-01-01',
        '2026-01-19',
        '2026-02-16',
        '2026-04-03',
        '2026-05-25',
        '2026-06-19',
        '2026-07-03',
        '2026-09-07',
        '2026-11-26',
        '2026-12-25',
      ],
    ],
    [
      2027,
      [
        '2027-01-01',
        '2027-01-18',
        '2027-02-15',
        '2027-03-26',
        '2027-05-31',
        '2027-06-18',
        '2027-07-05',
        '2027-09-06',
        '2027-11-25',
        '2027-12-24',
      ],
    ],
    [
      // New Year's Day 2022 fell on a Saturday and was not observed on Friday 2021-12-31.
      2022,
      [
        '2022-01-17',
        '2022-02-21',
        '2022-04-15',
        '2022-05-30',
        '2022-06-20',
        '2022-07-04',
        '2022-09-05',
        '2022-11-24',
        '2022-12-26',
      ],
    ],
  ])('%i', (year, expected) => {
    expect([...nyseHolidays(year).keys()].sort()).toEqual(expected);
  });
});

describe('isNyseEarlyClose', () => {
  it.each([
    ['2025-07-03', true],
    ['2025-11-28', true],
    ['2025-12-24', true],
    ['2026-11-27', true],
    ['2026-12-24', true],
    ['2026-07-02', false],
    ['2026-07-03', false], // the Independence Day holiday itself
    ['2027-12-24', false], // the Christmas holiday itself
    ['2026-03-09', false],
  ])('%s → %s', (date, expected) => {
    expect(isNyseEarlyClose(date)).toBe(expected);
  });
});

describe('nyseSession', () => {
  it.each([
    ['2026-03-06T14:00:00Z', false, 'before the 09:30 open'],
    ['2026-03-09T14:00:00Z', true, 'open'],
    ['2026-03-07T15:00:00Z', false, 'weekend'],
    ['2026-03-08T15:00:00Z', false, 'weekend'],
    ['2026-12-25T15:00:00Z', false, 'holiday (Christmas Day)'],
    ['2026-12-24T17:59:59Z', true, 'open'],
    ['2026-12-24T18:00:00Z', false, 'after the 13:00 early close'],
    ['2026-03-09T20:00:00Z', false, 'after the 16:00 close'],
  ])('%s → open %s (%s)', (iso, open, reason) => {
    expect(nyseSession(ms(iso))).toMatchObject({ open, reason });
  });
});
