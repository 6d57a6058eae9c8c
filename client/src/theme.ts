import type { Theme } from './prefs.js';

/** The theme in effect: the chosen one, else the system's. */
export function effectiveTheme(chosen: Theme | undefined): Theme {
  if (chosen) return chosen;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Applies a chosen theme (or the system's when undefined) and labels the toggle for the other one. */
export function applyTheme(chosen: Theme | undefined, toggle: HTMLButtonElement): void {
  if (chosen) document.documentElement.dataset.theme = chosen;
  else delete document.documentElement.dataset.theme;
  const other: Theme = effectiveTheme(chosen) === 'dark' ? 'light' : 'dark';
  toggle.setAttribute('aria-label', `Switch to ${other} theme`);
  toggle.title = `Switch to ${other} theme`;
  toggle.dataset.next = other;
}
