import type { Flywheel } from '../src/app/flywheel';
import type { Identity } from '../src/auth/identity';
import type { Loaders } from './loaders';

/** What every resolver sees: the application's services, the caller, and this request's loaders. */
export interface GatewayContext {
  app: Flywheel;
  identity: Identity;
  loaders: Loaders;
}
