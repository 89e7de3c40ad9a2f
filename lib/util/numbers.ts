/**
 * Strict number parsing for everything a person types or a file holds: decimal notation only
 * (an exponent is allowed: 1e6, 2.5E-3), finite, within a stated range. `Number()` alone would
 * take "0x10", " 12 ", "", "Infinity" and "1_000"-less oddities like "0b1"; these never mean a
 * price, a size or a count here.
 */
import { CaplabError, type ErrorCode } from '../errors.ts';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The value of a decimal literal, or null when `text` is not one or is not finite (1e999). */
export function parseDecimal(text: string): number | null {
  if (text.length > 64 || !DECIMAL.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

export interface NumberRule {
  /** A whole number (and a safe integer). Default false. */
  integer?: boolean;
  /** Above 0. Default false. */
  positive?: boolean;
  /** Inclusive bounds. Default: none (any finite number). */
  min?: number;
  max?: number;
}

/** The rule in words: "a positive integer up to 1024", "a number from 0 to 1". */
export function describeRule(rule: NumberRule): string {
  const kind = `${rule.positive ? 'positive ' : ''}${rule.integer ? 'integer' : 'number'}`;
  const a = `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
  if (rule.min !== undefined && rule.max !== undefined) return `${a} from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined) return `${a} ≥ ${rule.min}`;
  if (rule.max !== undefined) return `${a} up to ${rule.max}`;
  return a;
}

/** Whether a number (already parsed) keeps `rule`. */
export function keepsRule(v: number, rule: NumberRule): boolean {
  if (!Number.isFinite(v)) return false;
  if (rule.integer && !Number.isSafeInteger(v)) return false;
  if (rule.positive && !(v > 0)) return false;
  if (rule.min !== undefined && v < rule.min) return false;
  if (rule.max !== undefined && v > rule.max) return false;
  return true;
}

/**
 * Parses `text` strictly under `rule`; throws CaplabError(code) naming `what`, the text and the
 * rule. `what` is how the value is known to the person: "--trials", "budget", "line 3 close".
 */
export function parseNumber(what: string, text: string, rule: NumberRule = {}, code: ErrorCode = 'usage'): number {
  const v = parseDecimal(text.trim() === text ? text : '');
  if (v === null || !keepsRule(v, rule)) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new CaplabError(code, `${what} must be ${describeRule(rule)}, got "${shown}".`, {
      hint: v === null ? 'Write it in decimal (e.g. 12, 0.5, 1e6).' : `Pass a value in that range.`,
    });
  }
  return v;
}
