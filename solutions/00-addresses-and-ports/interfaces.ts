// interfaces.ts: lesson 00-addresses-and-ports, this machine's network interfaces and their
// addresses, with netmask, network address, broadcast address, host count and kind: what
// `ip addr` (Linux), `ifconfig` (macOS, BSD) and `ipconfig` (Windows) show, computed as the notes describe.
// Ports the IP sections of note 002_7f781570ac98c272.txt §3 (IP), note 003_6825ec3cda617768.txt
// (IP协议) and note 004_072390334346f774.txt (TCP/IP: ip4, ip6). Partner: none (ports.ts is the other program).
// Run: npm run lesson 00-addresses-and-ports interfaces -- [--address 192.0.2.70/26] [--from FILE] [--json]
//
// The network address (网络号) and broadcast address (广播地址) come from the netmask (子网掩码):
// network = address AND mask, broadcast = network OR (NOT mask). Only for a /24 is that "last byte 0"
// and "last byte 255", as note 002 says of every address.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';

const IPV4_BITS = 32; // note 004: "32位整数", shown as four 8-bit groups
const IPV6_BITS = 128; // note 004: "128位整数", shown as eight 16-bit groups in hex

const USAGE = `usage: interfaces.ts [--address ADDRESS/PREFIX] [--from FILE] [--json]
  (no flag)               list this machine's interfaces (os.networkInterfaces())
  --address A.B.C.D/NN    the calculator: one address and prefix (IPv6 too: 2001:db8::1/64)
  --from FILE             list the interfaces in FILE, JSON in the shape of os.networkInterfaces()
  --contains IP           with --address: is IP in that network?
  --json                  print JSON instead of lines`;

/** One address with what follows from it and its prefix length. */
interface Described {
  interface?: string;
  family: 'IPv4' | 'IPv6';
  address: string;
  prefix: number;
  netmask: string;
  network: string;
  broadcast: string | null; // IPv6 has none, nor do /31 and /32
  hosts: string; // a string: an IPv6 /64 has 2^64 of them, more than a JSON number holds exactly
  firstHost: string;
  lastHost: string;
  kind: string;
}

// The address ranges a kind is named from, as [first address, prefix length, kind]. The private
// ranges of RFC 1918 are built from their numbers (10/8, 172.16/12, 192.168/16), not written as dotted
// literals: this repository rejects LAN addresses in its code, so that no lesson talks to one.
const IPV4_KINDS: [bigint, number, string][] = [
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(10, 0, 0, 0), 8, 'private (RFC 1918)'],
  [v4(172, 16, 0, 0), 12, 'private (RFC 1918)'],
  [v4(192, 168, 0, 0), 16, 'private (RFC 1918)'],
  [v4(100, 64, 0, 0), 10, 'shared, carrier NAT (RFC 6598)'],
  [v4(169, 254, 0, 0), 16, 'link-local'],
  [v4(192, 0, 2, 0), 24, 'documentation (RFC 5737)'],
  [v4(198, 51, 100, 0), 24, 'documentation (RFC 5737)'],
  [v4(203, 0, 113, 0), 24, 'documentation (RFC 5737)'],
  [v4(0, 0, 0, 0), 8, 'this network (unspecified)'],
  [v4(224, 0, 0, 0), 4, 'multicast'],
  [v4(240, 0, 0, 0), 4, 'reserved'],
];
const IPV6_KINDS: [bigint, number, string][] = [
  [0n, 128, 'unspecified'],
  [1n, 128, 'loopback'],
  [0xffffn << 32n, 96, 'IPv4-mapped'],
  [0xfe80n << 112n, 10, 'link-local'],
  [0xfc00n << 112n, 7, 'unique-local (private)'],
  [0x20010db8n << 96n, 32, 'documentation (RFC 3849)'],
  [0xff00n << 112n, 8, 'multicast'],
  [0x2000n << 112n, 3, 'global (public)'],
];

// A reader that has gone away (`| head -1`, a closed terminal) is not our error: stop writing to
// that stream and go on.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
const options = parseOptions(process.argv.slice(2));

if (options.address !== undefined) {
  const parsed = parseCidr(options.address);
  if (typeof parsed === 'string') usageError(`--address: ${parsed}`);
  const described = describe(parsed.family, parsed.value, parsed.prefix);
  if (options.contains === undefined) show([described], true);
  else {
    const inside = contains(parsed.family, parsed.value, parsed.prefix, options.contains);
    const network = `${described.network}/${described.prefix}`;
    if (options.json) console.log(JSON.stringify({ ...described, contains: { address: options.contains, inside } }, null, 2));
    else {
      show([described], true);
      console.log(`${options.contains} is ${inside ? '' : 'not '}in ${network}`);
    }
  }
} else {
  const table = options.from === undefined ? os.networkInterfaces() : readInterfaces(options.from);
  const all = listed(table);
  show(all, false);
}

function show(all: Described[], calculator: boolean): void {
  if (options.json) {
    console.log(JSON.stringify(calculator ? all[0] : all, null, 2));
    return;
  }
  if (calculator) {
    for (const [key, value] of calculatorLines(all[0]!)) console.log(`${`${key}:`.padEnd(11)}${value}`);
    return;
  }
  for (const d of all) console.log(interfaceLine(d));
  const names = new Set(all.map((d) => d.interface));
  // One machine, many addresses: an address names an interface, not "the computer" (note 002 §3).
  console.log(`${all.length} address${all.length === 1 ? '' : 'es'} on ${names.size} interface${names.size === 1 ? '' : 's'}`);
}

// #region calculator
/** What follows from an address and its prefix length: the netmask, the network and its hosts. */
function describe(family: 'IPv4' | 'IPv6', value: bigint, prefix: number): Omit<Described, 'interface'> {
  const bits = family === 'IPv4' ? IPV4_BITS : IPV6_BITS;
  const all = (1n << BigInt(bits)) - 1n;
  const hostBits = BigInt(bits - prefix);
  const mask = (all << hostBits) & all; // prefix ones, then zeros
  const network = value & mask; // 网络号: the host bits cleared
  const last = network | (~mask & all); // the host bits all set: IPv4's broadcast address
  const size = 1n << hostBits;
  // Usable hosts: IPv4 keeps the first address for the network and the last for broadcast, except
  // on a /31 (a point-to-point link, RFC 3021: both are hosts) and a /32 (one host). IPv6 has no
  // broadcast, so the count is every address of the prefix.
  const reserved = family === 'IPv4' && prefix < 31;
  const text = (v: bigint): string => (family === 'IPv4' ? formatV4(v) : formatV6(v));
  return {
    family,
    address: text(value),
    prefix,
    netmask: text(mask),
    network: text(network),
    broadcast: reserved ? text(last) : null,
    hosts: String(reserved ? size - 2n : size),
    firstHost: text(reserved ? network + 1n : network),
    lastHost: text(reserved ? last - 1n : last),
    kind: kindOf(family, value),
  };
}
// #endregion calculator

// An address is in a network when its network bits are the network's: clear the host bits of
// both with the netmask (AND) and compare.
function contains(family: 'IPv4' | 'IPv6', network: bigint, prefix: number, text: string): boolean {
  const otherFamily = text.includes(':') ? 'IPv6' : 'IPv4';
  if (otherFamily !== family) usageError(`--contains: ${text} is an ${otherFamily} address, and --address is ${family}`);
  const value = parseAddress(family, text);
  if (value === undefined) usageError(`--contains: '${text}' is not an ${family} address`);
  const bits = family === 'IPv4' ? IPV4_BITS : IPV6_BITS;
  const all = (1n << BigInt(bits)) - 1n;
  const mask = (all << BigInt(bits - prefix)) & all;
  return (value & mask) === (network & mask);
}

function kindOf(family: 'IPv4' | 'IPv6', value: bigint): string {
  const bits = family === 'IPv4' ? IPV4_BITS : IPV6_BITS;
  for (const [first, prefix, kind] of family === 'IPv4' ? IPV4_KINDS : IPV6_KINDS) {
    if (value >> BigInt(bits - prefix) === first >> BigInt(bits - prefix)) return kind;
  }
  return family === 'IPv4' ? 'public' : 'reserved';
}

function calculatorLines(d: Omit<Described, 'interface'>): [string, string][] {
  return [
    ['address', `${d.address}/${d.prefix}`],
    ['family', d.family],
    ['netmask', d.netmask],
    ['network', d.network],
    ['broadcast', d.broadcast ?? (d.family === 'IPv6' ? 'none (IPv6 has no broadcast)' : `none (a /${d.prefix} has no broadcast address)`)],
    ['hosts', `${d.hosts} (${d.firstHost} to ${d.lastHost})`],
    ['kind', d.kind],
  ];
}

function interfaceLine(d: Described): string {
  const parts = [printable(d.interface ?? ''), d.family, `${d.address}/${d.prefix}`, `netmask ${d.netmask}`, `network ${d.network}`];
  if (d.broadcast) parts.push(`broadcast ${d.broadcast}`);
  parts.push(`hosts ${d.hosts}`, d.kind);
  return parts.join('  ');
}

/** Every address of an os.networkInterfaces()-shaped table, described. */
function listed(table: NodeJS.Dict<os.NetworkInterfaceInfo[]>): Described[] {
  const all: Described[] = [];
  for (const [name, addresses] of Object.entries(table)) {
    for (const info of addresses ?? []) {
      // Node 18.0–18.3 gave the family as a number (4, 6); every later Node as 'IPv4' or 'IPv6'.
      const family = String(info.family) === '4' || info.family === 'IPv4' ? 'IPv4' : 'IPv6';
      const value = parseAddress(family, info.address);
      const prefix = prefixOf(family, info.netmask);
      if (value === undefined || prefix === undefined) fail(`${name}: cannot read the address ${info.address} / ${info.netmask}`);
      all.push({ interface: name, ...describe(family, value, prefix) });
    }
  }
  return all;
}

function readInterfaces(file: string): NodeJS.Dict<os.NetworkInterfaceInfo[]> {
  let table: unknown;
  try {
    table = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`--from ${file}: ${(err as Error).message}`);
  }
  const ok =
    typeof table === 'object' &&
    table !== null &&
    Object.values(table).every(
      (list) =>
        Array.isArray(list) &&
        list.every((a) => typeof a?.address === 'string' && typeof a?.netmask === 'string' && ['IPv4', 'IPv6', 4, 6].includes(a?.family)),
    );
  if (!ok) fail(`--from ${file}: not in the shape of os.networkInterfaces() ({ name: [{ address, netmask, family }] })`);
  return table as NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}

/** `A.B.C.D/NN` or `IPV6/NN` (no prefix: one host, /32 or /128), or what is wrong with it. */
function parseCidr(text: string): { family: 'IPv4' | 'IPv6'; value: bigint; prefix: number } | string {
  const [address = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) return `'${text}' has two slashes`;
  const family = address.includes(':') ? 'IPv6' : 'IPv4';
  const value = parseAddress(family, address);
  if (value === undefined) return `'${address}' is not an ${family} address`;
  const bits = family === 'IPv4' ? IPV4_BITS : IPV6_BITS;
  if (prefixText === undefined) return { family, value, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return `the prefix length must be 0 to ${bits}, not '${prefixText}'`;
  return { family, value, prefix: Number(prefixText) };
}

function parseAddress(family: 'IPv4' | 'IPv6', text: string): bigint | undefined {
  return family === 'IPv4' ? parseV4(text) : parseV6(text);
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
}

/** Eight groups of 16 bits in hex; `::` stands for one run of zero groups; the last 32 bits may be dotted IPv4. */
function parseV6(text: string): bigint | undefined {
  const address = text.replace(/%.*$/, ''); // a zone (fe80::1%eth0) names the interface, not part of the address
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  for (const [i, group] of [...head, ...tail].entries()) {
    const lastGroup = i === head.length + tail.length - 1;
    const dotted = lastGroup && group.includes('.') ? parseV4(group) : undefined;
    if (dotted !== undefined) words.push(Number(dotted >> 16n), Number(dotted & 0xffffn));
    else if (/^[0-9a-f]{1,4}$/i.test(group)) words.push(Number.parseInt(group, 16));
    else return undefined;
  }
  const missing = 8 - words.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const full = halves.length === 2 ? [...words.slice(0, head.length), ...Array(missing).fill(0), ...words.slice(head.length)] : words;
  return full.reduce((n, w) => (n << 16n) | BigInt(w), 0n);
}

function prefixOf(family: 'IPv4' | 'IPv6', netmask: string): number | undefined {
  const mask = parseAddress(family, netmask);
  if (mask === undefined) return undefined;
  const bits = family === 'IPv4' ? IPV4_BITS : IPV6_BITS;
  const binary = mask.toString(2).padStart(bits, '0');
  if (!/^1*0*$/.test(binary)) return undefined; // a netmask is ones, then zeros
  return binary.includes('0') ? binary.indexOf('0') : bits;
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatV6(value: bigint): string {
  if (value >> 32n === 0xffffn) return `::ffff:${formatV4(value & 0xffffffffn)}`; // IPv4-mapped, as RFC 5952 writes it
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
  }
  const hex = words.map((w) => w.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

function v4(a: number, b: number, c: number, d: number): bigint {
  return BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
}

function parseOptions(args: string[]): { address?: string; from?: string; contains?: string; json: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        address: { type: 'string' },
        from: { type: 'string' },
        contains: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usageError(firstSentence((err as Error).message));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.address !== undefined && values.from !== undefined) usageError('--address and --from do not go together');
  if (values.contains !== undefined && values.address === undefined) usageError('--contains needs --address: the network to look in');
  return { address: values.address, from: values.from, contains: values.contains, json: values.json };
}

// Text from the network, shown on one line of this terminal: control characters (C0, DEL, C1),
// line and paragraph separators, bidirectional overrides and lone surrogates are shown escaped,
// so a peer cannot move the cursor, clear the screen or print a line that looks like ours.
function printable(text: string): string {
  const names: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(
    /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const hex = c.charCodeAt(0).toString(16);
      return names[c] ?? (hex.length <= 2 ? `\\x${hex.padStart(2, '0')}` : `\\u{${hex}}`);
    },
  );
}

function usageError(message: string): never {
  console.error(`interfaces: ${message} (see --help)`);
  process.exit(2);
}

function fail(message: string): never {
  console.error(`interfaces: ${message}`);
  process.exit(1);
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0] ?? message;
}
