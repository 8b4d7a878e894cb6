import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { graphStoreContract } from '../../contract/graph-store.contract';

// The shared graph store contract on the embedded in-memory graph (the same suite runs on Neo4j in
// test/integration/neo4j-graph-store.test.ts).
graphStoreContract('embedded MemoryGraph', async () => {
  const store = new MemoryGraph();
  return { store, close: () => store.close() };
});
