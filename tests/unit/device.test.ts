import { describe, expect, it } from 'vitest';
import { summarizeDevice, type DeviceSummary } from '../../src/edge/device.js';

/** Real User-Agent strings as browsers send them (current stable releases, 2025-2026). */
const UA = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  firefoxUbuntu: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  safariIpad: 'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  chromeIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  chromeOs: 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  edgeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
  edgeAndroid: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.2903.87',
  samsung: 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
  operaWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
  firefoxIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/132.0 Mobile/15E148 Safari/605.1.15',
  curl: 'curl/8.5.0',
};

/** 5 KB of printable junk with no browser or system token in it (deterministic). */
const GARBAGE_UA = Array.from({ length: 5120 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 94))).join('');

describe('summarizeDevice: browser and OS families from the User-Agent', () => {
  it.each<[string, string | undefined, string, string]>([
    ['Chrome on Windows', UA.chromeWindows, 'Chrome', 'Windows'],
    ['Firefox on Linux', UA.firefoxLinux, 'Firefox', 'Linux'],
    ['Firefox on Ubuntu', UA.firefoxUbuntu, 'Firefox', 'Linux'],
    ['Safari on macOS', UA.safariMac, 'Safari', 'macOS'],
    ['Safari on iPhone (says "like Mac OS X")', UA.safariIphone, 'Safari', 'iOS'],
    ['Safari on iPad', UA.safariIpad, 'Safari', 'iOS'],
    ['Chrome on iPhone (CriOS)', UA.chromeIphone, 'Chrome', 'iOS'],
    ['Firefox on iPhone (FxiOS)', UA.firefoxIphone, 'Firefox', 'iOS'],
    ['Chrome on Android (says "Linux")', UA.chromeAndroid, 'Chrome', 'Android'],
    ['Chrome on ChromeOS (says "X11")', UA.chromeOs, 'Chrome', 'ChromeOS'],
    ['Edge on Windows (also says Chrome and Safari)', UA.edgeWindows, 'Edge', 'Windows'],
    ['Edge on Android (EdgA)', UA.edgeAndroid, 'Edge', 'Android'],
    ['Samsung Internet (also says Chrome)', UA.samsung, 'Samsung Internet', 'Android'],
    ['Opera (OPR, also says Chrome)', UA.operaWindows, 'Opera', 'Windows'],
    ['a non-browser client', UA.curl, 'other', 'other'],
    ['empty', '', 'other', 'other'],
    ['absent', undefined, 'other', 'other'],
    ['5 KB of garbage', GARBAGE_UA, 'other', 'other'],
  ])('%s', (_name, userAgent, browser, os) => {
    expect(summarizeDevice(userAgent, 'en')).toEqual({ browser, os, language: 'en' });
  });

  it('a browser token buried after 5 KB of padding is not looked for (bounded work on hostile input)', () => {
    expect(summarizeDevice(`${GARBAGE_UA} ${UA.chromeWindows}`, undefined)).toMatchObject({ browser: 'other', os: 'other' });
  });
});

describe('summarizeDevice: preferred language from Accept-Language', () => {
  it.each<[string, string | undefined, string]>([
    ['region and a q-weighted fallback', 'de-DE,de;q=0.9', 'de-DE'],
    ['a bare language', 'en', 'en'],
    ['weights and spaces', ' fr-CH ; q=1, fr;q=0.9, en;q=0.8', 'fr-CH'],
    ['three-letter language with a script subtag', 'zh-Hant', 'zh-Hant'],
    ['the wildcard', '*', 'unknown'],
    ['garbage', '%%%$$$###', 'unknown'],
    ['an over-long tag', 'en-ABCDEFGHIJ', 'unknown'],
    ['empty', '', 'unknown'],
    ['absent', undefined, 'unknown'],
    ['a script injection', '<script>alert(1)</script>', 'unknown'],
    ['a header-splitting attempt', 'en\r\nSet-Cookie: a=b', 'unknown'],
    ['a Redis/shell injection', 'en;$(rm -rf /)\nFLUSHALL', 'en'],
    ['a log-forging attempt in the first tag', 'en"} {"level":"fatal', 'unknown'],
  ])('%s', (_name, acceptLanguage, language) => {
    expect(summarizeDevice(UA.firefoxLinux, acceptLanguage).language).toBe(language);
  });
});

describe('summarizeDevice: families only', () => {
  const everyUa = [...Object.values(UA), GARBAGE_UA, '', undefined];
  const everyLanguage = ['de-DE,de;q=0.9', 'en', '*', '%%%', undefined, '<script>alert(1)</script>', 'en-US;q=0.9'];

  it('never leaks a version number, build or device model, and returns only known values', () => {
    const browsers = new Set(['Edge', 'Opera', 'Samsung Internet', 'Firefox', 'Chrome', 'Safari', 'other']);
    const systems = new Set(['iOS', 'Android', 'ChromeOS', 'Windows', 'macOS', 'Linux', 'other']);
    for (const userAgent of everyUa) {
      for (const acceptLanguage of everyLanguage) {
        const summary: DeviceSummary = summarizeDevice(userAgent, acceptLanguage);
        expect(Object.keys(summary).sort()).toEqual(['browser', 'language', 'os']);
        expect(browsers).toContain(summary.browser);
        expect(systems).toContain(summary.os);
        const text = JSON.stringify(summary);
        expect(text).not.toMatch(/\d/); // no 131.0, no 10_15_7, no Android 14, no SM-S918B
        expect(text).not.toMatch(/SAMSUNG SM|K\)|Win64|x86_64|Mozilla|AppleWebKit/);
      }
    }
  });
});
