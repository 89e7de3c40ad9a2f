/** Kubernetes resource quantities ("500m", "16Gi", "1e3") as plain numbers (cores, bytes). */

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m || !(m[2] in SUFFIX)) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${q}`);
  return Number(m[1]) * SUFFIX[m[2]];
}

export function isQuantity(q: unknown): boolean {
  if (typeof q === 'number') return true;
  if (typeof q !== 'string') return false;
  try {
    parseQuantity(q);
    return true;
  } catch {
    return false;
  }
}

/** Requests of a pod: per container, requests or else limits (as the apiserver defaults them). */
export function podRequests(pod: { spec?: any }): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    cpu += parseQuantity(req.cpu ?? lim.cpu);
    memory += parseQuantity(req.memory ?? lim.memory);
  }
  return { cpu, memory };
}
