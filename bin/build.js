// The compiled copy of lib/ that `caplab` and its workers start from, so no process pays for type
// stripping ~160 source files at every start. Each build lives in dist/runtime-<key>/lib, where
// <key> hashes the content of every lib/**/*.ts: a folder can only ever hold the code of the
// sources it is named for, so an edited source can never run as stale compiled code — a changed
// key finds no folder and caplab runs the sources (or builds them anew).
//
//   node bin/build.js          builds the copy for the current sources (npm's `prepare` runs it)
//
// Plain JavaScript with no imports but Node's: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the way sources are compiled changes: old builds then stop matching. */
const BUILD_FORMAT = 'caplab-runtime-1';
/** The record of the last build that matched, keyed by the sources' file stats (a cheap check). */
const CURRENT = 'runtime-current.json';
/** Builds kept besides the current one (another checkout state, switched back to often). */
const KEEP = 2;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(root) {
  const lib = join(root, 'lib');
  return readdirSync(lib, { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split('\\').join('/'))
    .sort();
}

/**
 * Hash of the sources' paths, sizes, times and inodes: changes whenever a file is written,
 * replaced, added or removed (ctime cannot be set back by copying tools). Only a shortcut: a
 * match is trusted because it was recorded next to a content key that matched.
 */
function statSignature(root, files) {
  const h = createHash('sha256');
  for (const f of files) {
    const s = statSync(join(root, 'lib', f));
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\0${s.ctimeMs}\0${s.ino}\n`);
  }
  return h.digest('hex');
}

/** Hash of the sources' paths and bytes (and the build format): the name of their build. */
export function contentKey(root = repoRoot, files = sourceFiles(root)) {
  const h = createHash('sha256').update(BUILD_FORMAT + '\n');
  for (const f of files) h.update(f + '\0').update(readFileSync(join(root, 'lib', f))).update('\0');
  return h.digest('hex').slice(0, 16);
}

const buildDir = (root, key) => join(root, 'dist', `runtime-${key}`);
const complete = (dir) => existsSync(join(dir, 'lib', '.complete'));

/**
 * The folder (holding lib/) of the build of the sources as they are now, or null when there is
 * none (never built, or a source changed since). Costs a stat per source file when nothing changed.
 */
export function currentBuild(root = repoRoot) {
  let files;
  try {
    files = sourceFiles(root);
  } catch {
    return null;
  }
  const sig = statSignature(root, files);
  const recordFile = join(root, 'dist', CURRENT);
  try {
    const rec = JSON.parse(readFileSync(recordFile, 'utf8'));
    if (rec.sig === sig && typeof rec.key === 'string' && complete(buildDir(root, rec.key))) return buildDir(root, rec.key);
  } catch {
    // No record yet, or a torn one: fall through to the content key.
  }
  const key = contentKey(root, files);
  const dir = buildDir(root, key);
  if (!complete(dir)) return null;
  writeAtomic(recordFile, JSON.stringify({ key, sig }) + '\n');
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
    writeFileSync(join(tmp, 'lib', '.complete'), key + '\n');
    // A source edited while this ran would make a folder whose name lies: keep it only if the key held.
    if (contentKey(root) !== key) return { dir: null, reason: 'the sources changed during the build' };
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!complete(dir)) throw e; // another process finished the same build first
    }
    prune(root, key);
    currentBuild(root);
    return { dir, key };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes old builds, keeping the newest few. */
function prune(root, key) {
  const dist = join(root, 'dist');
  const old = readdirSync(dist)
    .filter((n) => n.startsWith('runtime-') && n !== `runtime-${key}` && n !== CURRENT)
    .map((n) => ({ n, t: statSync(join(dist, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of old.slice(KEEP)) rmSync(join(dist, n), { recursive: true, force: true });
}

/**
 * Builds in a separate process (so the caller's memory, which a probe may be measuring, never
 * holds the compiler) and returns the build folder, or null when it could not build.
 */
export function buildInChild(root = repoRoot) {
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

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { dir, reason } = build();
    console.log(dir ? `caplab: compiled lib/ into ${dir}` : `caplab: no compiled copy: ${reason}`);
  } catch (e) {
    // Never fail an install over it: caplab still runs from its sources.
    console.error(`caplab: could not compile lib/ (${e?.message ?? e}); caplab runs its sources.`);
  }
}
