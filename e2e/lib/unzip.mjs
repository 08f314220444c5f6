// A tiny zip reader (enough for the workbooks the app downloads): the central directory's
// entries, each stored or deflated, as UTF-8 text keyed by name. An .xlsx is such a zip; reading
// its sheet XML is how the browser tests check that a workbook opens and what its cells are.
import zlib from 'node:zlib';

/** `{name: text}` for every file in the zip `bytes` (a Buffer). Throws if it is not a zip. */
export function unzip(bytes) {
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  const out = {};
  for (let n = 0; n < count; n++) {
    if (bytes.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${n}`);
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (bytes.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, start + size);
    const content = method === 0 ? data : method === 8 ? zlib.inflateRawSync(data) : null;
    if (content === null) throw new Error(`${name}: compression method ${method}`);
    out[name] = content.toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}
