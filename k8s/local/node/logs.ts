/**
 * Container logs (stdout and stderr interleaved, as the kubelet keeps them), per pod uid and
 * container, with followers for `follow=true` and the previous instance for `previous=true`.
 */

interface Chunk {
  at: Date;
  text: string;
}

interface LogBuffer {
  chunks: Chunk[];
  ended: boolean;
  followers: Set<(text: string, at: Date) => void>;
  enders: Set<() => void>;
}

export interface LogQuery {
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
}

function stamp(at: Date, text: string): string {
  const iso = at.toISOString().replace('Z', '000000Z');
  return text.split(/(?<=\n)/).map((line) => `${iso} ${line}`).join('');
}

export class Logs {
  private readonly current = new Map<string, LogBuffer>();
  private readonly previous = new Map<string, LogBuffer>();
  /** Called after any append or end. */
  onChange: () => void = () => {};

  private buf(podUid: string, container: string): LogBuffer {
    const k = `${podUid}/${container}`;
    let b = this.current.get(k);
    if (!b) this.current.set(k, (b = { chunks: [], ended: false, followers: new Set(), enders: new Set() }));
    return b;
  }

  /** A container started: its (empty) log exists from now on. */
  open(podUid: string, container: string): void {
    this.buf(podUid, container);
  }

  has(podUid: string, container: string, previous = false): boolean {
    return (previous ? this.previous : this.current).has(`${podUid}/${container}`);
  }

  append(podUid: string, container: string, text: string): void {
    if (text === '') return;
    const b = this.buf(podUid, container);
    const at = new Date();
    b.chunks.push({ at, text });
    for (const f of [...b.followers]) f(text, at);
    this.onChange();
  }

  end(podUid: string, container: string): void {
    const b = this.buf(podUid, container);
    b.ended = true;
    for (const e of [...b.enders]) e();
    b.followers.clear();
    b.enders.clear();
    this.onChange();
  }

  /** A restarted container: the old log becomes `previous`, a new one starts. */
  rotate(podUid: string, container: string): void {
    const k = `${podUid}/${container}`;
    const b = this.current.get(k);
    if (b) this.previous.set(k, b);
    this.current.delete(k);
  }

  /** Forgets every log of a pod (it is gone from the API). */
  drop(podUid: string): void {
    for (const m of [this.current, this.previous]) for (const k of [...m.keys()]) if (k.startsWith(`${podUid}/`)) m.delete(k);
  }

  text(podUid: string, container: string, q: LogQuery = {}, previous = false): string {
    const b = (previous ? this.previous : this.current).get(`${podUid}/${container}`);
    if (!b) return '';
    const since = q.sinceSeconds ? Date.now() - q.sinceSeconds * 1000 : -Infinity;
    let out = b.chunks.filter((c) => c.at.getTime() >= since).map((c) => (q.timestamps ? stamp(c.at, c.text) : c.text)).join('');
    if (q.tailLines !== undefined) {
      const lines = out.split(/(?<=\n)/);
      out = q.tailLines === 0 ? '' : lines.slice(-q.tailLines).join('');
    }
    if (q.limitBytes !== undefined) out = Buffer.from(out).subarray(0, q.limitBytes).toString();
    return out;
  }

  /** Calls onText for new output until the container ends (then onEnd). Returns an unsubscribe. */
  follow(podUid: string, container: string, timestamps: boolean, onText: (t: string) => void, onEnd: () => void): () => void {
    const b = this.buf(podUid, container);
    if (b.ended) {
      onEnd();
      return () => {};
    }
    const f = (text: string, at: Date) => onText(timestamps ? stamp(at, text) : text);
    b.followers.add(f);
    b.enders.add(onEnd);
    return () => {
      b.followers.delete(f);
      b.enders.delete(onEnd);
    };
  }
}
