import { CaplabError } from '../errors.ts';
import type { InMemoryDataset, TrainOptions, TrainResult } from './types.ts';

/** Trains the regression MLP; see TrainOptions. (Skeleton: the loop lands in the next commit.) */
export async function trainModel(_data: string | InMemoryDataset, _options: TrainOptions): Promise<TrainResult> {
  throw new CaplabError('not-built', 'trainModel is not built yet.');
}
