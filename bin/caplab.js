#!/usr/bin/env node
// Runs caplab's TypeScript sources directly with Node's type stripping (Node >= 22.18), so there
// is no build step between editing lib/ and running it. Node warns that type stripping is
// experimental on some versions; that warning is noise for users, so drop just that one.
const emit = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === 'string' ? warning : warning?.message ?? '';
  if (/Type Stripping|strip-types|typescript/i.test(text)) return;
  return emit.call(process, warning, ...rest);
};
// An error thrown outside a command's promise (a callback, a stream) still ends as one caplab line.
const command = process.argv[2] ?? '';
const last = async (e) => {
  try {
    const { reportError } = await import('../lib/cli/errors.ts');
    process.exit(reportError(command, e));
  } catch {
    process.stderr.write(`caplab ${command}: internal error: ${e?.message ?? e}\n`);
    process.exit(70);
  }
};
process.on('uncaughtException', last);
process.on('unhandledRejection', last);
const { main } = await import('../lib/cli.ts');
process.exitCode = await main(process.argv.slice(2));
