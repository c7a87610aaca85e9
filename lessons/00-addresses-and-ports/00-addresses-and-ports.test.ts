// Tests of lesson 00-addresses-and-ports: interfaces.ts as a calculator (--address) and on an
// interface table from a file (--from), and ports.ts's experiments on loopback. Run against another
// folder with SOCKET_LESSONS_PROGRAMS=DIR, and the exercise tests with SOCKET_LESSONS_SUITES=lesson,exercise
// (see tests/harness.ts). Addresses here are loopback and the documentation ranges only; the one
// private address is built from its numbers at run time, never written as a literal.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it, type TestContext } from 'node:test';
import {
  type BadFlag,
  expectOneLineError,
  hasIpv6Loopback,
  itRejectsBadFlags,
  itUses,
  lessonTarget,
  literal,
  type RunningProgram,
  start,
  suite,
} from '../../tests/harness.ts';

const target = lessonTarget(import.meta.url);
const OK = { code: 0, signal: null };
const RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';

/** Runs a program that ends by itself; returns its stdout once it has exited 0. */
async function output(t: TestContext, file: string, args: string[]): Promise<string> {
  const program: RunningProgram = start(t, target, file, args);
  const exit = await program.exit();
  assert.deepEqual(exit, OK, `${file} ${args.join(' ')} must exit 0; its stderr: ${program.stderr}`);
  return program.stdout;
}

/** The calculator's `key: value` lines as an object. */
async function calculate(t: TestContext, args: string[]): Promise<Record<string, string>> {
  const text = await output(t, 'interfaces.ts', args);
  return Object.fromEntries([...text.matchAll(/^(\w+):\s+(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Writes `table` as a JSON file in a temporary folder removed when the test ends. */
function tableFile(t: TestContext, table: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lesson-00-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'interfaces.json');
  writeFileSync(file, JSON.stringify(table));
  return file;
}

suite(target, 'lesson', () => {
  // [address/prefix, netmask, network, broadcast, hosts]: the network and broadcast follow the
  // netmask; only the /24 has them at "last byte 0" and "last byte 255" as note 002 says.
  const prefixes: [string, string, string, string, string][] = [
    ['203.0.113.9/8', '255.0.0.0', '203.0.0.0', '203.255.255.255', '16777214 (203.0.0.1 to 203.255.255.254)'],
    ['192.0.2.70/24', '255.255.255.0', '192.0.2.0', '192.0.2.255', '254 (192.0.2.1 to 192.0.2.254)'],
    ['198.51.100.7/23', '255.255.254.0', '198.51.100.0', '198.51.101.255', '510 (198.51.100.1 to 198.51.101.254)'],
    ['192.0.2.70/26', '255.255.255.192', '192.0.2.64', '192.0.2.127', '62 (192.0.2.65 to 192.0.2.126)'],
    ['203.0.113.9/31', '255.255.255.254', '203.0.113.8', 'none', '2 (203.0.113.8 to 203.0.113.9)'],
    ['203.0.113.9/32', '255.255.255.255', '203.0.113.9', 'none', '1 (203.0.113.9 to 203.0.113.9)'],
  ];
  for (const [cidr, netmask, network, broadcast, hosts] of prefixes) {
    itUses(
      target,
      ['interfaces.ts'],
      `calculator: ${cidr} has netmask ${netmask}, network ${network}, broadcast ${broadcast}`,
      async (t) => {
        // Checks the arithmetic: network = address AND mask, broadcast = network OR NOT mask, and the
        // usable host count (two fewer than the block, except on a /31 point-to-point link and a /32).
        const lines = await calculate(t, ['--address', cidr]);
        assert.equal(lines.netmask, netmask);
        assert.equal(lines.network, network);
        assert.equal(lines.broadcast?.split(' ')[0], broadcast);
        assert.equal(lines.hosts, hosts);
        assert.equal(lines.kind, 'documentation (RFC 5737)');
      },
    );
  }

  itUses(target, ['interfaces.ts'], 'calculator: IPv6 addresses, with :: and without a prefix', async (t) => {
    // Checks 128-bit arithmetic, the shortest form (RFC 5952), that IPv6 has no broadcast, and that
    // an address without a prefix is one host (/128).
    const doc = await calculate(t, ['--address', '2001:0DB8:0000:0000:0001:0000:0000:0001/48']);
    assert.equal(doc.address, '2001:db8::1:0:0:1/48');
    assert.equal(doc.netmask, 'ffff:ffff:ffff::');
    assert.equal(doc.network, '2001:db8::');
    assert.match(doc.broadcast ?? '', /^none/);
    assert.equal(doc.hosts, `${2n ** 80n} (2001:db8:: to 2001:db8:0:ffff:ffff:ffff:ffff:ffff)`);
    assert.equal(doc.kind, 'documentation (RFC 3849)');
    const loopback = await calculate(t, ['--address', '::1']);
    assert.equal(loopback.address, '::1/128');
    assert.equal(loopback.hosts, '1 (::1 to ::1)');
    assert.equal(loopback.kind, 'loopback');
  });

  itUses(target, ['interfaces.ts'], 'calculator --json gives the same facts as JSON', async (t) => {
    // Checks the JSON form: the fields a script would read, hosts as a string (an IPv6 count is too big for a number).
    const json = JSON.parse(await output(t, 'interfaces.ts', ['--address', '192.0.2.70/26', '--json']));
    assert.deepEqual(json, {
      family: 'IPv4',
      address: '192.0.2.70',
      prefix: 26,
      netmask: '255.255.255.192',
      network: '192.0.2.64',
      broadcast: '192.0.2.127',
      hosts: '62',
      firstHost: '192.0.2.65',
      lastHost: '192.0.2.126',
      kind: 'documentation (RFC 5737)',
    });
  });

  itUses(target, ['interfaces.ts'], 'interfaces --from FILE: each address with its prefix, network and kind, and the count', async (t) => {
    // Checks the listing on an os.networkInterfaces() table: loopback (both families), a
    // documentation address on a /26, an IPv6 link-local and unique-local address, and an RFC 1918
    // private address (built from numbers here); the kinds are named; a name with a control
    // character is shown escaped; one machine has many addresses.
    const privateAddress = [192, 168, 1, 20].join('.');
    const file = tableFile(t, {
      lo: [
        { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true },
        { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', internal: true, scopeid: 0 },
      ],
      eth0: [
        { address: '198.51.100.70', netmask: '255.255.255.192', family: 'IPv4', internal: false },
        { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, scopeid: 2 },
        { address: 'fd12:3456:789a::7', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false, scopeid: 0 },
      ],
      'wl\x1b[2J': [{ address: privateAddress, netmask: '255.255.255.0', family: 4, internal: false }],
    });
    const text = await output(t, 'interfaces.ts', ['--from', file]);
    const expected = [
      /^lo {2}IPv4 {2}127\.0\.0\.1\/8 {2}netmask 255\.0\.0\.0 {2}network 127\.0\.0\.0 {2}broadcast 127\.255\.255\.255 {2}hosts 16777214 {2}loopback$/m,
      /^lo {2}IPv6 {2}::1\/128 .* {2}loopback$/m,
      /^eth0 {2}IPv4 {2}198\.51\.100\.70\/26 {2}netmask 255\.255\.255\.192 {2}network 198\.51\.100\.64 {2}broadcast 198\.51\.100\.127 {2}hosts 62 {2}documentation/m,
      /^eth0 {2}IPv6 {2}fe80::1\/64 {2}netmask ffff:ffff:ffff:ffff:: {2}network fe80:: .* {2}link-local$/m,
      /^eth0 {2}IPv6 {2}fd12:3456:789a::7\/64 .*network fd12:3456:789a:: .*unique-local/m,
      new RegExp(`^wl\\\\x1b\\[2J {2}IPv4 {2}${literal(privateAddress)}/24 .*hosts 254 {2}private \\(RFC 1918\\)$`, 'm'),
      /^6 addresses on 3 interfaces$/m,
    ];
    for (const line of expected) assert.match(text, line);
    assert.doesNotMatch(text, /\x1b/, 'the escape character from the interface name is shown escaped, not sent to the terminal');
  });

  itUses(target, ['interfaces.ts'], "interfaces lists this machine's loopback address", async (t) => {
    // Checks the default listing on the real machine: it ends well and shows 127.0.0.1/8 as loopback.
    const text = await output(t, 'interfaces.ts', []);
    assert.match(text, /\bIPv4 {2}127\.0\.0\.1\/8 .* {2}loopback$/m);
    assert.match(text, /^\d+ address(es)? on \d+ interfaces?$/m);
  });

  itUses(target, ['interfaces.ts'], 'interfaces --from reports an unreadable or wrongly shaped file in one line, exit 1', async (t) => {
    // Checks the error contract for input files: a missing file, one not in the shape, a netmask that is not ones-then-zeros.
    await expectOneLineError(start(t, target, 'interfaces.ts', ['--from', path.join(os.tmpdir(), 'no-such-lesson-00.json')]), 1, /--from/);
    await expectOneLineError(start(t, target, 'interfaces.ts', ['--from', tableFile(t, { eth0: 'up' })]), 1, /shape/);
    const holey = tableFile(t, { eth0: [{ address: '192.0.2.1', netmask: '255.0.255.0', family: 'IPv4' }] });
    await expectOneLineError(start(t, target, 'interfaces.ts', ['--from', holey]), 1, /255\.0\.255\.0/);
  });

  const interfaceFlags: BadFlag[] = [
    ['an unknown flag', ['--colour', 'blue'], /colour/],
    ['an address with a byte above 255', ['--address', '192.0.2.256/24'], /192\.0\.2\.256/],
    ['a prefix longer than 32', ['--address', '192.0.2.1/33'], /prefix/],
    ['an IPv6 address with two ::', ['--address', '2001:db8::1::2/64'], /2001:db8::1::2/],
    ['a hex group that is not hex', ['--address', '2001:db8::g/64'], /2001:db8::g/],
    ['--address together with --from', ['--address', '192.0.2.1/24', '--from', 'x.json'], /--from/],
  ];
  itRejectsBadFlags(target, 'interfaces.ts', interfaceFlags);

  itUses(target, ['ports.ts'], 'ports: TCP and UDP bind the same port number at once', async (t) => {
    // Checks note 004's true claim: TCP and UDP have separate ports, so one number is bound in both.
    const text = await output(t, 'ports.ts', []);
    const match = /^tcp and udp: TCP 127\.0\.0\.1:(\d+) and UDP 127\.0\.0\.1:(\d+) bound at once: both ok/m.exec(text);
    assert.ok(match, `a "tcp and udp: ... both ok" line; got:\n${text}`);
    assert.equal(match[1], match[2], 'the same number for TCP and UDP');
  });

  itUses(target, ['ports.ts'], 'ports: a second bind of one protocol, address and port fails with EADDRINUSE', async (t) => {
    // Checks what 端口是唯一的 really means: one socket per protocol, address and port, for TCP and UDP.
    const text = await output(t, 'ports.ts', []);
    assert.match(text, /^tcp clash: a second TCP listener on 127\.0\.0\.1:\d+: EADDRINUSE/m);
    assert.match(text, /^udp clash: a second UDP socket on 127\.0\.0\.1:\d+: EADDRINUSE/m);
  });

  itUses(target, ['ports.ts'], "ports: port 0 gets a port from this system's ephemeral range, as the system reports it", async (t) => {
    // Checks port 0 against the range the kernel really uses (Linux's file), not the note's
    // 1024–65535; where there is no such file the program must say the range is unknown.
    const text = await output(t, 'ports.ts', []);
    const match = /^port 0: the system chose TCP port (\d+); (.*)$/m.exec(text);
    assert.ok(match, `a "port 0: ..." line; got:\n${text}`);
    if (existsSync(RANGE_FILE)) {
      const [low, high] = readFileSync(RANGE_FILE, 'utf8').trim().split(/\s+/).map(Number);
      assert.match(match[2]!, new RegExp(`ephemeral range is ${low}-${high} .*: inside$`));
      assert.ok(Number(match[1]) >= low! && Number(match[1]) <= high!);
    } else {
      assert.match(match[2]!, /unknown on this system/);
    }
  });

  itUses(
    target,
    ['ports.ts'],
    'ports: one process holds several ports, a client has its own, and a port is rebound after close',
    async (t) => {
      // Checks the other experiments: three distinct listening ports in one pid, a client end with a
      // port of its own, a listener rebound on a port whose connection was just closed, and the end line.
      const text = await output(t, 'ports.ts', []);
      const several = /^several ports: this process \(pid \d+\) holds TCP ports (\d+), (\d+), (\d+) at once$/m.exec(text);
      assert.ok(several, `a "several ports" line; got:\n${text}`);
      assert.equal(new Set(several.slice(1)).size, 3, 'three different ports');
      assert.match(text, /^client port: a connection from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+: /m);
      assert.match(text, /^rebind: a new TCP listener on 127\.0\.0\.1:\d+ after a connection the server closed first: ok/m);
      assert.match(text, /^done: every socket is closed$/m);
    },
  );

  itUses(target, ['ports.ts'], 'ports: the experiments run on IPv6 loopback (--host ::1)', async (t) => {
    // Checks --host ::1 and the bracketed address form; skipped where the machine has no IPv6 loopback.
    if (!(await hasIpv6Loopback())) return t.skip('this machine has no IPv6 loopback (::1)');
    const text = await output(t, 'ports.ts', ['--host', '::1']);
    assert.match(text, /^tcp and udp: TCP \[::1\]:(\d+) and UDP \[::1\]:\1 bound at once: both ok/m);
    assert.match(text, /^done: every socket is closed$/m);
  });

  const portsFlags: BadFlag[] = [
    ['an unknown flag', ['--colour', 'blue'], /colour/],
    ['a host that is not an IP address', ['--host', 'localhost'], /localhost/],
  ];
  itRejectsBadFlags(target, 'ports.ts', portsFlags);
});

suite(target, 'exercise', () => {
  const cases: [string, string, boolean][] = [
    ['192.0.2.70/26', '192.0.2.100', true],
    ['192.0.2.70/26', '192.0.2.64', true],
    ['192.0.2.70/26', '192.0.2.130', false],
    ['192.0.2.70/26', '192.0.2.63', false],
    ['198.51.100.7/23', '198.51.101.200', true],
    ['2001:db8:1::/48', '2001:db8:1:ffff::1', true],
    ['2001:db8:1::/48', '2001:db8:2::1', false],
  ];
  for (const [cidr, address, inside] of cases) {
    it(`--address ${cidr} --contains ${address} says it is ${inside ? '' : 'not '}in the network`, async (t) => {
      // Checks the exercise: the address's network bits against the network's, printed as one line
      // naming the network as NETWORK/PREFIX, after the calculator's lines.
      const text = await output(t, 'interfaces.ts', ['--address', cidr, '--contains', address]);
      const network = (await calculate(t, ['--address', cidr])).network!;
      const prefix = cidr.split('/')[1]!;
      assert.match(text, new RegExp(`^${literal(address)} is ${inside ? '' : 'not '}in ${literal(`${network}/${prefix}`)}$`, 'm'));
    });
  }

  it('--contains is a usage error without --address, with a bad address, or across families', async (t) => {
    // Checks the flag contract of the new option: a good use is accepted (so the option exists),
    // and each mistake exits 2 with one line on stderr.
    await output(t, 'interfaces.ts', ['--address', '192.0.2.0/24', '--contains', '192.0.2.1']);
    const wrong = [
      ['--contains', '192.0.2.1'],
      ['--address', '192.0.2.0/24', '--contains', '192.0.2.300'],
      ['--address', '192.0.2.0/24', '--contains', '2001:db8::1'],
    ];
    for (const args of wrong) await expectOneLineError(start(t, target, 'interfaces.ts', args), 2, /contains/);
  });
});
