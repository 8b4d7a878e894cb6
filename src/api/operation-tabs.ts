import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';

/**
 * GraphiQL's tabs: every operation kept in schema/operations/, one named tab each (with the fragments it
 * uses), grouped by audience: the file it lives in, in the order below (others after them, by name). A tab
 * opens with a comment naming its audience and file; GraphiQL titles it with the operation's name.
 */
export interface OperationTab {
  /** GraphiQL's `defaultTabs` entry. */
  query: string;
  name: string;
  audience: string;
}

const AUDIENCES: Record<string, string> = {
  examples: 'shoppers and frontends',
  analyst: 'analysts',
  admin: 'admins',
  console: 'the web console',
};

export function operationTabs(dir: string): OperationTab[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.graphql'));
  } catch {
    return [];
  }
  const order = Object.keys(AUDIENCES);
  const rank = (f: string) => {
    const i = order.indexOf(path.basename(f, '.graphql'));
    return i < 0 ? order.length : i;
  };
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const tabs: OperationTab[] = [];
  for (const file of files) {
    const base = path.basename(file, '.graphql');
    const audience = AUDIENCES[base] ?? base;
    let definitions: readonly DefinitionNode[];
    try {
      definitions = parse(readFileSync(path.join(dir, file), 'utf8'), { noLocation: true }).definitions;
    } catch {
      continue;
    }
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    for (const d of definitions) {
      if (d.kind !== Kind.OPERATION_DEFINITION || !d.name) continue;
      const used = usedFragments(d, fragments);
      const text = [d, ...used].map((n) => print(n)).join('\n\n');
      tabs.push({ name: d.name.value, audience, query: `# For ${audience} (schema/operations/${file})\n${text}\n` });
    }
  }
  return tabs;
}

/** The fragments an operation spreads, directly or through other fragments, in first-use order. */
function usedFragments(op: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const seen = new Map<string, FragmentDefinitionNode>();
  const walk = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const f = fragments.get(spread.name.value);
        if (f && !seen.has(f.name.value)) {
          seen.set(f.name.value, f);
          walk(f);
        }
      },
    });
  walk(op);
  return [...seen.values()];
}
