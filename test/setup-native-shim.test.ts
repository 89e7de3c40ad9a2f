import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonSymbols, shimSource, SetupError } from '../scripts/setup-native.ts';

// A stand-in for the wheel's _pywrap_tensorflow_internal.so: a library linked BIND_NOW that
// uses a framework library and references Python's C API (a type object and a function).
const FRAMEWORK = 'int tf_framework_answer(void) { return 42; }\n';
const CAPI = `extern char PyTuple_Type[];
extern void PyArg_ParseTuple(void);
int tf_framework_answer(void);
void *python_refs[] = { PyTuple_Type, (void *)PyArg_ParseTuple };
int TF_Answer(void) { return tf_framework_answer(); }
`;

const toolsHere = process.platform === 'linux' && ['gcc', 'nm'].every((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status === 0);

function sh(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** What dlopen says about `lib` (a library that is no Node addon fails after loading, or before). */
function dlopenMessage(lib: string): string {
  try {
    process.dlopen({ exports: {} }, lib);
    return 'loaded';
  } catch (e) {
    return (e as Error).message;
  }
}

test('the libtensorflow shim stubs exactly the Python symbols, and the C-API library loads through it', { skip: !toolsHere && 'needs Linux, gcc and nm' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'caplab-shim-'));
  try {
    writeFileSync(join(dir, 'framework.c'), FRAMEWORK);
    writeFileSync(join(dir, 'capi.c'), CAPI);
    sh('gcc', ['-shared', '-fPIC', '-o', 'libfw.so', 'framework.c'], dir);
    sh('gcc', ['-shared', '-fPIC', '-o', 'libcapi.so', 'capi.c', '-Wl,-z,now', '-Wl,--no-as-needed', '-L.', '-lfw', '-Wl,-rpath,$ORIGIN'], dir);
    assert.match(dlopenMessage(join(dir, 'libcapi.so')), /undefined symbol: Py(Tuple_Type|Arg_ParseTuple)/);

    const symbols = pythonSymbols(join(dir, 'libcapi.so'), join(dir, 'libfw.so'));
    assert.deepEqual(symbols, ['PyArg_ParseTuple', 'PyTuple_Type']);
    const source = shimSource(symbols);
    assert.match(source, /char PyTuple_Type\[/, 'a type object is data');
    assert.match(source, /void PyArg_ParseTuple\(void\) \{ python_absent\(\); \}/, 'a function aborts when called');
    writeFileSync(join(dir, 'shim.c'), source);
    sh('gcc', ['-shared', '-fPIC', '-o', 'libshim.so', 'shim.c', '-Wl,--no-as-needed', '-L.', '-lcapi', '-lfw', '-Wl,-rpath,$ORIGIN'], dir);
    // Every symbol now binds; what is left is Node noting that this library is no addon.
    assert.match(dlopenMessage(join(dir, 'libshim.so')), /did not self-register|loaded/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a C-API library that needs symbols neither TensorFlow nor Python defines is refused by name', { skip: !toolsHere && 'needs Linux, gcc and nm' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'caplab-shim-'));
  try {
    writeFileSync(join(dir, 'framework.c'), FRAMEWORK);
    writeFileSync(join(dir, 'capi.c'), 'extern int cuda_missing(void);\nint TF_Answer(void) { return cuda_missing(); }\n');
    sh('gcc', ['-shared', '-fPIC', '-o', 'libfw.so', 'framework.c'], dir);
    sh('gcc', ['-shared', '-fPIC', '-o', 'libcapi.so', 'capi.c'], dir);
    assert.throws(() => pythonSymbols(join(dir, 'libcapi.so'), join(dir, 'libfw.so')), (e: unknown) => e instanceof SetupError && /cuda_missing/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
