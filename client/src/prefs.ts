import { z } from 'zod';
import { CHAT_MODES, MAX_COUNTRIES, MAX_INTERESTS, MAX_INTEREST_LENGTH } from '../../src/protocol/messages.js';

/**
 * The one cookie Veil sets: `veil_prefs`, JSON with the visitor's own settings so the next visit
 * starts where this one left off. Nothing else is kept in the browser (no localStorage, no chat).
 * With `remember: false` the cookie holds only that refusal. If the browser refuses cookies,
 * reads give the defaults and writes do nothing.
 */
export const PREFS_COOKIE = 'veil_prefs';
const MAX_AGE_SECONDS = 180 * 24 * 60 * 60;

export const THEMES = ['light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

const prefsSchema = z.object({
  remember: z.boolean().default(true),
  theme: z.enum(THEMES).optional(),
  interests: z.array(z.string().min(1).max(MAX_INTEREST_LENGTH)).max(MAX_INTERESTS).default([]),
  mode: z.enum(CHAT_MODES).optional(),
  countries: z
    .array(z.string().regex(/^[A-Z]{2}$/))
    .max(MAX_COUNTRIES)
    .default([]),
  ageConfirmed: z.boolean().default(false),
});
export type Prefs = z.infer<typeof prefsSchema>;

export function defaultPrefs(): Prefs {
  return prefsSchema.parse({});
}

/** Parses the cookie value; anything unreadable gives the defaults. Pure, for tests. */
export function parsePrefs(value: string | undefined): Prefs {
  if (!value) return defaultPrefs();
  try {
    const parsed = prefsSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : defaultPrefs();
  } catch {
    return defaultPrefs();
  }
}

/** What goes into the cookie: the settings, or only the refusal. Pure, for tests. */
export function serializePrefs(prefs: Prefs): string {
  return JSON.stringify(prefs.remember ? prefs : { remember: false });
}

function readCookie(name: string): string | undefined {
  try {
    for (const part of document.cookie.split(';')) {
      const [key, ...rest] = part.trim().split('=');
      if (key === name) return decodeURIComponent(rest.join('='));
    }
  } catch (error) {
    // Sandboxed or cookie-less documents throw on access: nothing is remembered then.
    console.warn('readCookie() | cookies unavailable', error);
  }
  return undefined;
}

function writeCookie(name: string, value: string, maxAgeSeconds: number): void {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  try {
    document.cookie = `${name}=${encodeURIComponent(value)}; Max-Age=${maxAgeSeconds}; Path=/; SameSite=Lax${secure}`;
  } catch (error) {
    console.warn('writeCookie() | cookies unavailable', error);
  }
}

export function loadPrefs(): Prefs {
  return parsePrefs(readCookie(PREFS_COOKIE));
}

export function savePrefs(prefs: Prefs): void {
  writeCookie(PREFS_COOKIE, serializePrefs(prefs), MAX_AGE_SECONDS);
}

/** Holds the current preferences and writes the cookie on every change. */
export class PrefsStore {
  #prefs: Prefs;

  constructor(initial: Prefs) {
    this.#prefs = initial;
  }

  get value(): Readonly<Prefs> {
    return this.#prefs;
  }

  update(change: Partial<Prefs>): void {
    this.#prefs = { ...this.#prefs, ...change };
    savePrefs(this.#prefs);
  }
}
