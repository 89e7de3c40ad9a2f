/**
 * Makes the native TensorFlow.js backend (@tensorflow/tfjs-node) work on a machine whose network
 * reaches the package registries only. tfjs-node's own install script downloads libtensorflow
 * from a host outside them, so `npm ci` drops the package there. This script:
 *
 * 1. installs tfjs-node (the version package.json pins) into node_modules without its script;
 * 2. takes TensorFlow's shared libraries and C headers from the TensorFlow CPU wheel of the same
 *    TensorFlow version on the Python package index (pip, hash-pinned);
 * 3. lays them out as tfjs-node's binding.gyp expects (deps/lib, deps/include) and builds the
 *    binding with node-gyp against the running Node's own headers.
 *
 * The wheel has no libtensorflow.so: the C API lives in the Python extension
 * _pywrap_tensorflow_internal.so, which also references the CPython C API (PyTuple_Type, …) and
 * is linked with BIND_NOW, so it cannot load into a process without Python:
 *   "_pywrap_tensorflow_internal.so: undefined symbol: PyTuple_Type".
 * The libtensorflow.so.2 made here is a small shim: it defines those Python symbols (never used
 * by the C API; calling one aborts with a message) and depends on the extension, so loading the
 * binding loads TensorFlow's C API with every symbol bound.
 *
 * The slow part (wheel, libraries, built binding) is cached in
 * `${XDG_CACHE_HOME:-~/.cache}/caplab/tfjs-node-<version>-tf<version>/`; a warm run hard-links
 * it into node_modules and checks that the backend loads (seconds). When tfjs-node already
 * works (its own install succeeded on a machine with internet), nothing is changed.
 *
 *   node scripts/setup-native.ts          set up (CI runs it after `npm ci`)
 *   node scripts/setup-native.ts --check  only say whether the native backend loads (exit 0/1)
 *
 * Linux x86-64 only (the wheel's platform); elsewhere it says so and exits 0: caplab then trains
 * on wasm.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync,
  renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = '@tensorflow/tfjs-node';
const PACKAGE_DIR = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node');

/** TensorFlow version tfjs-node 4.22.0 builds against (its scripts/deps-constants.js). */
const TF_VERSION = '2.9.1';
/** The CPU wheel of TF_VERSION for CPython 3.10 on manylinux2014 x86-64, pinned by hash. */
const WHEEL = {
  requirement: `tensorflow-cpu==${TF_VERSION}`,
  file: `tensorflow_cpu-${TF_VERSION}-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`,
  sha256: '6666ddeae45e1f41da788cb4bdea3435aba16edb0bc17b7ac00631c7c9eb052e',
  pip: ['--python-version', '3.10', '--implementation', 'cp', '--abi', 'cp310', '--platform', 'manylinux2014_x86_64'],
};
/** Where the wheel keeps what libtensorflow's tarball would hold. */
const WHEEL_LIBS = { framework: 'tensorflow/libtensorflow_framework.so.2', capi: 'tensorflow/python/_pywrap_tensorflow_internal.so' };
const WHEEL_HEADERS = ['tensorflow/include/tensorflow/c/', 'tensorflow/include/tensorflow/core/platform/ctstring'];
const CAPI_LIB = '_pywrap_tensorflow_internal.so'; // its SONAME: the shim's DT_NEEDED names it so

// Written last into a finished cache folder; a folder without it is rebuilt.
const READY = '.caplab-ready';

export class SetupError extends Error {}

function pinnedVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
  const v = pkg.optionalDependencies?.[PACKAGE];
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new SetupError(`package.json must pin ${PACKAGE} to an exact version under optionalDependencies (found ${v ?? 'nothing'}).`);
  return v;
}

function cacheDir(version: string): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'caplab', `tfjs-node-${version}-tf${TF_VERSION}`);
}

function log(message: string): void {
  console.log(`setup-native: ${message}`);
}

function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (r.error) throw new SetupError(`\`${cmd}\` could not start (${r.error.message}); install it and run this script again.`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new SetupError(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}):\n${out}`);
  }
  return String(r.stdout ?? '');
}

/**
 * Loads tfjs-node the way caplab does (lib/train/backend.ts) in a fresh process and runs one op.
 * LD_BIND_NOW binds every symbol at load, so a missing one fails here rather than mid-training.
 */
function nativeLoads(): { ok: boolean; detail: string } {
  const probe = `import { createRequire } from 'node:module';
import { initBackend } from ${JSON.stringify(join(ROOT, 'lib', 'index.ts'))};
const b = await initBackend('node');
const tf = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('@tensorflow/tfjs');
const s = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync().join(','));
if (s !== '4,6') throw new Error('[1, 2] + [3, 4] gave ' + s);
console.log(b);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    encoding: 'utf8', cwd: ROOT, env: { ...process.env, LD_BIND_NOW: '1' },
  });
  const detail = `${r.stdout}${r.stderr}`.trim();
  return { ok: r.status === 0 && r.stdout.trim() === 'tensorflow', detail };
}

function installedVersion(): string | null {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** tfjs-node and its dependencies from the lockfile, without its install script (it would download). */
function installPackage(version: string): void {
  log(`installing ${PACKAGE}@${version} into node_modules (no save, no install script)`);
  run('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${PACKAGE}@${version}`], { cwd: ROOT });
  if (installedVersion() !== version) throw new SetupError(`npm did not install ${PACKAGE}@${version} into ${PACKAGE_DIR}.`);
}

/** A Python that has pip: the one on PATH first, then Debian's. */
function pipPython(): string {
  for (const py of [process.env.CAPLAB_PIP_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    if (spawnSync(py, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0) return py;
  }
  throw new SetupError('No Python with pip was found (tried python3 and /usr/bin/python3); install pip (Debian: apt-get install python3-pip) or set CAPLAB_PIP_PYTHON.');
}

function downloadWheel(into: string): string {
  const py = pipPython();
  const requirements = join(into, 'requirements.txt');
  writeFileSync(requirements, `${WHEEL.requirement} --hash=sha256:${WHEEL.sha256}\n`);
  log(`downloading ${WHEEL.requirement} (~210 MB) with ${py} -m pip`);
  run(py, ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-cache-dir', '--no-deps', '--only-binary=:all:', ...WHEEL.pip,
    '--require-hashes', '-r', requirements, '-d', into]);
  const wheel = join(into, WHEEL.file);
  if (!existsSync(wheel)) throw new SetupError(`pip finished but ${WHEEL.file} is not in ${into}.`);
  return wheel;
}

/** Extracts the members named by `prefixes` (Python's zipfile: pip's Python is there already). */
function unpack(py: string, wheel: string, prefixes: string[], into: string): void {
  const script = `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [n for n in z.namelist() if any(n.startswith(p) for p in sys.argv[3:])]
for n in names: z.extract(n, sys.argv[2])
print(len(names))`;
  const n = Number(run(py, ['-c', script, wheel, into, ...prefixes]).trim());
  if (!(n > 0)) throw new SetupError(`${wheel} holds none of ${prefixes.join(', ')}.`);
}

/** The symbols the C-API library needs and neither it nor libtensorflow_framework defines. */
export function pythonSymbols(lib: string, framework: string): string[] {
  const defined = new Set(
    run('nm', ['-D', '--defined-only', framework]).split('\n').map((l) => l.trim().split(/\s+/)[2]?.replace(/@.*/, '')).filter(Boolean),
  );
  const missing = run('nm', ['-D', '--undefined-only', lib])
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([kind, name]) => kind === 'U' && name && !name.includes('@') && !defined.has(name))
    .map(([, name]) => name as string);
  const notPython = missing.filter((s) => !/^_?Py/.test(s));
  if (notPython.length > 0) {
    throw new SetupError(`${lib} needs symbols that are neither TensorFlow's nor Python's: ${notPython.slice(0, 10).join(', ')}; this wheel cannot serve as libtensorflow.`);
  }
  return missing.sort();
}

/** C source of the shim: data objects for Python's types, exceptions and singletons; functions that abort. */
export function shimSource(symbols: string[]): string {
  const lines = [
    '/* Generated by caplab scripts/setup-native.ts. */',
    '#include <stdio.h>',
    '#include <stdlib.h>',
    'static void python_absent(void) {',
    '  fputs("caplab: TensorFlow called into Python, which the native backend does not load\\n", stderr);',
    '  abort();',
    '}',
  ];
  for (const s of symbols) {
    if (/_Type$|^PyExc_|^_Py_\w+Struct$/.test(s)) lines.push(`__attribute__((aligned(64))) char ${s}[1024];`);
    else lines.push(`void ${s}(void) { python_absent(); }`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * deps/lib as libtensorflow's tarball lays it out (libtensorflow.so → .so.2 → .so.<version>, the
 * same for the framework), with the shim as libtensorflow and the C-API library beside it.
 */
function buildLibs(stage: string, unpacked: string): void {
  const lib = join(stage, 'deps', 'lib');
  mkdirSync(lib, { recursive: true });
  renameSync(join(unpacked, WHEEL_LIBS.capi), join(lib, CAPI_LIB));
  renameSync(join(unpacked, WHEEL_LIBS.framework), join(lib, `libtensorflow_framework.so.${TF_VERSION}`));
  symlinkSync(`libtensorflow_framework.so.${TF_VERSION}`, join(lib, 'libtensorflow_framework.so.2'));
  symlinkSync('libtensorflow_framework.so.2', join(lib, 'libtensorflow_framework.so'));
  renameSync(join(unpacked, 'tensorflow', 'include'), join(stage, 'deps', 'include'));

  const symbols = pythonSymbols(join(lib, CAPI_LIB), join(lib, 'libtensorflow_framework.so.2'));
  log(`building the libtensorflow shim (${symbols.length} Python symbols)`);
  const source = join(stage, 'libtensorflow-shim.c');
  writeFileSync(source, shimSource(symbols));
  run('gcc', ['-shared', '-fPIC', '-O1', '-o', join(lib, `libtensorflow.so.${TF_VERSION}`), source,
    '-Wl,-soname,libtensorflow.so.2', '-Wl,--no-as-needed', `-L${lib}`, `-l:${CAPI_LIB}`, '-ltensorflow_framework', '-Wl,-rpath,$ORIGIN']);
  symlinkSync(`libtensorflow.so.${TF_VERSION}`, join(lib, 'libtensorflow.so.2'));
  // The name `-ltensorflow` finds at link time: a linker script naming the shim and the library
  // that defines the C API, so the binding's TF_* references are bound (and versioned) when linked.
  writeFileSync(join(lib, 'libtensorflow.so'), `/* caplab: link-time libtensorflow */\nINPUT(libtensorflow.so.2 ${CAPI_LIB})\n`);
}

/** Headers of the running Node (node-gyp would otherwise download them). */
function nodeHeaders(): string {
  const major = process.versions.node.split('.')[0];
  const prefix = dirname(dirname(process.execPath));
  const candidates = [prefix];
  // The registry's `node` package keeps the real distribution in node_modules/node-<os>-<arch>.
  const nested = join(prefix, 'node_modules');
  if (existsSync(nested)) candidates.push(...readdirSync(nested).filter((n) => n.startsWith('node-')).map((n) => join(nested, n)));
  for (const dir of candidates) {
    const version = join(dir, 'include', 'node', 'node_version.h');
    if (existsSync(version) && existsSync(join(dir, 'include', 'node', 'common.gypi'))
      && new RegExp(`#define NODE_MAJOR_VERSION ${major}\\b`).test(readFileSync(version, 'utf8'))) return dir;
  }
  throw new SetupError(`No headers of Node ${process.version} were found next to ${process.execPath} (looked in ${candidates.join(', ')}); install Node from a distribution that ships include/node.`);
}

/** npm's own node-gyp (npm ships one; npm sets npm_config_node_gyp when it runs scripts). */
function nodeGyp(): string {
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (which) {
    const gyp = join(dirname(realpathSync(which)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(gyp)) return gyp;
  }
  throw new SetupError('node-gyp was not found beside npm; install it (npm install -g node-gyp) or set npm_config_node_gyp to its node-gyp.js.');
}

/** The N-API version node-pre-gyp picks for this Node: the highest the package lists that Node has. */
function napiBuildVersion(): number {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { binary: { napi_versions: number[] } };
  const have = Number(process.versions.napi);
  const v = Math.max(...pkg.binary.napi_versions.filter((n) => n <= have));
  if (!Number.isFinite(v)) throw new SetupError(`Node ${process.version} has N-API ${have}, older than any ${PACKAGE} supports.`);
  return v;
}

function bindingRel(napi: number): string {
  return join('lib', `napi-v${napi}`, 'tfjs_binding.node');
}

/** Builds tfjs_binding.node with node-gyp inside the package, as node-pre-gyp would. */
function buildBinding(napi: number): void {
  const headers = nodeHeaders();
  log(`building tfjs_binding.node with node-gyp (Node headers: ${headers})`);
  const env: NodeJS.ProcessEnv = { ...process.env, LDFLAGS: `${process.env.LDFLAGS ?? ''} -Wl,--no-as-needed`.trim() };
  // Debian's gcc links --as-needed: the binding uses no symbol of the shim itself, so the shim
  // (which brings the Python symbols the C-API library needs) would be dropped from its NEEDED.
  delete env.npm_config_nodedir;
  run(process.execPath, [nodeGyp(), 'rebuild', `--nodedir=${headers}`, '--module_name=tfjs_binding',
    `--module_path=${join(PACKAGE_DIR, 'lib', `napi-v${napi}`)}`, `--napi_build_version=${napi}`], { cwd: PACKAGE_DIR, env });
  const needed = run('readelf', ['-d', join(PACKAGE_DIR, bindingRel(napi))]);
  if (!needed.includes('[libtensorflow.so.2]')) throw new SetupError(`the built binding does not depend on libtensorflow.so.2:\n${needed}`);
}

/** Hard links (copies across file systems) `from` into `to`, symlinks as symlinks. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const st = lstatSync(src);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isDirectory()) linkTree(src, dst);
    else {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
      }
    }
  }
}

/** Puts the cached deps/ and binding into node_modules. */
function place(cache: string, napi: number): void {
  rmSync(join(PACKAGE_DIR, 'deps'), { recursive: true, force: true });
  linkTree(join(cache, 'deps'), join(PACKAGE_DIR, 'deps'));
  const binding = join(PACKAGE_DIR, bindingRel(napi));
  rmSync(binding, { force: true });
  mkdirSync(dirname(binding), { recursive: true });
  copyFileSync(join(cache, bindingRel(napi)), binding);
}

/** Cold path: wheel → libraries → binding, assembled in a temporary folder and renamed into place. */
function buildCache(cache: string, napi: number): void {
  const stage = `${cache}.tmp-${process.pid}`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  try {
    const download = join(stage, 'download');
    mkdirSync(download);
    const wheel = downloadWheel(download);
    const unpacked = join(stage, 'unpacked');
    unpack(pipPython(), wheel, [...Object.values(WHEEL_LIBS), ...WHEEL_HEADERS], unpacked);
    buildLibs(stage, unpacked);
    rmSync(download, { recursive: true, force: true });
    rmSync(unpacked, { recursive: true, force: true });

    rmSync(join(PACKAGE_DIR, 'deps'), { recursive: true, force: true });
    linkTree(join(stage, 'deps'), join(PACKAGE_DIR, 'deps'));
    buildBinding(napi);
    mkdirSync(dirname(join(stage, bindingRel(napi))), { recursive: true });
    copyFileSync(join(PACKAGE_DIR, bindingRel(napi)), join(stage, bindingRel(napi)));
    writeFileSync(join(stage, READY), `${PACKAGE}@${pinnedVersion()} tensorflow-cpu ${TF_VERSION} napi-v${napi}\n`);
    rmSync(cache, { recursive: true, force: true });
    renameSync(stage, cache);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    throw e;
  }
}

function setup(): void {
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const version = pinnedVersion();
  if (installedVersion() === version && nativeLoads().ok) {
    log(`${PACKAGE}@${version} loads already; nothing to do (${seconds()})`);
    return;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    log(`TensorFlow's Linux x86-64 wheel does not fit ${process.platform}-${process.arch}; caplab will train on wasm. Install ${PACKAGE} with npm where its own download works.`);
    return;
  }
  if (installedVersion() !== version) installPackage(version);
  const napi = napiBuildVersion();
  const cache = cacheDir(version);
  if (existsSync(join(cache, READY)) && existsSync(join(cache, bindingRel(napi)))) {
    log(`using the cached build in ${cache}`);
  } else {
    buildCache(cache, napi);
  }
  place(cache, napi);
  const check = nativeLoads();
  if (!check.ok) throw new SetupError(`the native backend still does not load:\n${check.detail}\nRemove ${cache} and run this script again; if it fails the same way, train with --backend wasm.`);
  const size = statSync(join(cache, 'deps', 'lib', CAPI_LIB)).size;
  log(`${PACKAGE}@${version} on TensorFlow ${TF_VERSION} is ready (${(size / 2 ** 20).toFixed(0)} MB of TensorFlow in ${cache}; ${seconds()})`);
}

function main(): void {
  try {
    if (process.argv.includes('--check')) {
      const r = nativeLoads();
      console.log(r.ok ? `setup-native: ${PACKAGE} loads` : `setup-native: ${PACKAGE} does not load:\n${r.detail}`);
      process.exitCode = r.ok ? 0 : 1;
      return;
    }
    setup();
  } catch (e) {
    if (!(e instanceof SetupError)) throw e;
    console.error(`setup-native: ${e.message}`);
    process.exitCode = 1;
  }
}

if (import.meta.main) main();
