import { describe, expect, it } from 'vitest';
import { classifyAddress } from './network.js';

describe('client addresses', () => {
  it('keeps IPv4 hosts apart by /24 and rations them by address', () => {
    expect(classifyAddress('203.0.113.7')).toEqual({ loopback: false, network: '203.0.113.0/24', rationKey: '203.0.113.7' });
    expect(classifyAddress('203.0.113.200').network).toBe(classifyAddress('203.0.113.7').network);
    expect(classifyAddress('203.0.114.7').network).not.toBe(classifyAddress('203.0.113.7').network);
    // An IPv4 client of a dual-stack listener.
    expect(classifyAddress('::ffff:203.0.113.7')).toEqual(classifyAddress('203.0.113.7'));
  });

  it('keeps IPv6 hosts apart by /48 and rations them by /64', () => {
    const a = classifyAddress('2001:db8:abcd:12::1');
    expect(a).toEqual({ loopback: false, network: '2001:db8:abcd::/48', rationKey: '2001:db8:abcd:12::/64' });
    expect(classifyAddress('2001:0db8:abcd:0012:ffff:1:2:3').rationKey).toBe(a.rationKey);
    expect(classifyAddress('2001:db8:abcd:ff00::9').network).toBe(a.network);
    expect(classifyAddress('2001:db8:abce::1').network).not.toBe(a.network);
    expect(classifyAddress('fe80::1%eth0').network).toBe('fe80:0:0::/48');
  });

  it('exempts loopback, where one machine runs many hosts', () => {
    for (const ip of ['127.0.0.1', '127.0.0.42', '127.77.3.9', '::1', '::ffff:127.0.0.1']) {
      expect(classifyAddress(ip), ip).toMatchObject({ loopback: true, network: '' });
    }
    expect(classifyAddress('127.0.0.2').rationKey).not.toBe(classifyAddress('127.0.0.3').rationKey);
    expect(classifyAddress('::2').loopback).toBe(false);
  });

  it('gives what is not an IP address a network of its own, never the exemption', () => {
    expect(classifyAddress(undefined)).toEqual({ loopback: false, network: '?', rationKey: '?' });
    expect(classifyAddress('not-an-ip').loopback).toBe(false);
  });
});
