/**
 * The dataset format's writing layer, for any source of rows: shards arrive in groups, each
 * group's files are written and hashed while the caller builds the next one, the train split's
 * statistics are accumulated on the way, and the manifest is written last — all in a temp folder
 * renamed into place when complete. The ticker writer (writer.ts), the generator threads
 * (generate-worker.ts, which write their groups themselves) and test fixtures use it.
 */
import { join } from 'node:path';
import { MANIFEST_FILE, SCHEMA_VERSION, isDatasetFolder, type Manifest, type Shard } from './manifest.ts';
import { statsAccumulator } from './stats.ts';
import { trainMoments, writeGroupFiles, type ShardBuffers, type WrittenGroup } from './group-files.ts';
import type { ProgressHook } from '../progress.ts';
import { writeDirAtomic, writeFileAtomic } from '../util/atomic.ts';

export type { ShardBuffers, WrittenGroup } from './group-files.ts';

interface ShardFolderOptions {
  out: string;
  force: boolean;
  /** Feature names, in column order. */
  features: string[];
  target: string;
  /** Shards the groups will hold in all, for progress. */
  shardCount: number;
  /** What is writing, recorded in the output's lock. Default 'caplab data'. */
  what?: string;
  /** Everything in the manifest the shards do not give. */
  manifest: Pick<Manifest, 'source' | 'split' | 'generator' | 'tickers' | 'dates'>;
  onProgress?: ProgressHook;
}

export interface WriteShardsOptions extends ShardFolderOptions {
  /** Groups of shards in order; the next is built while the previous one is written, so at most two are in memory. */
  groups: AsyncIterable<ShardBuffers[]>;
  /** Told when a group's files are on disk: its buffers may be reused from then on. */
  onWritten?: (group: ShardBuffers[]) => void;
}

export interface WriteShardGroupsOptions extends ShardFolderOptions {
  /**
   * The groups, in order, written into `tmp` by whoever builds them (this thread or workers):
   * the statistics are merged and progress told in this order, so the manifest never depends on
   * which group finished first.
   */
  groups: (tmp: string) => AsyncIterable<WrittenGroup>;
}

/** Writes the groups' shards and the manifest into `out` (atomically) and returns the manifest. */
export async function writeShards(options: WriteShardsOptions): Promise<Manifest> {
  const width = options.features.length;
  // The caller builds the next group on this thread while this group's writes and hashes run on
  // the thread pool.
  async function* written(tmp: string): AsyncGenerator<WrittenGroup> {
    let pending: Promise<WrittenGroup> | null = null;
    try {
      for await (const group of options.groups) {
        const train = trainMoments(group, width);
        if (pending) yield await pending;
        pending = writeGroupFiles(tmp, group).then((shards) => {
          options.onWritten?.(group);
          return { shards, train };
        });
        // Awaited on the next turn; until then a failed write must not count as unhandled.
        pending.catch(() => undefined);
      }
      if (pending) yield await pending;
    } finally {
      if (pending) await pending.catch(() => undefined);
    }
  }
  return writeShardGroups({ ...options, groups: written });
}

/** Writes the manifest of groups already written into the temp folder, and renames it into place. */
export async function writeShardGroups(options: WriteShardGroupsOptions): Promise<Manifest> {
  const { onProgress, features } = options;
  return writeDirAtomic(
    options.out,
    async (tmp) => {
      const stats = statsAccumulator(features.length);
      const shards: Shard[] = [];
      let rowsDone = 0;
      let bytesDone = 0;
      for await (const group of options.groups(tmp)) {
        for (const m of group.train) stats.merge(m);
        for (const shard of group.shards) {
          shards.push(shard);
          rowsDone += shard.rows;
          bytesDone += shard.x.bytes + shard.y.bytes + (shard.meta?.bytes ?? 0);
          onProgress?.({ kind: 'shard-written', done: shards.length, total: options.shardCount, rows: rowsDone, bytes: bytesDone });
        }
      }
      const rows = { train: 0, validation: 0, test: 0, total: 0 };
      for (const sh of shards) rows[sh.split] += sh.rows;
      rows.total = rows.train + rows.validation + rows.test;
      const m: Manifest = {
        schemaVersion: SCHEMA_VERSION,
        kind: 'caplab-dataset',
        source: options.manifest.source,
        features: [...features],
        target: options.target,
        rows,
        split: options.manifest.split,
        shards,
        bytes: bytesDone,
        createdAt: new Date().toISOString(),
        generator: options.manifest.generator,
        ...(options.manifest.tickers ? { tickers: options.manifest.tickers } : {}),
        ...(options.manifest.dates ? { dates: options.manifest.dates } : {}),
        stats: stats.result(),
      };
      await writeFileAtomic(join(tmp, MANIFEST_FILE), JSON.stringify(m, null, 1) + '\n');
      return m;
    },
    {
      force: options.force,
      isOurs: isDatasetFolder,
      noun: 'dataset folder',
      what: options.what ?? 'caplab data',
      onMessage: (text) => onProgress?.({ kind: 'message', text }),
    },
  );
}
