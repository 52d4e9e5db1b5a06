import pRetry from 'p-retry';
import type { Logger } from '../observability/logger.js';
import type { Sql } from 'postgres';
import { z } from 'zod';
import type { AccessLogEntry, AccessLogWriter } from './access-log.js';
import type { TokenPair, TokenStore } from './token-store.js';
import { DrChronoAuthError, DrChronoHttpError } from './errors.js';

// DrChrono's refresh tokens are single-use (DESIGN §7.1): if two instances refresh with the same one, the second
// gets invalid_grant and — worse — a refresh revokes the access token issued with the old one. So refreshing is
// serialised across instances by a Postgres advisory lock, the store is re-read under the lock (another instance may
// have refreshed already), and a new pair is persisted before it is used.

/** Key of the advisory lock held while refreshing (transaction-scoped). */
export const REFRESH_LOCK_KEY = 'feel-august:drchrono:token-refresh';

export interface TokenManagerOptions {
  readonly store: TokenStore;
  /** Postgres client; each refresh holds `pg_advisory_xact_lock` in a transaction on one pooled connection. */
  readonly sql: Sql;
  readonly fetch: typeof globalThis.fetch;
  /** DrChrono's token endpoint, e.g. `https://drchrono.com/o/token/`. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /**
   * Refresh when the access token expires within this many milliseconds (DrChrono's tokens last 48 h).
   * @default 600000 (10 min)
   */
  readonly refreshMarginMs?: number;
  /**
   * Longest wait for another instance's refresh to release the lock before failing (Postgres `lock_timeout`).
   * @default 30000
   */
  readonly lockTimeoutMs?: number;
  /** Writes the token call's access_log row. @default none */
  readonly accessLog?: AccessLogWriter;
  readonly logger?: Logger;
}

export interface TokenManager {
  /** A usable access token: the cached pair, or the store's, refreshed first when it expires within the margin. */
  accessToken(): Promise<string>;
  /**
   * DrChrono answered 401 to `rejectedAccessToken`: returns a newer token — another instance's if it already
   * refreshed, else a freshly refreshed one.
   * @throws DrChronoAuthError when the refresh token is refused (`invalid_grant`) or no pair is stored.
   */
  refreshAfterUnauthorized(rejectedAccessToken: string): Promise<string>;
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().positive(),
});

/** @throws Error when the configuration is incomplete. */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  for (const key of ['tokenUrl', 'clientId', 'clientSecret'] as const) {
    if (!options[key]) throw new Error(`createTokenManager: ${key} is required`);
  }
  const { store, sql, logger } = options;
  const clock = options.clock ?? Date.now;
  const marginMs = options.refreshMarginMs ?? 600_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  let cached: TokenPair | null = null;
  /** One refresh at a time inside this instance; concurrent callers share it. */
  let inFlight: Promise<TokenPair> | null = null;

  const expiringSoon = (pair: TokenPair) => pair.expiresAt.getTime() - marginMs <= clock();

  async function loadPair(): Promise<TokenPair> {
    const pair = await store.load();
    if (!pair)
      throw new DrChronoAuthError(
        'No DrChrono token pair is stored; authorise the DrChrono app and seed the token store',
      );
    return pair;
  }

  /** `POST /o/token/` with grant_type=refresh_token; pushes its access_log entry to `logEntries`. */
  async function exchange(refreshToken: string, logEntries: AccessLogEntry[]): Promise<TokenPair> {
    const started = performance.now();
    const issuedAt = new Date(clock());
    let status: number | null = null;
    let errorClass: string | null = null;
    try {
      const response = await options.fetch(options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: options.clientId,
          client_secret: options.clientSecret,
        }).toString(),
      });
      status = response.status;
      const body: unknown = await response.json().catch(() => null);
      if (response.status === 400 && (body as { error?: unknown } | null)?.error === 'invalid_grant') {
        errorClass = 'DrChronoAuthError';
        throw new DrChronoAuthError(
          'DrChrono refused the refresh token (invalid_grant); an operator must re-authorise the DrChrono app',
        );
      }
      if (response.status === 401) {
        errorClass = 'DrChronoAuthError';
        throw new DrChronoAuthError(
          'DrChrono refused the OAuth client credentials (check DRCHRONO_CLIENT_ID / DRCHRONO_CLIENT_SECRET)',
        );
      }
      if (!response.ok) {
        errorClass = 'DrChronoHttpError';
        throw new DrChronoHttpError(response.status, '/o/token/');
      }
      const parsed = tokenResponseSchema.safeParse(body);
      if (!parsed.success) {
        errorClass = 'DrChronoHttpError';
        throw new DrChronoHttpError(response.status, '/o/token/');
      }
      return {
        accessToken: parsed.data.access_token,
        refreshToken: parsed.data.refresh_token,
        expiresAt: new Date(issuedAt.getTime() + parsed.data.expires_in * 1000),
      };
    } catch (error) {
      errorClass ??= error instanceof Error ? error.name : 'Error';
      throw error;
    } finally {
      logEntries.push({
        method: 'POST',
        pathTemplate: '/o/token/',
        status,
        durationMs: performance.now() - started,
        recordCount: null,
        errorClass,
      });
    }
  }

  /**
   * Under the cross-instance lock: re-read the store; if it holds a pair other than `stale` that is not about to
   * expire, another instance refreshed — use it. Otherwise refresh with the stored refresh token, save, then use.
   */
  async function refreshLocked(stale: string | null): Promise<TokenPair> {
    // The token call's access_log row is written after the transaction: it must survive a rollback, and writing it
    // inside would need a second pooled connection while this one holds the lock.
    const logEntries: AccessLogEntry[] = [];
    try {
      return await lockedRefresh(stale, logEntries);
    } catch (error) {
      if (error instanceof DrChronoAuthError)
        logger?.error(
          { event: 'drchrono_token_refused', err: error },
          'DrChrono refused the token refresh; re-authorise the DrChrono app',
        );
      throw error;
    } finally {
      for (const entry of logEntries) await options.accessLog?.(entry);
    }
  }

  async function lockedRefresh(stale: string | null, logEntries: AccessLogEntry[]): Promise<TokenPair> {
    return sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      await tx`SELECT pg_advisory_xact_lock(hashtextextended(${REFRESH_LOCK_KEY}, 0))`;
      const current = await loadPair();
      if (current.accessToken !== stale && !expiringSoon(current)) {
        logger?.info({ event: 'drchrono_token_adopted' }, 'DrChrono token already refreshed by another instance');
        return current;
      }
      const next = await exchange(current.refreshToken, logEntries);
      // Persist before use: the old refresh token is spent, so a crash after this point must still find the new pair.
      // A failed save is retried briefly; giving up here loses the pair, so it is logged loudly.
      await pRetry(() => store.save(next), { retries: 3, minTimeout: 200, randomize: true }).catch((error: unknown) => {
        logger?.fatal(
          { event: 'drchrono_token_save_failed', err: error },
          'DrChrono token refreshed but not persisted; re-authorisation may be needed',
        );
        throw error;
      });
      logger?.info(
        { event: 'drchrono_token_refreshed', expiresAt: next.expiresAt.toISOString() },
        'DrChrono token refreshed',
      );
      return next;
    });
  }

  function refresh(stale: string | null): Promise<TokenPair> {
    inFlight ??= refreshLocked(stale)
      .then((pair) => {
        cached = pair;
        return pair;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  return {
    async accessToken() {
      if (inFlight) return (await inFlight).accessToken;
      cached ??= await loadPair();
      if (expiringSoon(cached)) return (await refresh(cached.accessToken)).accessToken;
      return cached.accessToken;
    },
    async refreshAfterUnauthorized(rejectedAccessToken) {
      if (inFlight) return (await inFlight).accessToken;
      if (cached && cached.accessToken !== rejectedAccessToken && !expiringSoon(cached)) return cached.accessToken;
      return (await refresh(rejectedAccessToken)).accessToken;
    },
  };
}
