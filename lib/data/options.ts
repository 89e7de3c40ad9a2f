/** Checks shared by the data entry points: each error names the field, the value and the rule. */
import { CaplabError } from '../errors.ts';

export function checkInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CaplabError('bad-option', `${field} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got ${JSON.stringify(value)}.`, {
      hint: `Pass a whole number ≥ ${min} as ${field}.`,
    });
  }
  return value;
}

export function checkOut(out: unknown): string {
  if (typeof out !== 'string' || out.trim() === '') {
    throw new CaplabError('bad-option', `out must name the dataset folder to write, got ${JSON.stringify(out)}.`, {
      hint: 'Pass out (CLI: --out DIR), e.g. data/base.',
    });
  }
  return out;
}
