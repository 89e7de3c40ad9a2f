// The compiled copy of lib/ that `caplab` and its workers start from, so no process pays for type
// stripping ~160 source files at every start. Each build lives in dist/runtime-<key>/lib, where
// <key> hashes the content of every lib/**/*.ts: a folder can only ever hold the code of the
// sources it is named for, so an edited source can never run as stale compiled code — a changed
// key finds no folder and caplab runs the sources (or builds them anew).
//
//   node bin/build.js          builds the copy for the current sources (`npm run build:runtime`;
//                              npm's `prepare` runs it at install, and skips it where bin/ is not there yet)
//
// Plain JavaScript with no imports but Node's: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildDir, currentBuild, isComplete as complete, RECORD, repoRoot, sourceFiles, statSignature } from './current.js';

export { currentBuild, repoRoot };

/** Bump when the way sources are compiled changes: old builds then stop matching. */
const BUILD_FORMAT = 'caplab-runtime-2';
/** Builds kept besides the current one (another checkout state, switched back to often). */
const KEEP = 2;

/** Hash of the sources' paths and bytes (and the build format): the name of their build. */
export function contentKey(root = repoRoot, files = sourceFiles(root)) {
  const h = createHash('sha256').update(BUILD_FORMAT + '\n');
  for (const f of files) h.update(f + '\0').update(readFileSync(join(root, 'lib', f))).update('\0');
  return h.digest('hex').slice(0, 16);
}

/**
 * currentBuild's slow path: the build named by the sources' content, if it is there; recorded
 * beside their stat signature, so the next start takes the fast path.
 */
export function matchByContent(root, files, sig) {
  const key = contentKey(root, files);
  const dir = buildDir(root, key);
  if (!complete(dir)) return null;
  writeAtomic(join(root, 'dist', RECORD), JSON.stringify({ key, sig }) + '\n');
  return dir;
}

/** The TypeScript compiler, when one new enough to rewrite `.ts` imports to `.js` is installed. */
function loadTypeScript(root) {
  try {
    const ts = createRequire(join(root, 'package.json'))('typescript');
    const [major, minor] = ts.versionMajorMinor.split('.').map(Number);
    return major > 5 || (major === 5 && minor >= 7) ? ts : null;
  } catch {
    return null;
  }
}

/**
 * Compiles lib/ file by file (types erased, `.ts` imports rewritten to `.js`; the same per-file
 * erasure Node's type stripping does, so the compiled code behaves as the sources) into
 * dist/runtime-<key>. Type errors are `npm run typecheck`'s business, not this one's. Returns the
 * folder, or null (with the reason) when it cannot build here.
 */
export function build(root = repoRoot) {
  const ts = loadTypeScript(root);
  if (!ts) return { dir: null, reason: 'TypeScript ≥ 5.7 is not installed (dev dependencies omitted): caplab runs its sources' };
  const files = sourceFiles(root);
  const key = contentKey(root, files);
  const dir = buildDir(root, key);
  if (complete(dir)) return { dir, key };
  const tmp = join(root, 'dist', `.runtime-tmp-${process.pid}-${Date.now()}`);
  const options = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    rewriteRelativeImportExtensions: true,
  };
  try {
    for (const f of files) {
      const out = ts.transpileModule(readFileSync(join(root, 'lib', f), 'utf8'), { compilerOptions: options, fileName: `lib/${f}` });
      const target = join(tmp, 'lib', f.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, out.outputText);
    }
    // Node finds the module type in the nearest package.json: a small one here ends that search early.
    writeFileSync(join(tmp, 'package.json'), '{ "type": "module", "private": true }\n');
    writeFileSync(join(tmp, 'lib', '.complete'), key + '\n');
    // A source edited while this ran would make a folder whose name lies: keep it only if the key held.
    if (contentKey(root) !== key) return { dir: null, reason: 'the sources changed during the build' };
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!complete(dir)) throw e; // another process finished the same build first
    }
    prune(root, key);
    matchByContent(root, files, statSignature(root, files));
    return { dir, key };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes old builds, keeping the newest few. */
function prune(root, key) {
  const dist = join(root, 'dist');
  const old = readdirSync(dist)
    .filter((n) => /^runtime-[0-9a-f]+$/.test(n) && n !== `runtime-${key}`)
    .map((n) => ({ n, t: statSync(join(dist, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of old.slice(KEEP)) rmSync(join(dist, n), { recursive: true, force: true });
}

/**
 * Builds in a separate process (so the caller's memory, which a probe may be measuring, never
 * holds the compiler) and returns the build folder, or null when it could not build.
 */
export async function buildInChild(root = repoRoot) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  return r.status === 0 ? currentBuild(root) : null;
}

function writeAtomic(path, text) {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch {
    // Only a shortcut for the next start: a read-only checkout still runs, it just hashes again.
  }
}

/** Builds and says what happened; never fails (caplab still runs from its sources). */
export function buildAndReport(root = repoRoot) {
  try {
    const { dir, reason } = build(root);
    console.log(dir ? `caplab: compiled lib/ into ${dir}` : `caplab: no compiled copy: ${reason}`);
  } catch (e) {
    console.error(`caplab: could not compile lib/ (${e?.message ?? e}); caplab runs its sources.`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildAndReport();
