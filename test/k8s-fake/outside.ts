/** Someone else acting on the cluster: the 'delete-job' fault deletes a Job mid-run. */
import type { Ctx } from './context.ts';
import { LABEL_JOB_NAME } from './faults.ts';

export function watchOutsideDeletes(ctx: Ctx): void {
  const check = () => {
    for (const f of ctx.faults.all('delete-job')) {
      for (const job of ctx.store.list('jobs')) {
        if (f.job !== undefined && f.job !== job.metadata.name) continue;
        const pods = ctx.store.list('pods', job.metadata.namespace).filter((p) => p.metadata.labels?.[LABEL_JOB_NAME] === job.metadata.name &&
          p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid));
        const finished = pods.filter((p) => ['Succeeded', 'Failed'].includes(p.status?.phase)).length;
        const running = pods.some((p) => p.status?.phase === 'Running');
        const due = (f.afterPodsFinished ?? 0) === 0 ? running : finished >= f.afterPodsFinished!;
        if (!due) continue;
        ctx.faults.remove(f);
        ctx.later(() => ctx.deleteObject('jobs', job.metadata.namespace, job.metadata.name, f.propagationPolicy ?? 'Background'));
        break;
      }
    }
  };
  ctx.store.onChange((ev) => {
    if (ev.resource === 'pods' || ev.resource === 'jobs') check();
  });
  ctx.faults.onAdd(check);
}
