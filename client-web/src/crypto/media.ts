// media.ts - the real type of an attachment by its magic numbers, against the allow-list
// (the same codes as libadvice's enum advice_media, which uses libmagic). The sender checks
// before encrypting; the reader checks again after decrypting and shows a mismatch.
export const enum Media {
  Unknown = 0,
  Pdf = 1,
  Jpeg = 2,
  Png = 3,
  Heic = 4,
  Docx = 5,
  Odt = 6,
  Text = 7,
  Xlsx = 8,
  Ods = 9,
  Doc = 10,
  Tiff = 11,
}

export const MEDIA_NAMES: Record<number, string> = {
  1: 'application/pdf',
  2: 'image/jpeg',
  3: 'image/png',
  4: 'image/heic',
  5: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  6: 'application/vnd.oasis.opendocument.text',
  7: 'text/plain',
  8: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  9: 'application/vnd.oasis.opendocument.spreadsheet',
  10: 'application/msword',
  11: 'image/tiff',
};

function startsWith(b: Uint8Array, sig: number[], off = 0): boolean {
  return b.length >= off + sig.length && sig.every((x, i) => b[off + i] === x);
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, Math.min(to, b.length)));
}

const HEIF_BRANDS = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'];

/** A ZIP container: OpenDocument by its first entry "mimetype", Office Open XML by part names. */
function sniffZip(b: Uint8Array): Media {
  const head = ascii(b, 0, Math.min(b.length, 8192));
  if (ascii(b, 30, 38) === 'mimetype') {
    if (head.startsWith('application/vnd.oasis.opendocument.text', 38)) return Media.Odt;
    if (head.startsWith('application/vnd.oasis.opendocument.spreadsheet', 38)) return Media.Ods;
    return Media.Unknown;
  }
  if (head.includes('word/')) return Media.Docx;
  if (head.includes('xl/')) return Media.Xlsx;
  return Media.Unknown;
}

/** Plain text: valid UTF-8 without control characters other than tab, line feed, form feed, carriage return. */
function isText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  for (const x of b) if (x < 0x20 && x !== 9 && x !== 10 && x !== 12 && x !== 13) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b, { stream: true }); // a cut last character is fine
    return true;
  } catch {
    return false;
  }
}

/** The media type of a file's first bytes (at least 4 KiB when available). */
export function mediaSniff(b: Uint8Array): Media {
  if (startsWith(b, [0x25, 0x50, 0x44, 0x46, 0x2d])) return Media.Pdf;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return Media.Jpeg;
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return Media.Png;
  if (ascii(b, 4, 8) === 'ftyp' && HEIF_BRANDS.includes(ascii(b, 8, 12))) return Media.Heic;
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return Media.Tiff;
  if (startsWith(b, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return Media.Doc;
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return sniffZip(b);
  if (isText(b.subarray(0, 4096))) return Media.Text;
  return Media.Unknown;
}
