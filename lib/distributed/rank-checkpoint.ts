/**
 * Checkpoints of a data-parallel group: every rank reads the last checkpoint when it starts (the
 * ranks must agree on its epoch), and after every epoch the ranks gather each one's random-stream
 * states to rank 0, which writes the checkpoint atomically. The model and optimizer state are the
 * same on every rank (replicas are bit-identical), so rank 0's copy stands for all.
 */
import { CaplabError } from '../errors.ts';
import { checkResumable, readCheckpoint, writeCheckpoint, type CheckpointIdentity } from '../train/checkpoint.ts';
import type { LoopProgress } from '../train/loop.ts';
import type { Mlp } from '../train/mlp.ts';
import type { RandomStream } from '../train/rng.ts';
import { allGatherCounts } from './collectives.ts';
import type { Group } from './group.ts';

export interface RankCheckpointing {
  /** Where training resumes (undefined: from the start). */
  resume: LoopProgress | undefined;
  /** The epoch of the checkpoint it resumed from, or null. */
  resumedFromEpoch: number | null;
  /** Writes the checkpoint of the epoch just ended (every rank calls it: it gathers). */
  onEpochEnd(progress: LoopProgress): Promise<void>;
}

/**
 * Restores `mlp` and `shuffle` from the checkpoint in `dir` when there is one, and returns the
 * loop's resume state and epoch-end hook. Throws 'bad-checkpoint' when the ranks read different
 * checkpoints, 'checkpoint-mismatch' when it belongs to another run.
 */
export async function rankCheckpointing(group: Group, dir: string, mlp: Mlp, shuffle: RandomStream, identity: CheckpointIdentity): Promise<RankCheckpointing> {
  const { rank } = group;
  const found = await readCheckpoint(dir);
  const seen = await allGatherCounts(group, found?.epoch ?? 0);
  if (seen.some((e) => e !== seen[0])) {
    throw new CaplabError('bad-checkpoint', `The ranks read different checkpoints in ${dir} (epochs by rank: ${seen.join(', ')}).`, {
      hint: 'Every rank must see the same checkpoint folder: mount one claim in every pod (ReadWriteMany across nodes).',
    });
  }
  let resume: LoopProgress | undefined;
  if (found) {
    checkResumable(found, identity, dir);
    mlp.setParams(found.params);
    mlp.restoreTrainingState({ optimizer: found.optimizer, dropout: found.rng.dropout[rank] });
    shuffle.restore(found.rng.shuffle[rank]);
    resume = {
      epoch: found.epoch,
      epochs: found.epochs,
      bestEpoch: found.best.epoch,
      bestValLoss: found.best.valLoss,
      // Every rank validates (its share of the rows, reduced), so every rank tracks the best weights.
      bestParams: found.best.params,
      trainSeconds: found.position.trainSeconds,
      trainedRows: found.position.rows,
      steps: found.position.steps,
    };
  }
  return {
    resume,
    resumedFromEpoch: found ? found.epoch : null,
    async onEpochEnd(p) {
      const state = mlp.trainingState();
      const shuffles = await allGatherCounts(group, shuffle.state());
      const dropouts = await allGatherCounts(group, state.dropout);
      if (rank !== 0) return;
      await writeCheckpoint(dir, {
        identity,
        epoch: p.epoch,
        position: { steps: p.steps, rows: p.trainedRows, trainSeconds: p.trainSeconds },
        params: mlp.getParams(),
        optimizer: state.optimizer,
        rng: { shuffle: shuffles, dropout: dropouts },
        best: { epoch: p.bestEpoch, valLoss: p.bestValLoss, params: p.bestParams ?? mlp.getParams() },
        epochs: p.epochs,
        createdAt: new Date().toISOString(),
      });
    },
  };
}
