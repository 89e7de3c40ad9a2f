/**
 * Errors from the API server as caplab sees them: the HTTP code and the Status object's reason
 * and message (the client hands the body over as a JSON string more often than not).
 */
export interface ApiStatus {
  code: number;
  reason?: string;
  message: string;
}

/** The API status inside an error from the client, or null for errors that are not API answers. */
export function apiStatus(e: unknown): ApiStatus | null {
  if (!e || typeof e !== 'object') return null;
  const err = e as { code?: unknown; statusCode?: unknown; body?: unknown; message?: string };
  const code = typeof err.code === 'number' ? err.code : typeof err.statusCode === 'number' ? err.statusCode : undefined;
  if (code === undefined) return null;
  let body: unknown = err.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = { message: body };
    }
  }
  const b = (body && typeof body === 'object' ? body : {}) as { reason?: string; message?: string };
  return { code, reason: b.reason, message: b.message ?? err.message ?? `HTTP ${code}` };
}

export function isApiCode(e: unknown, code: number): boolean {
  return apiStatus(e)?.code === code;
}

/** A network failure (refused, DNS, TLS, timeout) rather than an API answer. */
export function isUnreachable(e: unknown): boolean {
  if (apiStatus(e)) return false;
  const text = `${(e as Error)?.message ?? ''} ${String((e as { cause?: { code?: string } })?.cause?.code ?? '')}`;
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|fetch failed|certificate|socket|UND_ERR/i.test(text);
}
