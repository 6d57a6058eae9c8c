import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { firstNetworkAddress, sameMachineMediaIp, type NetworkInterfaces } from '../../src/media/same-machine-ip.js';

const info = (address: string, internal = false): NetworkInterfaceInfo =>
  address.includes(':')
    ? { address, family: 'IPv6', internal, netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 }
    : { address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null };

/** A laptop: loopback, a wired link with IPv4 and IPv6, a down-level link-local. */
const LAPTOP: NetworkInterfaces = {
  lo: [info('127.0.0.1', true), info('::1', true)],
  eth0: [info('fe80::1c2:3ff:fe04:506'), info('2001:db8::20'), info('192.168.1.20')],
  docker0: [info('172.17.0.1')],
};

describe('firstNetworkAddress', () => {
  it.each<[string, NetworkInterfaces, string | undefined]>([
    ['the first IPv4 address, in interface order, before any IPv6 one', LAPTOP, '192.168.1.20'],
    ['IPv6 when there is no IPv4 network address', { lo: [info('127.0.0.1', true)], eth0: [info('fe80::1'), info('2001:db8::20')] }, '2001:db8::20'],
    ['never a link-local one (Firefox ignores those too)', { lo: [info('127.0.0.1', true)], eth0: [info('169.254.10.1'), info('fe80::1')] }, undefined],
    ['nothing on a machine with only a loopback', { lo: [info('127.0.0.1', true), info('::1', true)] }, undefined],
    ['never a loopback address, even one not marked internal', { tun0: [info('127.0.0.2')] }, undefined],
  ])('%s', (_case, interfaces, expected) => {
    expect(firstNetworkAddress(interfaces)).toBe(expected);
  });
});

describe('sameMachineMediaIp: the second media address, for a Firefox on this machine', () => {
  const local = { httpHost: '127.0.0.1', rtcListenIp: '127.0.0.1', rtcAnnouncedIp: '', rtcSameMachineIp: 'auto' };
  it.each<[string, Partial<typeof local>, string | undefined]>([
    ['the defaults (npm start): the first network address', {}, '192.168.1.20'],
    ['HTTP on localhost is local too', { httpHost: 'localhost' }, '192.168.1.20'],
    ['off: none', { rtcSameMachineIp: 'off' }, undefined],
    ['auto on a public page (HTTP not on loopback): none, the operator sets the media address', { httpHost: '0.0.0.0' }, undefined],
    ['auto with an announced address: none', { rtcAnnouncedIp: '203.0.113.7' }, undefined],
    ['media not on loopback: none, Firefox can reach it already', { rtcListenIp: '192.168.1.20' }, undefined],
    ['media on a wildcard: none', { rtcListenIp: '0.0.0.0' }, undefined],
    ['an address named: that one, whatever HTTP listens on', { rtcSameMachineIp: '10.0.0.5', httpHost: '0.0.0.0' }, '10.0.0.5'],
    ['an address named, but something announced: none', { rtcSameMachineIp: '10.0.0.5', rtcAnnouncedIp: '203.0.113.7' }, undefined],
  ])('%s', (_case, change, expected) => {
    expect(sameMachineMediaIp({ ...local, ...change }, LAPTOP)).toBe(expected);
  });

  it('auto on a machine with no network address adds nothing (the page then tells a Firefox user what to do)', () => {
    expect(sameMachineMediaIp(local, { lo: [info('127.0.0.1', true)] })).toBeUndefined();
  });
});
