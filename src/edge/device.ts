/** Coarse device data kept with flagged evidence: browser family, OS family, preferred language. */
export interface DeviceSummary {
  browser: string;
  os: string;
  language: string;
}

const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:HeadlessChrome|Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];
const SYSTEMS: readonly [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];
const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$/;

/**
 * Families only (no versions, no model names): enough for a moderator to tell devices apart in
 * a case, too little to fingerprint anyone. Unknown or malformed headers give "other"/"unknown".
 */
export function summarizeDevice(userAgent: string | undefined, acceptLanguage: string | undefined): DeviceSummary {
  const ua = (userAgent ?? '').slice(0, 512);
  const first = (acceptLanguage ?? '').split(',')[0]?.split(';')[0]?.trim() ?? '';
  return {
    browser: BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'other',
    os: SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'other',
    language: LANGUAGE.test(first) ? first : 'unknown',
  };
}
