// A QR code drawn as inline SVG: one path of dark squares, so no image
// request, no data: URL and no script beyond this bundle (the page's CSP).
// The quiet zone is part of the drawing; the colours are fixed black on
// white in both themes, as a phone's camera expects.
import { useMemo } from 'react';
import qrcode from 'qrcode-generator';

// The modules of text's QR code as an SVG path, and the side in modules
// including a 4-module quiet zone.
export function qrPath(text: string): { d: string; size: number } {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  const parts: string[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) parts.push(`M${c + quiet} ${r + quiet}h1v1h-1z`);
    }
  }
  return { d: parts.join(''), size: n + 2 * quiet };
}

export function QrCode({ text, label }: { text: string; label: string }) {
  const { d, size } = useMemo(() => qrPath(text), [text]);
  return (
    <svg className="qr" role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} width={size * 5} height={size * 5} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#ffffff" />
      <path d={d} fill="#000000" />
    </svg>
  );
}
