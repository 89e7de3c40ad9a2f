#!/usr/bin/env node
// The `caplab` command. It starts from the compiled copy of lib/ for the sources as they are now
// (bin/build.js: dist/runtime-<hash of the sources>; bin/current.js checks it is current), built
// here on first use when missing, so no start pays for type stripping every source file. Without one (no TypeScript installed, a
// worker — workers never build — or CAPLAB_FROM_SOURCES=1 for development) it runs the
// TypeScript sources directly with Node's type stripping: both run the same code.
import * as nodeModule from 'node:module';

// V8's compiled code for what a start loads (tfjs alone is megabytes of JavaScript) is kept on
// disk for the next start, worker processes included; Node keys it by each module's content, so
// an edited module is compiled afresh. Nothing depends on it: where it cannot write, starts are slower.
try {
  nodeModule.enableCompileCache?.();
} catch {
  // no cache this time
}
const emit = process.emitWarning;
// Node warns that type stripping is experimental on some versions; that warning is noise for
// users, so drop just that one.
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === 'string' ? warning : warning?.message ?? '';
  if (/Type Stripping|strip-types|typescript/i.test(text)) return;
  return emit.call(process, warning, ...rest);
};
const command = process.argv[2] ?? '';
const lib = await chooseLib();
// An error thrown outside a command's promise (a callback, a stream) still ends as one caplab line.
const last = async (e) => {
  try {
    const { reportError } = await import(lib.url('cli/errors'));
    process.exit(reportError(command, e));
  } catch {
    process.stderr.write(`caplab ${command}: internal error: ${e?.message ?? e}\n`);
    process.exit(70);
  }
};
process.on('uncaughtException', last);
process.on('unhandledRejection', last);
const { main } = await import(lib.url('cli'));
process.exitCode = await main(process.argv.slice(2));

async function chooseLib() {
  const sources = { url: (m) => new URL(`../lib/${m}.ts`, import.meta.url).href };
  if (process.env.CAPLAB_FROM_SOURCES === '1') return sources;
  try {
    const { currentBuild, isComplete } = await import('./current.js');
    // A local executor checked the copy once for its whole run and names it to its workers.
    const vouched = command === 'worker' ? process.env.CAPLAB_RUNTIME_DIR : undefined;
    const dir = vouched && isComplete(vouched) ? vouched : ((await currentBuild()) ?? (command === 'worker' ? null : await (await import('./build.js')).buildInChild()));
    if (!dir) return sources;
    const { pathToFileURL } = await import('node:url');
    return { url: (m) => pathToFileURL(`${dir}/lib/${m}.js`).href };
  } catch {
    return sources;
  }
}
