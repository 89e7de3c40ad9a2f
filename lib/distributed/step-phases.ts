/** Where a rank's step time goes, summed over its steps: shared by the exact and the local-SGD step. */
export interface StepPhases {
  /** Copying and standardizing batches: before a step, or prefetched during the exchange. */
  batch: number;
  /** Forward and backward pass (this rank's gradient). */
  gradient: number;
  exchange: number;
  /** The optimizer update from the averaged gradient. */
  update: number;
}
