import type { FlywheelEvent } from '../events/event';

/**
 * What happens to a batch once it is in the graph: an ordered list of named stages (detectors, the live
 * recommender, live notifications, segment assignment), each with one interface. The stages are written
 * once and driven by consumers of the log: the ingestion consumer on one machine; on Kafka + Neo4j, each
 * instance's fan-out consumer (every event) and the ingestion consumer (its own partitions) share them out
 * (src/app/stages.ts says which runs where). A new stage is one `PipelineStage` and one line there.
 */
export interface AppliedBatch {
  readonly events: readonly FlywheelEvent[];
  /** Actors whose edges the batch changed. */
  readonly touchedUsers: readonly string[];
}

export interface PipelineStage {
  /** Shown in logs and tests; kebab-case, says what the stage does. */
  readonly name: string;
  /**
   * Synchronous on purpose: a stage hands slow work to its own queue (segment assignment drains in the
   * background), so one batch's stages run in order and nothing interleaves between them. A stage that
   * throws fails the batch, which the log then delivers again (at-least-once).
   */
  handle(batch: AppliedBatch): void;
}

export class EventPipeline {
  constructor(readonly stages: readonly PipelineStage[]) {}

  run(batch: AppliedBatch): void {
    for (const stage of this.stages) stage.handle(batch);
  }

  names(): string[] {
    return this.stages.map((s) => s.name);
  }
}
