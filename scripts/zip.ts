// A minimal zip writer (and reader, for the tests): stored entries only, no compression, no zip64,
// which is all a Gradescope autograder zip of a few hundred small text files needs, without a
// dependency. Node 20's zlib has no crc32 (it came in 22), so CRC-32 is computed here. The format
// is PKWARE's APPNOTE.TXT: a local header before each file's bytes, then the central directory,
// then its end record. Entries carry Unix permissions, so run_autograder stays executable, and a
// fixed date (1980-01-01), so the same files give the same zip.

export interface ZipEntry {
  /** The path inside the archive, with forward slashes. */
  name: string;
  data: Buffer;
  /** Unix permission bits (default 0o644). */
  mode?: number;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO-HDLC, the polynomial zip and gzip use). */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 0x0800; // general purpose flag bit 11: names are UTF-8
const MADE_BY_UNIX = (3 << 8) | 20; // host 3 (Unix), spec version 2.0
const NEEDED = 10; // version 1.0 suffices for stored entries
const LIMIT = 0xffffffff;

export function zip(entries: readonly ZipEntry[]): Buffer {
  const names = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (names.has(entry.name)) throw new Error(`zip: ${entry.name} is given twice`);
    names.add(entry.name);
    if (entry.name.startsWith('/') || entry.name.includes('\\') || entry.name.split('/').includes('..'))
      throw new Error(`zip: ${entry.name}: names are relative, with forward slashes`);
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(entry.data);
    if (entry.data.length >= LIMIT || offset >= LIMIT) throw new Error('zip: over 4 GiB needs zip64, which this writer does not do');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(NEEDED, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time 00:00:00
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, entry.data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(NEEDED, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra, comment, disk number, internal attributes: 0
    central.writeUInt32LE(((0o100000 | (entry.mode ?? 0o644)) << 16) >>> 0, 38); // a regular file with its mode
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(centrals);
  if (entries.length > 0xffff) throw new Error('zip: over 65535 entries needs zip64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The entries of a zip of stored files (what zip() writes), checked against their CRC-32. */
export function unzip(archive: Buffer): ZipEntry[] {
  const endAt = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endAt < 0) throw new Error('unzip: no end of central directory record');
  const count = archive.readUInt16LE(endAt + 10);
  let at = archive.readUInt32LE(endAt + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error(`unzip: no central directory header at ${at}`);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const skip = nameLength + archive.readUInt16LE(at + 30) + archive.readUInt16LE(at + 32);
    const mode = (archive.readUInt32LE(at + 38) >>> 16) & 0o7777;
    const local = archive.readUInt32LE(at + 42);
    const name = archive.toString('utf8', at + 46, at + 46 + nameLength);
    if (method !== 0) throw new Error(`unzip: ${name} is compressed (method ${method}); this reader takes stored entries`);
    if (archive.readUInt32LE(local) !== 0x04034b50) throw new Error(`unzip: ${name}: no local header at ${local}`);
    const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const data = archive.subarray(start, start + size);
    if (crc32(data) !== crc) throw new Error(`unzip: ${name}: CRC-32 mismatch`);
    entries.push({ name, data, mode });
    at += 46 + skip;
  }
  return entries;
}
