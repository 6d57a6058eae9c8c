import type { ErrorBody } from '../../src/protocol/http-errors.js';

/** One answer of the console API, read whole. */
export interface ConsoleReply {
  status: number;
  headers: Headers;
  /** The JSON body (undefined when empty; `{}` when not JSON, such as express's HTML page). */
  body: (Partial<ErrorBody> & Record<string, unknown>) | undefined;
  setCookie: string[];
}

export interface ConsoleRequestOptions {
  /** Sent as JSON (a string is sent as it is, for malformed bodies). */
  body?: unknown;
  /** The Cookie header value (`name=value`). */
  cookie?: string;
  /** The X-CSRF-Token header. */
  csrf?: string;
  headers?: Record<string, string>;
}

/** A logged-in session: the Cookie header value and the CSRF token for state changes. */
export interface ConsoleSession {
  cookie: string;
  csrf: string;
}

/**
 * The console API as the tests speak it, over real HTTP: `base` is the API's root (for example
 * `${app.url}/console/api`). One copy for every console test instead of one per file.
 */
export async function consoleRequest(base: string, method: string, path: string, options: ConsoleRequestOptions = {}): Promise<ConsoleReply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  const parsed = text === '' ? undefined : text.startsWith('{') ? (JSON.parse(text) as ConsoleReply['body']) : {};
  return { status: response.status, headers: response.headers, body: parsed, setCookie: response.headers.getSetCookie() };
}

/** Logs in with password and TOTP code; throws with the server's answer unless it is 200. */
export async function consoleLogin(
  base: string,
  credentials: { name: string; password: string; code: string },
  headers?: Record<string, string>,
): Promise<ConsoleSession & { reply: ConsoleReply }> {
  const reply = await consoleRequest(base, 'POST', '/login', { body: credentials, headers });
  if (reply.status !== 200) throw new Error(`login as ${credentials.name} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return { cookie: (reply.setCookie[0] ?? '').split(';')[0] ?? '', csrf: String(reply.body?.['csrfToken']), reply };
}
