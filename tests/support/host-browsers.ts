import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from './chromium.js';
import type { TestHost } from './netns.js';
import { openVeil } from './veil-page.js';

/**
 * One Chromium on each test host, each with the Veil page at `url` open. Every browser is added to
 * `into` as soon as it is launched, so the caller closes it even when a later launch fails.
 */
export async function openOnHosts(hosts: readonly TestHost[], url: string, into: LaunchedBrowser[]): Promise<Page[]> {
  const pages: Page[] = [];
  for (const host of hosts) {
    const browser = await launchBrowser({ netns: host.name, secureOrigins: [url] });
    into.push(browser);
    await openVeil(browser.page, url);
    pages.push(browser.page);
  }
  return pages;
}
