import type { z } from 'zod';
import { errorBodySchema } from '../../../src/protocol/http-errors.js';
import { ApiError, ContractError, NetworkError } from './api-error.js';
import {
  auditPageSchema,
  banResultSchema,
  claimSchema,
  escalateResultSchema,
  itemDetailSchema,
  meSchema,
  queueSchema,
  type AuditPage,
  type BanResult,
  type Claim,
  type EscalateResult,
  type ItemDetail,
  type Me,
  type Queue,
} from '../../../src/protocol/console-api.js';

export interface EscalateOutcome {
  /** 202: the first request, waiting for a second moderator; 200: confirmed, with the package. */
  readonly status: 202 | 200;
  readonly result: EscalateResult;
}

type Method = 'GET' | 'POST' | 'DELETE';

/**
 * The console's JSON API (docs/console-api.md). The session cookie travels by itself; the CSRF
 * token lives only in this object's memory and goes with every state-changing request.
 */
export class ConsoleApi {
  readonly #base: string;
  #csrfToken: string | null = null;

  constructor(base = '/console/api') {
    this.#base = base;
  }

  get signedIn(): boolean {
    return this.#csrfToken !== null;
  }

  async me(): Promise<Me> {
    return this.#remember(await this.#json('GET', '/me', undefined, meSchema));
  }

  async login(name: string, password: string, code: string): Promise<Me> {
    return this.#remember(await this.#json('POST', '/login', { name, password, code }, meSchema));
  }

  async logout(): Promise<void> {
    try {
      await this.#send('POST', '/logout');
    } finally {
      this.#csrfToken = null;
    }
  }

  /** Forgets the token (the session ended on the server's side). */
  forget(): void {
    this.#csrfToken = null;
  }

  queue(limit = 50, offset = 0): Promise<Queue> {
    return this.#json('GET', `/queue?limit=${limit}&offset=${offset}`, undefined, queueSchema);
  }

  claim(id: string): Promise<Claim> {
    return this.#json('POST', `${itemPath(id)}/claim`, undefined, claimSchema);
  }

  async release(id: string, options: { keepalive?: boolean } = {}): Promise<void> {
    await this.#send('POST', `${itemPath(id)}/release`, undefined, options.keepalive);
  }

  item(id: string): Promise<ItemDetail> {
    return this.#json('GET', itemPath(id), undefined, itemDetailSchema);
  }

  async image(id: string, signal?: AbortSignal): Promise<Blob> {
    const response = await this.#send('GET', `${itemPath(id)}/image`, undefined, false, signal);
    return response.blob();
  }

  /** Tells the server the moderator unblurred the image (audited). */
  async reveal(id: string): Promise<void> {
    await this.#send('POST', `${itemPath(id)}/reveal`);
  }

  async dismiss(id: string): Promise<void> {
    await this.#send('POST', `${itemPath(id)}/dismiss`);
  }

  ban(id: string, days: number | null, reason: string): Promise<BanResult> {
    return this.#json('POST', `${itemPath(id)}/ban`, { days, reason }, banResultSchema);
  }

  async escalate(id: string, note: string): Promise<EscalateOutcome> {
    const path = `${itemPath(id)}/escalate`;
    const response = await this.#send('POST', path, { note });
    const result = parse(path, escalateResultSchema, await readJson(path, response));
    if (response.status === 202) return { status: 202, result };
    if (result.export === undefined) throw new ContractError(path, 'confirmed escalation without export');
    return { status: 200, result };
  }

  /** Lifts the ban in force on an address hash (admins; audited). 404 `not_found`: none is in force. */
  async liftBan(ipHash: string): Promise<void> {
    await this.#send('DELETE', `/bans/${encodeURIComponent(ipHash)}`);
  }

  audit(limit = 100, before?: string): Promise<AuditPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before !== undefined) query.set('before', before);
    return this.#json('GET', `/audit?${query}`, undefined, auditPageSchema);
  }

  #remember(me: Me): Me {
    this.#csrfToken = me.csrfToken;
    return me;
  }

  async #json<T extends z.ZodTypeAny>(method: Method, path: string, body: unknown, schema: T): Promise<z.output<T>> {
    const response = await this.#send(method, path, body);
    return parse(path, schema, await readJson(path, response));
  }

  /** One request; resolves to a 2xx response, rejects with ApiError / NetworkError otherwise. */
  async #send(method: Method, path: string, body?: unknown, keepalive = false, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && path !== '/login' && this.#csrfToken !== null) headers['X-CSRF-Token'] = this.#csrfToken;
    let response: Response;
    try {
      response = await fetch(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        keepalive,
        signal,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new NetworkError(`${method} ${path} | no answer`, { cause: error });
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }
}

function itemPath(id: string): string {
  return `/items/${encodeURIComponent(id)}`;
}

async function readJson(path: string, response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    throw new ContractError(path, 'not JSON');
  }
}

function parse<T extends z.ZodTypeAny>(path: string, schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.output<T>;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  throw new ContractError(path.split('?')[0] ?? path, `${where}: ${issue?.message ?? 'invalid'}`);
}

async function toApiError(response: Response): Promise<ApiError> {
  const retryHeader = Number(response.headers.get('Retry-After'));
  const headerSeconds = Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): the status alone has to do.
  }
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return new ApiError(response.status, `http_${response.status}`, '', headerSeconds);
  const { code, message, retryAfterSeconds } = parsed.data.error;
  return new ApiError(response.status, code, message, retryAfterSeconds ?? headerSeconds);
}
