import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { clientAddress, hashAddress, normalizeAddress } from '../../src/edge/client-address.js';
import { countryOf } from '../../src/edge/country.js';
import { originAllowed } from '../../src/edge/origin.js';
import { isLoopback } from '../../src/http/listen.js';

const request = (peer: string, forwarded?: string): IncomingMessage =>
  ({ socket: { remoteAddress: peer }, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it.each([
    ['direct peer, no proxies', request('203.0.113.9'), [], '203.0.113.9'],
    ['IPv4-mapped peer', request('::ffff:203.0.113.9'), [], '203.0.113.9'],
    ['X-Forwarded-For from an untrusted peer is ignored', request('203.0.113.9', '198.51.100.1'), [], '203.0.113.9'],
    ['trusted proxy: the forwarded client', request('10.0.0.1', '198.51.100.1'), ['10.0.0.1'], '198.51.100.1'],
    ['trusted proxy chain: right-most untrusted hop', request('10.0.0.1', '1.1.1.1, 198.51.100.1, 10.0.0.2'), ['10.0.0.1', '10.0.0.2'], '198.51.100.1'],
    ['trusted proxy, garbage header: the proxy', request('10.0.0.1', 'nonsense'), ['10.0.0.1'], '10.0.0.1'],
  ])('%s', (_name, req, trusted, expected) => {
    expect(clientAddress(req, trusted)).toBe(expected);
  });

  it('normalizes only real IPv4-mapped addresses', () => {
    expect(normalizeAddress('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeAddress('::1')).toBe('::1');
  });
});

describe('hashAddress', () => {
  it('is keyed: the same address gives different hashes under different secrets, and never contains it', () => {
    const a = hashAddress('203.0.113.9', 'secret-one');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toBe(hashAddress('203.0.113.9', 'secret-one'));
    expect(a).not.toBe(hashAddress('203.0.113.9', 'secret-two'));
    expect(a).not.toContain('203');
  });
});

describe('countryOf', () => {
  it.each([
    ['8.8.8.8', 'US'],
    ['81.2.69.142', 'GB'],
    ['127.0.0.1', null],
    ['10.1.2.3', null],
  ])('%s -> %s', (address, country) => {
    expect(countryOf(address)).toBe(country);
  });
});

describe('originAllowed', () => {
  it.each([
    ['https://veil.example', 'veil.example', [], true],
    ['http://127.0.0.1:8080', '127.0.0.1:8080', [], true],
    ['https://evil.example', 'veil.example', [], false],
    [undefined, 'veil.example', [], false],
    ['not a url', 'veil.example', [], false],
    ['https://app.veil.example', 'api.veil.example', ['https://app.veil.example'], true],
    ['https://veil.example', 'veil.example', ['https://app.veil.example'], false],
  ] as const)('%s on host %s (allowed %j) -> %s', (origin, host, allowed, expected) => {
    expect(originAllowed(origin, host, allowed)).toBe(expected);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['192.0.2.10', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});
