/** Trading-day calendars: ISO dates (YYYY-MM-DD), weekdays only for synthetic data. */

const DAY_MS = 86_400_000;

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Parses YYYY-MM-DD (a time after it, as in "2013-02-08 00:00:00", is ignored) to UTC
 * milliseconds; null when it is not a real calendar date.
 */
export function parseIsoDate(text: string): number | null {
  const m = /^\s*"?(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]*Z?)?"?\s*$/.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

/** The weekday `offset` weekdays after (or before, if negative) the weekday `start`. */
export function addWeekdays(start: string, offset: number): string {
  let ms = parseIsoDate(start);
  if (ms === null) throw new Error(`addWeekdays: bad date ${start}`);
  const step = offset < 0 ? -DAY_MS : DAY_MS;
  let left = Math.abs(offset);
  while (left > 0) {
    ms += step;
    const wd = new Date(ms).getUTCDay();
    if (wd !== 0 && wd !== 6) left--;
  }
  return isoDate(ms);
}

/** `count` consecutive weekdays from `start` (itself a weekday). */
export function weekdays(start: string, count: number): string[] {
  let ms = parseIsoDate(start);
  if (ms === null) throw new Error(`weekdays: bad date ${start}`);
  const out: string[] = [];
  while (out.length < count) {
    const wd = new Date(ms).getUTCDay();
    if (wd !== 0 && wd !== 6) out.push(isoDate(ms));
    ms += DAY_MS;
  }
  return out;
}
