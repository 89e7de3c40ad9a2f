/**
 * A generator thread: builds the shard groups it is handed from (seed, tickers, days), writes and
 * hashes their files in the temp folder, and reports each group's shard entries and train moments.
 * Groups are built one after another; a group's files are written while the next one is built,
 * with two sets of buffers reused in turn, so a thread holds at most two groups.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FEATURE_COUNT, featureScratch } from './features.ts';
import { buildGroup, groupTickers, reusingAlloc } from './group-build.ts';
import { trainMoments, writeGroupFiles } from './group-files.ts';
import { syntheticSource } from './synthetic-source.ts';
import { CaplabError } from '../errors.ts';
import type { GroupJob, FromWorker } from './generate-parallel.ts';

const job = workerData as GroupJob;
const port = parentPort!;
const source = syntheticSource(job.seed, job.tickers, job.days);
const scratch = featureScratch();

// Buffers of the same shape are reused: allocating ~10 MB a group made the collector a fifth of the work.
const alloc = reusingAlloc();

function fail(group: number, e: unknown): void {
  const error = e instanceof CaplabError
    ? { code: e.code, message: e.hint ? e.message.slice(0, e.message.length - e.hint.length - 5) : e.message, hint: e.hint }
    : { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
  port.postMessage({ group, error } satisfies FromWorker);
}

let building: Promise<void> = Promise.resolve();
port.on('message', ({ group, dir }: { group: number; dir: string }) => {
  building = building.then(async () => {
    try {
      const shards = await buildGroup(source, group, groupTickers(group, job.shardTickers, job.tickers), job.split, scratch, alloc);
      const train = trainMoments(shards, FEATURE_COUNT);
      // Not awaited: the next group is built while this one's files are written.
      writeGroupFiles(dir, shards).then(
        (written) => {
          alloc.release(shards);
          port.postMessage({ group, shards: written, train } satisfies FromWorker);
        },
        (e) => fail(group, e),
      );
    } catch (e) {
      fail(group, e);
    }
  });
});
