/** Experiments: the API for them is being built on another branch; until it lands the page says so. */
import { Unavailable } from '../ui';

export function ExperimentsPage() {
  return (
    <>
      <h1 id="page-title">Experiments</h1>
      <section class="card" aria-label="Experiments">
        <Unavailable>
          Not yet available: the experiments API (variants with intervals, sequential p-values, sample-ratio checks, start/stop/ship) is being built on another
          branch. This page will show a forest plot of the variants and the p-value over time once the gateway offers it.
        </Unavailable>
        <p>
          The statistics already in the code are described in EXPERIMENTS.md of the repository; the assignment and tests live in <code>src/experiments/</code>.
        </p>
      </section>
    </>
  );
}
