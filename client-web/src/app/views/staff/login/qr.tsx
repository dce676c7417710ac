// qr.tsx - the second factor's otpauth URI as a QR code for the authenticator app: the modules
// from qrcode-generator drawn as one SVG path made with the DOM (no markup string, no inline
// style: the page's CSP allows neither), with a text alternative; the secret is shown as text
// beside it for those who type it in.
import { useEffect, useRef } from 'preact/hooks';
import qrcode from 'qrcode-generator';

const SVG = 'http://www.w3.org/2000/svg';
const QUIET = 4; // the quiet zone around the code, in modules

/** The path of the dark modules of `text` (error correction M) and the code's size in modules. */
export function qrPath(text: string): { d: string; size: number } {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const parts: string[] = [];
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) parts.push(`M${c + QUIET} ${r + QUIET}h1v1h-1z`);
  return { d: parts.join(''), size: n + 2 * QUIET };
}

export function QrCode({ text, label }: { text: string; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = ref.current;
    if (box === null) return;
    const { d, size } = qrPath(text);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    svg.setAttribute('shape-rendering', 'crispEdges');
    svg.setAttribute('class', 'qr');
    const bg = document.createElementNS(SVG, 'rect');
    bg.setAttribute('width', String(size));
    bg.setAttribute('height', String(size));
    bg.setAttribute('fill', '#fff');
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    path.setAttribute('fill', '#000');
    svg.append(bg, path);
    box.replaceChildren(svg);
    return () => box.replaceChildren();
  }, [text, label]);
  return <div ref={ref} class="qr-box" />;
}
