/**
 * The NYSE regular session in New York time, computed without a clock: `now` is given and
 * converted with Intl.DateTimeFormat (time zone 'America/New_York'), so daylight saving time is
 * the IANA database's. Regular session: 09:30–16:00, Monday to Friday; 09:30–13:00 on the early
 * closes (July 3, the day after Thanksgiving, December 24, when they are weekdays that are not
 * holidays). Full-day holidays follow NYSE's rules (valid from 2022, when Juneteenth was added):
 * New Year's Day (Sunday → Monday; Saturday → not moved), Martin Luther King Jr. Day, Washington's
 * Birthday, Good Friday, Memorial Day, Juneteenth, Independence Day, Labor Day, Thanksgiving and
 * Christmas (Saturday → Friday, Sunday → Monday), plus the one-off closures listed below.
 */

const NEW_YORK = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Unscheduled full-day closures (national days of mourning and the like), by date. */
export const NYSE_SPECIAL_CLOSURES: Readonly<Record<string, string>> = Object.freeze({
  '2025-01-09': 'National Day of Mourning for President Carter',
});

/** Minutes after midnight when the regular session opens and closes (13:00 on early closes). */
export const SESSION_OPEN_MINUTES = 9 * 60 + 30;
/** 16:00. */
export const SESSION_CLOSE_MINUTES = 16 * 60;
/** 13:00, the close on early-close days. */
export const EARLY_CLOSE_MINUTES = 13 * 60;

/** A New York wall-clock reading of an instant. */
export interface NewYorkTime {
  /** `YYYY-MM-DD` in New York. */
  date: string;
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes after local midnight, with seconds as a fraction. */
  minutes: number;
  /** For messages: `Monday 2026-03-09 10:00 New York time`. */
  text: string;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function isoDate(year: number, month: number, day: number): string {
  return `${year}-${pad(month)}-${pad(day)}`;
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The New York date and time of an instant (milliseconds since the epoch). */
export function newYorkTime(instantMs: number): NewYorkTime {
  const parts: Record<string, number> = {};
  for (const part of NEW_YORK.formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const year = parts.year ?? Number.NaN;
  const month = parts.month ?? Number.NaN;
  const day = parts.day ?? Number.NaN;
  const hour = parts.hour ?? Number.NaN;
  const minute = parts.minute ?? Number.NaN;
  const second = parts.second ?? 0;
  const weekday = weekdayOf(year, month, day);
  const date = isoDate(year, month, day);
  return {
    date,
    year,
    month,
    day,
    weekday,
    minutes: hour * 60 + minute + second / 60,
    text: `${WEEKDAYS[weekday]} ${date} ${pad(hour)}:${pad(minute)} New York time`,
  };
}

/** The instant of a New York wall-clock time on `date` (`YYYY-MM-DD`), in ms since the epoch. */
export function newYorkInstant(date: string, hour: number, minute: number): number {
  const [year = Number.NaN, month = Number.NaN, day = Number.NaN] = date.split('-').map(Number);
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // New York is UTC−5 (EST) or UTC−4 (EDT); take the offset whose reading matches.
  for (const offsetHours of [4, 5]) {
    const candidate = wall + offsetHours * 3_600_000;
    const local = newYorkTime(candidate);
    if (local.date === date && local.minutes === hour * 60 + minute) return candidate;
  }
  return wall + 5 * 3_600_000;
}

function nthWeekday(year: number, month: number, weekday: number, nth: number): number {
  const first = weekdayOf(year, month, 1);
  return 1 + ((weekday - first + 7) % 7) + (nth - 1) * 7;
}

function lastWeekday(year: number, month: number, weekday: number): number {
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const last = weekdayOf(year, month, days);
  return days - ((last - weekday + 7) % 7);
}

/** Easter Sunday (Gregorian; the anonymous algorithm), as [month, day]. */
function easter(year: number): [number, number] {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

function shifted(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

function dateText(date: Date): string {
  return isoDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
}

/** A fixed-date holiday: Saturday → the Friday before, Sunday → the Monday after. */
function observed(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay();
  if (weekday === 6) return dateText(shifted(date, -1));
  if (weekday === 0) return dateText(shifted(date, 1));
  return dateText(date);
}

/** The NYSE full-day holidays of a year, date → name (the one-off closures included). */
export function nyseHolidays(year: number): Map<string, string> {
  const holidays = new Map<string, string>();
  // New Year's Day on a Saturday is not moved to the Friday before (the NYSE rule).
  if (weekdayOf(year, 1, 1) !== 6) holidays.set(observed(year, 1, 1), "New Year's Day");
  holidays.set(isoDate(year, 1, nthWeekday(year, 1, 1, 3)), 'Martin Luther King Jr. Day');
  holidays.set(isoDate(year, 2, nthWeekday(year, 2, 1, 3)), "Washington's Birthday");
  const [easterMonth, easterDay] = easter(year);
  holidays.set(
    dateText(shifted(new Date(Date.UTC(year, easterMonth - 1, easterDay)), -2)),
    'Good Friday',
  );
  holidays.set(isoDate(year, 5, lastWeekday(year, 5, 1)), 'Memorial Day');
  if (year >= 2022) holidays.set(observed(year, 6, 19), 'Juneteenth');
  holidays.set(observed(year, 7, 4), 'Independence Day');
  holidays.set(isoDate(year, 9, nthWeekday(year, 9, 1, 1)), 'Labor Day');
  holidays.set(isoDate(year, 11, nthWeekday(year, 11, 4, 4)), 'Thanksgiving Day');
  holidays.set(observed(year, 12, 25), 'Christmas Day');
  for (const [date, name] of Object.entries(NYSE_SPECIAL_CLOSURES)) {
    if (date.startsWith(`${year}-`)) holidays.set(date, name);
  }
  return holidays;
}

/** True on the NYSE's scheduled 13:00 closes: July 3, the day after Thanksgiving, December 24. */
export function isNyseEarlyClose(date: string): boolean {
  const [year = Number.NaN, month = Number.NaN, day = Number.NaN] = date.split('-').map(Number);
  const weekday = weekdayOf(year, month, day);
  if (weekday === 0 || weekday === 6 || nyseHolidays(year).has(date)) return false;
  if (month === 7 && day === 3) return true;
  if (month === 12 && day === 24) return true;
  return month === 11 && day === nthWeekday(year, 11, 4, 4) + 1;
}

/** Whether the regular session is open at an instant, and why not. */
export interface NyseSession {
  open: boolean;
  /** 'open', 'weekend', 'holiday (Good Friday)', 'before the 09:30 open', 'after the 16:00 close'. */
  reason: string;
  /** The session's hours that day, e.g. '09:30–16:00'; null on weekends and holidays. */
  hours: string | null;
  local: NewYorkTime;
}

/** The NYSE regular session at an instant: open from 09:30 (inclusive) to the close (exclusive). */
export function nyseSession(instantMs: number): NyseSession {
  const local = newYorkTime(instantMs);
  if (local.weekday === 0 || local.weekday === 6) {
    return { open: false, reason: 'weekend', hours: null, local };
  }
  const holiday = nyseHolidays(local.year).get(local.date);
  if (holiday !== undefined) {
    return { open: false, reason: `holiday (${holiday})`, hours: null, local };
  }
  const early = isNyseEarlyClose(local.date);
  const close = early ? EARLY_CLOSE_MINUTES : SESSION_CLOSE_MINUTES;
  const closeText = early ? '13:00' : '16:00';
  const hours = `09:30–${closeText}`;
  if (local.minutes < SESSION_OPEN_MINUTES) {
    return { open: false, reason: 'before the 09:30 open', hours, local };
  }
  if (local.minutes >= close) {
    const what = early ? `the ${closeText} early close` : `the ${closeText} close`;
    return { open: false, reason: `after ${what}`, hours, local };
  }
  return { open: true, reason: 'open', hours, local };
}
