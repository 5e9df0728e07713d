/**
 * What the tab says about itself in hello: `platform: 'browser'` (the dashboard shows such hosts as
 * browser tabs), the cores and memory the browser admits to, and a `software` string that names the
 * browser beside the page's version, the way the Node worker names its own.
 */
import type { HostFacts } from '../../../protocol/messages.js';
import { SOFTWARE } from '../../../protocol/version.js';

interface NavigatorExtras {
  deviceMemory?: number;
  userAgentData?: { brands?: Array<{ brand: string; version: string }>; platform?: string };
}

const nav = (): Navigator & NavigatorExtras => navigator as Navigator & NavigatorExtras;

/** "Chrome 156", "Firefox 140", "Safari 18": the brand a person would name. */
export function browserName(ua = navigator.userAgent): string {
  const brand = nav().userAgentData?.brands?.find((b) => !/not.?a.?brand|chromium/i.test(b.brand));
  if (brand && ua === navigator.userAgent) return `${brand.brand.replace(/^Google /, '')} ${brand.version}`;
  const m = /(Edg|OPR|Firefox|Chrome|Chromium)\/(\d+)/.exec(ua) ?? /Version\/(\d+).*(Safari)/.exec(ua);
  if (!m) return 'a browser';
  if (m[2] === 'Safari') return `Safari ${m[1]}`;
  return `${({ Edg: 'Edge', OPR: 'Opera' } as Record<string, string>)[m[1]] ?? m[1]} ${m[2]}`;
}

export function osName(ua = navigator.userAgent): string {
  if (/Android/.test(ua)) return 'Android';
  if (/iPhone|iPad|iPod/.test(ua)) return 'iOS';
  if (/Windows/.test(ua)) return 'Windows';
  if (/Mac OS X|Macintosh/.test(ua)) return 'macOS';
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Linux/.test(ua)) return 'Linux';
  return 'unknown OS';
}

function arch(ua = navigator.userAgent): string {
  if (/aarch64|arm64/i.test(ua)) return 'arm64';
  if (/x86_64|x64|Win64|amd64|WOW64/i.test(ua)) return 'x64';
  if (/arm/i.test(ua)) return 'arm';
  if (/i[3-6]86/.test(ua)) return 'ia32';
  return 'unknown';
}

export const cores = (): number => Math.max(1, Math.min(4096, Math.floor(navigator.hardwareConcurrency || 1)));

export function browserFacts(): HostFacts {
  return {
    cores: cores(),
    // Chrome rounds device memory to a power of two and caps it at 8 GiB; other browsers say nothing.
    memoryBytes: Math.round((nav().deviceMemory ?? 0) * 2 ** 30),
    platform: 'browser',
    arch: arch(),
  };
}

export const browserSoftware = (): string => `${SOFTWARE.replace(/^idlegrid\//, 'idlegrid-browser/')} (${browserName()}; ${osName()})`.slice(0, 64);

/** The name a tab goes by when the volunteer gives none: the hosts list then shows it as a browser tab. */
export const defaultHostName = (): string => `browser tab: ${browserName()} on ${osName()}`.slice(0, 64);
