// media.ts - the real type of an attachment by its magic numbers, against the allow-list
// (the same codes as libadvice's enum advice_media, which uses libmagic for the binary types),
// and plain text by the rule libadvice shares (CRYPTO-FORMATS.md, "Text"). The sender checks
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

/** The bytes the plain-text rule looks at. */
export const TEXT_WINDOW = 4096;

/**
 * True when b is UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF. With allowCut, a sequence cut by the end of b counts as valid. The
 * same rule as libadvice's (lib/crypto_text.c); proto/vectors/text.json has the cases.
 */
export function utf8Valid(b: Uint8Array, allowCut = false): boolean {
  let i = 0;
  while (i < b.length) {
    const x = b[i];
    let n: number, lo = 0x80, hi = 0xbf;
    if (x < 0x80) n = 1;
    else if (x >= 0xc2 && x <= 0xdf) n = 2;
    else if (x >= 0xe0 && x <= 0xef) {
      n = 3;
      if (x === 0xe0) lo = 0xa0;
      else if (x === 0xed) hi = 0x9f;
    } else if (x >= 0xf0 && x <= 0xf4) {
      n = 4;
      if (x === 0xf0) lo = 0x90;
      else if (x === 0xf4) hi = 0x8f;
    } else return false;
    for (let k = 1; k < n; k++) {
      if (i + k === b.length) return allowCut;
      const y = b[i + k];
      if (y < (k === 1 ? lo : 0x80) || y > (k === 1 ? hi : 0xbf)) return false;
    }
    i += n;
  }
  return true;
}

/**
 * Plain text (CRYPTO-FORMATS.md, "Text"): the first TEXT_WINDOW bytes (all when shorter; at least
 * one) are UTF-8 without control characters other than tab, line feed, form feed and carriage
 * return; a sequence cut by the window counts as valid when the window is full. HTML, CSV and
 * other markup are plain text by this rule (shown as text, never rendered).
 */
export function isPlainText(b: Uint8Array): boolean {
  const w = b.subarray(0, Math.min(b.length, TEXT_WINDOW));
  if (w.length === 0) return false;
  for (const x of w) if (x < 0x20 && x !== 9 && x !== 10 && x !== 12 && x !== 13) return false;
  return utf8Valid(w, b.length >= TEXT_WINDOW);
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
  if (isPlainText(b)) return Media.Text;
  return Media.Unknown;
}
