/**
 * What a client's address says about who it is, for the defences that cannot trust what a host says: the
 * network a unit's replicas must not share (IPv4 /24, IPv6 /48: one ISP customer, one site), and the
 * address that hellos with new host ids are rationed by (IPv4 the address, IPv6 the /64 that one
 * machine or home is given). The address is the socket's, or behind `--trust-proxy` the one fastify
 * resolves from X-Forwarded-For; a header from a client that is not a trusted proxy is never read.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface ClientAddress {
  /** 127.0.0.0/8 or ::1: one machine, where every host of a test or a small grid comes from. */
  loopback: boolean;
  /** The network replicas of a unit must not share; '' for loopback, which is exempt. */
  network: string;
  /** What new host ids are rationed by. */
  rationKey: string;
}

export function classifyAddress(raw: string | undefined): ClientAddress {
  const ip = (raw ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIPv4(ip)) {
    const o = ip.split('.');
    const loopback = o[0] === '127';
    return { loopback, network: loopback ? '' : `${o[0]}.${o[1]}.${o[2]}.0/24`, rationKey: ip };
  }
  const groups = isIPv6(ip) ? expandIPv6(ip) : null;
  if (groups) {
    const loopback = groups.every((g, i) => g === (i === 7 ? 1 : 0));
    const hex = groups.map((g) => g.toString(16));
    return { loopback, network: loopback ? '' : `${hex.slice(0, 3).join(':')}::/48`, rationKey: `${hex.slice(0, 4).join(':')}::/64` };
  }
  // Not an IP address (a Unix socket, an injected request): one network of its own.
  return { loopback: false, network: `?${ip}`, rationKey: `?${ip}` };
}

/** The eight 16-bit groups of an IPv6 address ('::' expanded, a zone id or an embedded IPv4 tail read). */
function expandIPv6(ip: string): number[] | null {
  let s = ip.split('%')[0].toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  const all = [...h, ...fill, ...t].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((g) => g >= 0 && g <= 0xffff) ? all : null;
}
