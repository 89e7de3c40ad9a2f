/** The few API calls `up` makes while it waits (before any client library is worth loading). */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';

export interface ApiTarget {
  server: string;
  caFile: string;
  token: string;
}

export interface ApiReply {
  status: number;
  body: string;
}

export function apiCall(t: ApiTarget, method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, t.server),
      {
        method,
        ca: readFileSync(t.caFile),
        headers: { Authorization: `Bearer ${t.token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** GET as JSON, or undefined on any error (for polling). */
export async function apiJson(t: ApiTarget, path: string): Promise<any> {
  try {
    const r = await apiCall(t, 'GET', path);
    return r.status === 200 ? JSON.parse(r.body) : undefined;
  } catch {
    return undefined;
  }
}
