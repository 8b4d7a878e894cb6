/**
 * Item view: catalog data, similar items, and the item's neighbourhood in the user-item graph drawn as a
 * graph (users, items, categories; click a node, or its button in the list under the graph, to expand it).
 * The graph library (cytoscape) is loaded only when this page opens, so the first page stays small.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Core, ElementDefinition } from 'cytoscape';
import { ApiError, request } from '../api';
import {
  ConsoleCategoryItemsDocument,
  ConsoleItemDocument,
  ConsoleItemNeighbourhoodDocument,
  ConsoleItemSearchDocument,
  ConsoleUserNeighbourhoodDocument,
  type ConsoleViewerQuery,
} from '../generated/graphql';
import { Card, ErrorNote, fmtInt, fmtMoney, fmtNum, itemHref, Loading, userHref, useApi } from '../ui';
import { entityLink, SeverityBadge } from './anomalies';

export function ItemPage({ itemId, viewer }: { itemId: string | null; viewer: ConsoleViewerQuery['viewer'] }) {
  const analyst = viewer.role === 'analyst' || viewer.role === 'admin';
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState<string | null>(itemId ? null : '');
  return (
    <>
      <h1 id="page-title">Item view{itemId ? `: ${itemId}` : ''}</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(search.trim());
        }}
      >
        <label>
          Find items by id or title
          <input name="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} placeholder="mug" />
        </label>
        <button type="submit">Search</button>
      </form>
      {query !== null ? <SearchResults search={query} /> : null}
      {itemId ? <ItemDetails key={itemId} itemId={itemId} analyst={analyst} /> : null}
    </>
  );
}

function SearchResults({ search }: { search: string }) {
  const res = useApi(() => request(ConsoleItemSearchDocument, { search: search || null, first: 20 }), [search]);
  if (res.error) return <ErrorNote error={res.error} />;
  if (!res.data) return <Loading what="items" />;
  return (
    <Card title={`Items${search ? ` matching “${search}”` : ''} (${fmtInt(res.data.items.totalCount)})`} wide>
      <table data-testid="item-results">
        <thead>
          <tr>
            <th scope="col">item</th>
            <th scope="col">category</th>
            <th scope="col" class="num">
              price
            </th>
            <th scope="col" class="num">
              shoppers
            </th>
          </tr>
        </thead>
        <tbody>
          {res.data.items.edges.map(({ node: it }) => (
            <tr key={it.id}>
              <td>
                <a href={itemHref(it.id)}>{it.title}</a> <span class="muted">{it.id}</span>
              </td>
              <td>{it.category ?? ''}</td>
              <td class="num">{it.price === null || it.price === undefined ? '' : fmtMoney(it.price)}</td>
              <td class="num">{fmtInt(it.userCount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function ItemDetails({ itemId, analyst }: { itemId: string; analyst: boolean }) {
  const res = useApi(() => request(ConsoleItemDocument, { id: itemId, analyst }), [itemId]);
  if (res.error) return <ErrorNote error={res.error} />;
  if (!res.data) return <Loading what="the item" />;
  const it = res.data.item;
  if (!it) return <p role="alert">No item {itemId}.</p>;
  return (
    <div class="grid">
      <Card title="Catalog">
        <dl data-testid="catalog">
          <dt>Title</dt>
          <dd>{it.title}</dd>
          <dt>Category</dt>
          <dd>{it.category ? `${it.category} (${fmtInt(it.categoryDetails?.itemCount ?? 0)} items)` : 'none'}</dd>
          <dt>Price</dt>
          <dd>{it.price === null || it.price === undefined ? 'unknown' : fmtMoney(it.price)}</dd>
          <dt>Shoppers</dt>
          <dd>{fmtInt(it.userCount)}</dd>
          <dt>In the catalog</dt>
          <dd>{it.inCatalog ? 'yes' : 'no: known only from events'}</dd>
          {it.attributes.map((a) => (
            <>
              <dt key={`k-${a.key}`}>{a.key}</dt>
              <dd key={`v-${a.key}`}>{a.value}</dd>
            </>
          ))}
        </dl>
      </Card>
      <Card title="Similar items">
        {it.similar.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <ol data-testid="similar">
            {it.similar.map((r) => (
              <li key={r.item.id}>
                <a href={itemHref(r.item.id)}>{r.item.title}</a> <span class="muted">{fmtNum(r.score, 3)}</span>
                <span class="reason">{r.reason}</span>
              </li>
            ))}
          </ol>
        )}
        {it.anomalies && it.anomalies.length > 0 ? (
          <>
            <h3>Anomalies</h3>
            <ul>
              {it.anomalies.map((a) => (
                <li key={a.id}>
                  <SeverityBadge severity={a.severity} /> {a.kind} {entityLink(a)}: {a.message}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </Card>
      <Card title="Neighbourhood in the user-item graph" wide>
        <Neighbourhood itemId={it.id} analyst={analyst} />
      </Card>
    </div>
  );
}

type NodeKind = 'item' | 'user' | 'category';
interface GraphNode {
  id: string;
  kind: NodeKind;
  key: string;
  label: string;
  expanded: boolean;
}

const nodeId = (kind: NodeKind, key: string) => `${kind}:${key}`;
const CYTOSCAPE_STYLESHEET_ID = '__________cytoscape_stylesheet';

function Neighbourhood({ itemId, analyst }: { itemId: string; analyst: boolean }) {
  const container = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const [nodes, setNodes] = useState<GraphNode[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const add = (els: ElementDefinition[]) => {
    const c = cy.current;
    if (!c) return;
    for (const el of els) if (c.getElementById(String(el.data.id)).empty()) c.add(el);
    c.layout({ name: 'cose', animate: false, randomize: true, nodeRepulsion: () => 60_000, idealEdgeLength: () => 110, padding: 20 }).run();
    // Where a node still to expand is drawn (for tests that click the drawing, and for debugging).
    const next = c.nodes().filter((n) => !n.data('expanded'))[0];
    if (next && container.current) {
      const p = next.renderedPosition();
      container.current.dataset.unexpanded = `${Math.round(p.x)},${Math.round(p.y)}`;
    }
    setNodes(
      c.nodes().map((n) => ({
        id: n.id(),
        kind: n.data('kind') as NodeKind,
        key: n.data('key') as string,
        label: n.data('label') as string,
        expanded: Boolean(n.data('expanded')),
      })),
    );
  };
  const node = (kind: NodeKind, key: string, label: string): ElementDefinition => ({ data: { id: nodeId(kind, key), kind, key, label } });
  const edge = (a: string, b: string, label: string): ElementDefinition => ({ data: { id: `${a}->${b}`, source: a, target: b, label } });

  const expand = async (kind: NodeKind, key: string) => {
    const c = cy.current;
    if (!c) return;
    c.getElementById(nodeId(kind, key)).data('expanded', true);
    setBusy(true);
    try {
      const els: ElementDefinition[] = [];
      if (kind === 'item') {
        const d = await request(ConsoleItemNeighbourhoodDocument, { id: key, analyst });
        const it = d.item;
        if (it) {
          const me = nodeId('item', it.id);
          c.getElementById(me).data('label', it.title);
          if (it.category) els.push(node('category', it.category, it.category), edge(me, nodeId('category', it.category), 'in'));
          for (const s of it.similar) els.push(node('item', s.item.id, s.item.title), edge(me, nodeId('item', s.item.id), `similar ${fmtNum(s.score, 2)}`));
          for (const r of it.recentInteractions ?? []) els.push(node('user', r.userId, r.userId), edge(nodeId('user', r.userId), me, r.lastType));
        }
      } else if (kind === 'user') {
        const d = await request(ConsoleUserNeighbourhoodDocument, { id: key });
        for (const r of d.user?.recentInteractions ?? [])
          els.push(node('item', r.item.id, r.item.title), edge(nodeId('user', key), nodeId('item', r.item.id), r.lastType));
      } else {
        const d = await request(ConsoleCategoryItemsDocument, { category: key, first: 8 });
        for (const { node: it } of d.items.edges) els.push(node('item', it.id, it.title), edge(nodeId('item', it.id), nodeId('category', key), 'in'));
      }
      add(els);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(String(e), undefined));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    let alive = true;
    // cytoscape adds a <style> element (one rule: its container is position: relative) unless an element
    // with this id exists; the CSP forbids inline styles, and console.css carries that rule instead.
    if (!document.getElementById(CYTOSCAPE_STYLESHEET_ID)) {
      const marker = document.createElement('meta');
      marker.id = CYTOSCAPE_STYLESHEET_ID;
      document.head.appendChild(marker);
    }
    void import('cytoscape').then(({ default: cytoscape }) => {
      if (!alive || !container.current) return;
      cy.current = cytoscape({
        container: container.current,
        minZoom: 0.3,
        maxZoom: 3,
        style: [
          {
            selector: 'node',
            style: { label: 'data(label)', 'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 3, color: '#0f172a', width: 18, height: 18 },
          },
          { selector: 'node[kind = "item"]', style: { 'background-color': '#2563eb', shape: 'ellipse' } },
          { selector: 'node[kind = "user"]', style: { 'background-color': '#059669', shape: 'round-rectangle' } },
          { selector: 'node[kind = "category"]', style: { 'background-color': '#d97706', shape: 'diamond', width: 24, height: 24 } },
          { selector: 'node[?expanded]', style: { 'border-width': 3, 'border-color': '#0f172a' } },
          { selector: 'edge', style: { width: 1.5, 'line-color': '#94a3b8', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 8, color: '#475569' } },
        ],
      });
      cy.current.on('tap', 'node', (e) => void expand(e.target.data('kind') as NodeKind, e.target.data('key') as string));
      add([{ data: { id: nodeId('item', itemId), kind: 'item', key: itemId, label: itemId } }]);
      void expand('item', itemId);
    });
    return () => {
      alive = false;
      cy.current?.destroy();
      cy.current = null;
    };
  }, [itemId]);

  return (
    <>
      <div
        ref={container}
        class="graph"
        data-testid="graph"
        role="img"
        aria-label={`Graph of item ${itemId} with its category, similar items${analyst ? ' and the users who engaged with it' : ''}; the list below expands nodes from the keyboard`}
      />
      <p class="muted" aria-live="polite">
        {busy ? 'Expanding…' : `${nodes.length} nodes. Blue: items, green: users, orange: categories. Click a node (or its button) to expand it.`}
      </p>
      <ErrorNote error={error} />
      <ul class="row" aria-label="Graph nodes" data-testid="graph-nodes">
        {nodes.map((n) => (
          <li key={n.id} class="inline">
            <button type="button" class="secondary" disabled={n.expanded} onClick={() => void expand(n.kind, n.key)}>
              {n.expanded ? '' : 'Expand '}
              {n.kind} {n.label}
            </button>{' '}
            {n.kind === 'user' ? <a href={userHref(n.key)}>view</a> : n.kind === 'item' ? <a href={itemHref(n.key)}>view</a> : null}
          </li>
        ))}
      </ul>
    </>
  );
}
