import type { Flywheel } from '../app/flywheel';
import type { Loaders } from './loaders';

/** What every resolver sees: the application's services and this request's loaders. */
export interface GatewayContext {
  app: Flywheel;
  loaders: Loaders;
}
