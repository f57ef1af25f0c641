/**
 * ISO-8601 date-times in CSV text: parsing from bytes (no string allocation) and formatting.
 * Proleptic Gregorian calendar, UTC; the civil-date arithmetic is Howard Hinnant's
 * `days_from_civil` / `civil_from_days` (http://howardhinnant.github.io/date_algorithms.html).
 */
import type { TimeUnit } from "../core/table.js";

/** Units per second, as numbers and as bigints. */
export const UNITS_PER_SECOND: Record<TimeUnit, number> = { s: 1, ms: 1e3, us: 1e6, ns: 1e9 };
const UNITS_PER_SECOND_BIG: Record<TimeUnit, bigint> = {
  s: 1n,
  ms: 1000n,
  us: 1000000n,
  ns: 1000000000n,
};
/** Fraction digits written for each unit. */
const FRACTION_DIGITS: Record<TimeUnit, number> = { s: 0, ms: 3, us: 6, ns: 9 };

/** The coarsest unit that holds `digits` fraction-of-second digits exactly (0…9). */
export function unitForFractionDigits(digits: number): TimeUnit {
  return digits === 0 ? "s" : digits <= 3 ? "ms" : digits <= 6 ? "us" : "ns";
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1…12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Result of the last successful `parseIsoTimestamp`: whole seconds since the epoch (UTC), the
 * fraction of a second in nanoseconds, and how many fraction digits were written. A module-level
 * record so the hot loop allocates nothing.
 */
export const parsedTime = { seconds: 0, nanos: 0, digits: 0 };

/** Reads `n` ASCII digits at `i`; -1 if any is not a digit. */
function digitsAt(buf: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = buf[i + k]! - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Parses `buf[s, e)` as `YYYY-MM-DD`, optionally followed by `T` (or `t` or a space) and
 * `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` (1…9 fraction digits, `.` or `,`), optionally followed by
 * `Z` or an offset `±HH`, `±HHMM`, `±HH:MM`. No offset means UTC. Years are 4 digits, or a sign
 * and 6 digits (ISO-8601 expanded years, as `formatTimestamp` writes outside 0000…9999).
 * Returns false if the text is not such a date-time or names an impossible date or time.
 */
export function parseIsoTimestamp(buf: Uint8Array, s: number, e: number): boolean {
  let i = s;
  let year: number;
  const c0 = buf[i];
  if (c0 === 43 || c0 === 45) {
    if (e - i < 7) return false;
    year = digitsAt(buf, i + 1, 6);
    if (year < 0) return false;
    if (c0 === 45) year = -year;
    i += 7;
  } else {
    if (e - i < 4) return false;
    year = digitsAt(buf, i, 4);
    if (year < 0) return false;
    i += 4;
  }
  if (e - i < 6 || buf[i] !== 45 || buf[i + 3] !== 45) return false;
  const month = digitsAt(buf, i + 1, 2);
  const day = digitsAt(buf, i + 4, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > (month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month]!)) return false;
  i += 6;
  let seconds = daysFromCivil(year, month, day) * 86400;
  let nanos = 0;
  let digits = 0;
  if (i < e) {
    const sep = buf[i];
    if (sep !== 84 && sep !== 116 && sep !== 32) return false;
    i++;
    if (e - i < 5 || buf[i + 2] !== 58) return false;
    const hh = digitsAt(buf, i, 2);
    const mm = digitsAt(buf, i + 3, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return false;
    i += 5;
    let ss = 0;
    if (i < e && buf[i] === 58) {
      if (e - i < 3) return false;
      ss = digitsAt(buf, i + 1, 2);
      if (ss < 0 || ss > 59) return false;
      i += 3;
      if (i < e && (buf[i] === 46 || buf[i] === 44)) {
        i++;
        while (i < e) {
          const d = buf[i]! - 48;
          if (d < 0 || d > 9) break;
          if (++digits > 9) return false;
          nanos = nanos * 10 + d;
          i++;
        }
        if (digits === 0) return false;
        for (let k = digits; k < 9; k++) nanos *= 10;
      }
    }
    seconds += hh * 3600 + mm * 60 + ss;
    if (i < e) {
      const z = buf[i];
      if (z === 90 || z === 122) {
        i++;
      } else if (z === 43 || z === 45) {
        if (e - i < 3) return false;
        const oh = digitsAt(buf, i + 1, 2);
        if (oh < 0 || oh > 23) return false;
        i += 3;
        let om = 0;
        if (i < e) {
          if (buf[i] === 58) i++;
          if (e - i !== 2) return false;
          om = digitsAt(buf, i, 2);
          if (om < 0 || om > 59) return false;
          i += 2;
        }
        const offset = oh * 3600 + om * 60;
        seconds += z === 43 ? -offset : offset;
      }
    }
  }
  if (i !== e) return false;
  parsedTime.seconds = seconds;
  parsedTime.nanos = nanos;
  parsedTime.digits = digits;
  return true;
}

/** Range of whole seconds representable as int64 in each unit (a little inside, to be safe). */
export function secondsFitUnit(minSeconds: number, maxSeconds: number, unit: TimeUnit): boolean {
  const limit = 9223372036 * (1e9 / UNITS_PER_SECOND[unit]) - 1;
  return minSeconds >= -limit && maxSeconds <= limit;
}

/**
 * The last parsed time in `unit`, as an exact bigint. The caller has checked that the fraction
 * digits fit the unit and the range fits int64.
 */
export function parsedTimeIn(unit: TimeUnit): bigint {
  const per = UNITS_PER_SECOND[unit];
  const frac = parsedTime.nanos / (1e9 / per);
  const approx = parsedTime.seconds * per + frac;
  if (Number.isSafeInteger(approx) && Math.abs(approx) < 2 ** 52) return BigInt(approx);
  return BigInt(parsedTime.seconds) * UNITS_PER_SECOND_BIG[unit] + BigInt(frac);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * `value` (time since the epoch in `unit`) as ISO-8601 UTC with exactly the unit's fraction
 * digits: `2024-01-02T03:04:05Z`, `…05.123Z`, `…05.123456Z`, `…05.123456789Z`. Years outside
 * 0000…9999 are written as `+YYYYYY` / `-YYYYYY`.
 */
export function formatTimestamp(value: bigint, unit: TimeUnit): string {
  const per = UNITS_PER_SECOND_BIG[unit];
  let sec = value / per;
  let frac = value - sec * per;
  if (frac < 0n) {
    frac += per;
    sec -= 1n;
  }
  const secNum = Number(sec);
  const days = Math.floor(secNum / 86400);
  let rem = secNum - days * 86400;
  const hh = Math.floor(rem / 3600);
  rem -= hh * 3600;
  const mm = Math.floor(rem / 60);
  const ss = rem - mm * 60;
  // civil_from_days
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? "-" : "+") + pad(Math.abs(y), 6);
  const fd = FRACTION_DIGITS[unit];
  const fraction = fd === 0 ? "" : `.${frac.toString().padStart(fd, "0")}`;
  return `${year}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}${fraction}Z`;
}
