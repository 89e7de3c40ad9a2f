/** Shared CLI output helpers: human lines on stderr, and with --json one JSON object as stdout's last line. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseNumber, type NumberRule } from '../util/numbers.ts';

export function printResult(json: boolean, result: unknown, human: string): void {
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(human.endsWith('\n') ? human : human + '\n');
}

/** parseArgs with strict options and a `--help` text; throws a usage CaplabError on bad input. */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  help: string,
  allowPositionals = false,
) {
  const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals });
  if ((parsed.values as Record<string, unknown>).help) {
    console.log(help);
    return null;
  }
  return parsed;
}

/** Parses a numeric option strictly (decimal, finite, in range); names the flag and the rule when it is wrong. */
export function numberOption(name: string, raw: string | undefined, rule: NumberRule = {}): number | undefined {
  if (raw === undefined) return undefined;
  return parseNumber(`--${name}`, raw, rule, 'usage');
}
