import type { Flywheel } from '../src/app/flywheel';
import type { Identity } from '../src/auth/identity';
import { createLoaders, type Loaders } from './loaders';

/** What every resolver sees: the application's services, the caller, and this request's loaders. */
export interface GatewayContext {
  app: Flywheel;
  identity: Identity;
  loaders: Loaders;
}

/**
 * The context of one operation, for an admitted caller. A subscription's context lives as long as the
 * subscription, so its loaders must not cache (`cache: false`) or they would serve stale nodes.
 */
export function createGatewayContext(app: Flywheel, identity: Identity, { cache = true } = {}): GatewayContext {
  return { app, identity, loaders: createLoaders(app.store, { cache }) };
}
