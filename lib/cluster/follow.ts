/**
 * Following a pod's log while it runs, for live progress (per-epoch loss) and early stopping.
 * Best effort: a follow can close early (a known client limitation), so the final log read,
 * not this stream, decides a trial's result.
 */
import { Writable } from 'node:stream';
import { WORKER_CONTAINER } from './objects/pod.ts';
import type { Kube } from './kube.ts';
import { k8s } from './vendor.ts';

export interface FollowedLog {
  stop(): void;
}

export async function followPodLog(kube: Kube, pod: string, onText: (text: string) => void): Promise<FollowedLog> {
  const m = await k8s();
  let stopped = false;
  const sink = new Writable({
    write(chunk, _enc, done) {
      if (!stopped) onText(String(chunk));
      done();
    },
  });
  sink.on('error', () => undefined);
  try {
    await new m.Log(kube.kc).log(kube.namespace, pod, WORKER_CONTAINER, sink, () => undefined, { follow: true });
  } catch {
    // No stream (pod gone, not started, no permission): progress just stays quiet.
  }
  // Not aborted on stop: the client pipes the response without an error handler, so an abort
  // would surface as an uncaught AbortError. The server ends the stream when the container ends.
  return { stop: () => void (stopped = true) };
}

/** Deletes one pod (grace period as the pod says), e.g. to stop a trial early. 404 is fine. */
export async function deletePod(kube: Kube, name: string): Promise<void> {
  await kube.core.deleteNamespacedPod({ name, namespace: kube.namespace }).catch((e: { code?: number }) => {
    if (e?.code !== 404) throw e;
  });
}
