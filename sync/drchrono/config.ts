import type { Logger } from '../observability/logger.js';
import type { Sql } from 'postgres';
import { createAccessLogWriter } from './access-log.js';
import { createCallBudget, type CallBudget, type CallBudgetOptions } from './budget.js';
import { createDrChronoClient, type DrChronoClientOptions } from './client.js';
import { createTokenManager, type TokenManager } from './token-manager.js';
import { parseTokenStore, type TokenStore, type TokenStoreDependencies } from './token-store.js';
import type { DrChronoClient } from './types.js';

export interface DrChronoClientConfig {
  /** `DRCHRONO_BASE_URL`, e.g. `https://app.drchrono.com` or the sandbox's URL. */
  readonly baseUrl: string;
  /** Token endpoint. @default `${baseUrl}/o/token/` */
  readonly tokenUrl?: string;
  /** `DRCHRONO_CLIENT_ID` */
  readonly clientId: string;
  /** `DRCHRONO_CLIENT_SECRET` */
  readonly clientSecret: string;
  /** `DRCHRONO_TOKEN_STORE` (`file:<path>` | `secret-manager:projects/<p>/secrets/<s>`) or a ready store. */
  readonly tokenStore: string | TokenStore;
  /** For `secret-manager:` stores: fetch, service-account token source, API base. @default metadata server */
  readonly secretManager?: TokenStoreDependencies;
  readonly sql: Sql;
  readonly logger?: Logger;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** See {@link CallBudgetOptions}. */
  readonly budget?: Pick<CallBudgetOptions, 'hourlyLimit' | 'webhookReserve' | 'incrementalReserve' | 'whenExhausted'>;
  /** See {@link DrChronoClientOptions}. */
  readonly client?: Pick<
    DrChronoClientOptions,
    'retries' | 'retryMinDelayMs' | 'retryMaxDelayMs' | 'requestTimeoutMs' | 'on429'
  >;
  /** See `TokenManagerOptions.refreshMarginMs`. @default 600000 */
  readonly refreshMarginMs?: number;
}

export interface ConfiguredDrChronoClient {
  readonly client: DrChronoClient;
  readonly tokens: TokenManager;
  readonly budget: CallBudget;
  readonly store: TokenStore;
}

/** Wires store, token manager, shared budget and client from configuration (what `cli/` reads from the env). */
export function createDrChronoClientFromConfig(config: DrChronoClientConfig): ConfiguredDrChronoClient {
  const fetchFn = config.fetch ?? globalThis.fetch;
  const clock = config.clock ?? Date.now;
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const store =
    typeof config.tokenStore === 'string'
      ? parseTokenStore(config.tokenStore, { fetch: fetchFn, ...config.secretManager })
      : config.tokenStore;
  const tokens = createTokenManager({
    store,
    sql: config.sql,
    fetch: fetchFn,
    tokenUrl: config.tokenUrl ?? `${baseUrl}/o/token/`,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    clock,
    accessLog: createAccessLogWriter(config.sql),
    ...(config.refreshMarginMs === undefined ? {} : { refreshMarginMs: config.refreshMarginMs }),
    ...(config.logger ? { logger: config.logger } : {}),
  });
  const budget = createCallBudget({
    sql: config.sql,
    clock,
    ...config.budget,
    ...(config.sleep ? { sleep: config.sleep } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
  });
  const client = createDrChronoClient({
    baseUrl,
    fetch: fetchFn,
    tokens,
    budget,
    sql: config.sql,
    clock,
    ...config.client,
    ...(config.sleep ? { sleep: config.sleep } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
  });
  return { client, tokens, budget, store };
}
