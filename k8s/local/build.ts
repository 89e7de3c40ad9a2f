// `npm run cluster:build`: builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler
// and kubectl from source with Go, once per version set. The binaries live outside the
// repository, in a folder keyed by everything that decides their bytes (versions, go.mod, go.sum,
// the Go version, this file), so a second run, or a fresh clone on a warm machine, takes seconds.
// Prints the folder on the last line (`--json`: {"bin": …, "built": bool, "seconds": n}).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const;
const INPUTS = ['versions.json', 'build.ts', 'kube/go.mod', 'kube/go.sum', 'etcd/go.mod', 'etcd/go.sum'];

interface Versions { kubernetes: string; etcd: string }

function goEnv(): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: never download a toolchain at build time; CGO off: static binaries, as upstream.
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly -trimpath -buildvcs=false' };
}

function goVersion(): string {
  try {
    return execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', env: goEnv() }).trim();
  } catch {
    throw new Error('Go is not installed (the control plane is built from source): install Go ≥ 1.26 and run `npm run cluster:build` again.');
  }
}

/** The cache folder for this exact set of inputs: `$XDG_CACHE_HOME/caplab/controlplane/<key>`. */
export function controlPlaneDir(): string {
  const hash = createHash('sha256');
  for (const f of INPUTS) hash.update(f).update('\0').update(readFileSync(join(HERE, f))).update('\0');
  hash.update(goVersion());
  const v = versions();
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'caplab', 'controlplane', `${v.kubernetes}-etcd${v.etcd}-${hash.digest('hex').slice(0, 12)}`);
}

function versions(): Versions {
  return JSON.parse(readFileSync(join(HERE, 'versions.json'), 'utf8')) as Versions;
}

/** The bin folder when every binary is there, else undefined. */
export function builtBin(): string | undefined {
  const bin = join(controlPlaneDir(), 'bin');
  return BINARIES.every((b) => existsSync(join(bin, b))) ? bin : undefined;
}

function kubeLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const vars = { gitVersion: version, gitMajor: major!, gitMinor: minor!, gitTreeState: 'clean', buildDate: date };
  // Both packages carry the version: component-base for the servers, client-go for kubectl's client side.
  const flags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) =>
    Object.entries(vars).map(([k, v]) => `-X ${pkg}.${k}=${v}`),
  );
  return ['-s', '-w', ...flags].join(' ');
}

/** `out` ending in '/' takes one binary per package; otherwise it names the one binary. */
function goBuild(moduleDir: string, out: string, ldflags: string, packages: string[]): void {
  const r = spawnSync('go', ['build', '-ldflags', ldflags, '-o', out, ...packages], {
    cwd: join(HERE, moduleDir),
    env: goEnv(),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`go build in k8s/local/${moduleDir} failed (exit ${r.status}); see the output above.`);
}

export function build(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): { bin: string; built: boolean; seconds: number } {
  const started = Date.now();
  const existing = builtBin();
  if (existing) return { bin: existing, built: false, seconds: 0 };
  const dir = controlPlaneDir();
  const v = versions();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'bin'), { recursive: true });
  try {
    log(`building etcd ${v.etcd} (go ${goVersion()})…`);
    goBuild('etcd', join(tmp, 'bin', 'etcd'), '-s -w', ['go.etcd.io/etcd/server/v3']);
    log(`building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl ${v.kubernetes} (tens of minutes on 2 cores, once)…`);
    goBuild('kube', join(tmp, 'bin') + '/', kubeLdflags(v.kubernetes), BINARIES.filter((b) => b !== 'etcd').map((b) => `k8s.io/kubernetes/cmd/${b}`));
    writeFileSync(join(tmp, 'versions.json'), JSON.stringify({ ...v, go: goVersion() }) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { bin: join(dir, 'bin'), built: true, seconds: Math.round((Date.now() - started) / 1000) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const r = build();
    if (process.argv.includes('--json')) console.log(JSON.stringify(r));
    else console.log(r.built ? `built in ${r.seconds} s: ${r.bin}` : `up to date: ${r.bin}`);
  } catch (e) {
    console.error(`caplab: ${(e as Error).message}`);
    process.exit(1);
  }
}
