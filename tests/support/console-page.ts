import { generate } from 'otplib';
import type { Page } from 'playwright-core';

/**
 * Drives the moderator console (client/console.html, served at /console/) through the element
 * ids it guarantees (top comment of client/src/console/main.ts).
 */

export type ConsoleView = 'login' | 'queue' | 'item' | 'audit';

export interface ConsoleCredentials {
  readonly name: string;
  readonly password: string;
  /** The account's TOTP secret; a code counts once per account and 30 s step, so log in once. */
  readonly totpSecret: string;
}

export interface AuditRow {
  readonly action: string;
  readonly actor: string;
  readonly target: string;
}

export async function waitForView(page: Page, view: ConsoleView): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.view === v, view);
}

/** Opens /console/ and signs in through the form; resolves when the queue is shown. */
export async function logInToConsole(page: Page, baseUrl: string, account: ConsoleCredentials): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await waitForView(page, 'login');
  await page.fill('#login-name', account.name);
  await page.fill('#login-password', account.password);
  await page.fill('#login-code', await generate({ secret: account.totpSecret }));
  await page.click('#login-submit');
  await waitForView(page, 'queue');
}

export function queueRow(id: string): string {
  return `#queue .queue-item[data-id="${id}"]`;
}

/** Clicks Refresh and waits until the list has been fetched again. */
export async function refreshQueue(page: Page): Promise<void> {
  await page.click('#queue-refresh');
  await page.waitForSelector('#queue-refresh:not([disabled])');
}

/** Opens a queue row and waits for the item view with its (still concealed) image loaded. */
export async function openItem(page: Page, id: string): Promise<void> {
  await page.click(queueRow(id));
  await waitForView(page, 'item');
  await page.waitForSelector(`#item-title[data-id="${id}"]`);
  await page.waitForSelector('#item-reveal:not([disabled])');
  await page.waitForFunction(() => {
    const image = document.querySelector<HTMLImageElement>('#item-image');
    return image !== null && !image.hidden && image.complete && image.naturalWidth > 0;
  });
}

/** Waits until the item view's message line contains `text`. */
export async function waitForItemMessage(page: Page, text: string): Promise<string> {
  const handle = await page.waitForFunction((t) => {
    const message = document.querySelector('#item-message')?.textContent ?? '';
    return message.includes(t) ? message : false;
  }, text);
  return (await handle.jsonValue()) as string;
}

/**
 * Whether the evidence image is concealed, and its computed CSS filter once the blur's transition
 * has finished (the filter animates for a moment after every toggle).
 */
export async function imageState(page: Page): Promise<{ concealed: boolean; filter: string }> {
  await page.waitForFunction(() => document.querySelector('#item-image')?.getAnimations().length === 0);
  return page.$eval('#item-image', (image) => ({ concealed: image.classList.contains('concealed'), filter: getComputedStyle(image).filter }));
}

/** Every row of the audit table as shown. */
export async function auditRows(page: Page): Promise<AuditRow[]> {
  return page.$$eval('#audit .audit-entry[data-action]', (rows) =>
    rows.map((row) => {
      const cells = row.querySelectorAll('td');
      return { action: (row as HTMLElement).dataset.action ?? '', actor: cells[1]?.textContent ?? '', target: cells[3]?.textContent ?? '' };
    }),
  );
}

/** Bans the open item's address hash through the Ban dialog; resolves when the queue is shown again. */
export async function banFromConsole(page: Page, days: string, reason: string): Promise<void> {
  await page.click('#item-ban');
  await page.waitForSelector('#ban-dialog[open]');
  await page.selectOption('#ban-days', days);
  await page.fill('#ban-reason', reason);
  await page.click('#ban-confirm');
  await waitForView(page, 'queue');
}
