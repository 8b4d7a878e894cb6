import type { FlywheelEvent, InteractionEvent, InteractionType } from '../events/event';
import { EVENT_SCHEMA_VERSION } from '../events/event';
import { mulberry32 as prng } from '../util/prng';

/**
 * A deterministic demo shop, so that `npm start` on a fresh clone has a catalog, a history and
 * recommendations to show. Shoppers have tastes (two favourite categories); items have popularity
 * that falls off with rank; sessions follow view -> click -> cart -> purchase funnels. The same seed
 * always produces the same shop, so docs and tests can name demo users and items.
 */
const CATEGORIES: Record<string, string[]> = {
  kitchen: ['Enamel Mug', 'Cast Iron Pan', 'Bamboo Cutting Board', 'Ceramic Teapot', 'Spice Rack', 'Linen Tea Towel', 'Copper Whisk', 'Glass Storage Jar'],
  garden: ['Watering Can', 'Herb Planter', 'Pruning Shears', 'Bird Feeder', 'Garden Kneeler', 'Seed Tin', 'Solar Lantern', 'Terracotta Pot'],
  stationery: ['Dotted Notebook', 'Fountain Pen', 'Washi Tape Set', 'Desk Organiser', 'Brass Ruler', 'Letterpress Cards', 'Ink Bottle', 'Pencil Case'],
  lighting: ['Paper Lantern', 'Tealight Holder', 'Fairy Lights', 'Beeswax Candle', 'Reading Lamp', 'Candle Snuffer', 'Hurricane Lamp', 'Glass Votive'],
  toys: ['Wooden Train', 'Spinning Top', 'Puzzle Cube', 'Rag Doll', 'Kite', 'Marble Run', 'Building Blocks', 'Skipping Rope'],
  bags: ['Canvas Tote', 'Jute Shopper', 'Lunch Bag', 'Wash Bag', 'Picnic Basket', 'Drawstring Pouch', 'Market Net Bag', 'Weekend Holdall'],
};
const COLOURS = ['Red', 'Blue', 'Green', 'Cream', 'Charcoal'];

export interface DemoShop {
  events: FlywheelEvent[];
  userIds: string[];
  itemIds: string[];
}

export { mulberry32 as prng } from '../util/prng';

export function generateDemoShop({ users = 300, sessionsPerUser = 6, seed = 42, now = Date.UTC(2026, 0, 1) } = {}): DemoShop {
  const rand = prng(seed);
  const pick = <T>(arr: readonly T[]): T => arr[Math.floor(rand() * arr.length)]!;
  const events: FlywheelEvent[] = [];
  const itemsByCategory = new Map<string, string[]>();
  const itemIds: string[] = [];
  let n = 0;
  for (const [category, names] of Object.entries(CATEGORIES)) {
    const ids: string[] = [];
    for (const name of names) {
      for (const colour of COLOURS) {
        const itemId = `item-${String(++n).padStart(3, '0')}`;
        ids.push(itemId);
        itemIds.push(itemId);
        const price = Math.round((3 + rand() * 40) * 100) / 100;
        events.push({
          kind: 'item',
          v: EVENT_SCHEMA_VERSION,
          id: `demo:catalog:${itemId}`,
          itemId,
          title: `${colour} ${name}`,
          category,
          price,
          attributes: { colour: colour.toLowerCase() },
          timestamp: now - 200 * 86_400_000,
        });
      }
    }
    itemsByCategory.set(category, ids);
  }
  const categories = [...itemsByCategory.keys()];
  // Zipf-like popularity within a category: early items sell more.
  const pickItem = (category: string): string => {
    const ids = itemsByCategory.get(category)!;
    return ids[Math.min(ids.length - 1, Math.floor(ids.length * Math.pow(rand(), 2)))]!;
  };
  const userIds: string[] = [];
  let seq = 0;
  const interaction = (userId: string, itemId: string, type: InteractionType, timestamp: number, extra: Partial<InteractionEvent> = {}): InteractionEvent => ({
    kind: 'interaction',
    v: EVENT_SCHEMA_VERSION,
    id: `demo:${++seq}`,
    type,
    userId,
    itemId,
    timestamp,
    ...extra,
  });
  for (let u = 1; u <= users; u++) {
    const userId = `demo-user-${u}`;
    userIds.push(userId);
    const tastes = [pick(categories), pick(categories)];
    let t = now - Math.floor(rand() * 120) * 86_400_000;
    for (let s = 0; s < sessionsPerUser; s++) {
      t += Math.floor(rand() * 10 * 86_400_000);
      if (t > now) t = now - Math.floor(rand() * 86_400_000);
      const views = 2 + Math.floor(rand() * 5);
      for (let v = 0; v < views; v++) {
        const category = rand() < 0.85 ? tastes[v % 2]! : pick(categories);
        const itemId = pickItem(category);
        const at = t + v * 45_000;
        events.push(interaction(userId, itemId, 'VIEW', at));
        if (rand() < 0.5) events.push(interaction(userId, itemId, 'CLICK', at + 5_000));
        if (rand() < 0.25) {
          const quantity = 1 + Math.floor(rand() * 3);
          events.push(interaction(userId, itemId, 'ADD_TO_CART', at + 20_000, { quantity }));
          if (rand() < 0.7) events.push(interaction(userId, itemId, 'PURCHASE', at + 40_000, { quantity }));
          else events.push(interaction(userId, itemId, 'REMOVE_FROM_CART', at + 30_000, { quantity }));
        }
      }
    }
  }
  return { events, userIds, itemIds };
}
