import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../events/validate';

/**
 * Configuration: environment variables, overridden by command-line flags, validated once at start.
 * A bad value stops the process with a message naming the variable and the rule, never a stack trace.
 */
const onOff = z
  .enum(['on', 'off', 'true', 'false', '1', '0'], { error: 'must be on or off' })
  .transform((v) => v === 'on' || v === 'true' || v === '1');

const intIn = (min: number, max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

export const configSchema = z.object({
  PORT: intIn(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  FLYWHEEL_DATA_DIR: z.string().min(1).default('./data'),
  FLYWHEEL_GRAPH: z.enum(['embedded', 'neo4j'], { error: 'must be embedded or neo4j' }).default('embedded'),
  FLYWHEEL_EVENTS: z.enum(['embedded', 'kafka'], { error: 'must be embedded or kafka' }).default('embedded'),
  FLYWHEEL_SIMULATOR: onOff.default(false),
  FLYWHEEL_SIMULATOR_RATE: intIn(1, 10_000).default(5),
  FLYWHEEL_SNAPSHOT_EVERY: intIn(1, 100_000_000).default(100_000),
  FLYWHEEL_HALF_LIFE_DAYS: z.coerce.number().positive('must be positive').default(30),
  FLYWHEEL_MAX_BODY_BYTES: intIn(1024, 100 * 1024 * 1024).default(1024 * 1024),
  FLYWHEEL_SHUTDOWN_GRACE_MS: intIn(0, 600_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
});

export type FlywheelConfig = z.infer<typeof configSchema> & { dataDir: string };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Builds the configuration from the environment plus explicit overrides (flags). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, string | number | boolean | undefined> = {}): FlywheelConfig {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(configSchema.shape)) if (env[key] !== undefined && env[key] !== '') input[key] = env[key];
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) input[key] = typeof value === 'boolean' ? String(value) : value;
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error.issues)}`);
  return { ...parsed.data, dataDir: path.resolve(parsed.data.FLYWHEEL_DATA_DIR) };
}
