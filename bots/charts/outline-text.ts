/**
 * Text drawn as outlines before resvg sees it. resvg-js 2.6 (its Node build takes font files,
 * not buffers) costs about 0.9 ms per text element — it goes back to the font file for each —
 * so a chart's 60-odd labels were most of its render time. Here the DejaVu fonts are parsed once
 * (opentype.js) and every `<text>` element that svg-kit's text() writes becomes a `<path>` of
 * its glyphs (kerning applied, anchor honoured), so resvg draws shapes only. The SVG the chart
 * functions return keeps its text; only the PNG path outlines it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import opentype from 'opentype.js';

let fonts: { regular: opentype.Font; bold: opentype.Font } | undefined;

function loaded() {
  if (fonts) return fonts;
  const root = path.join(
    path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
    'ttf',
  );
  fonts = {
    regular: opentype.loadSync(path.join(root, 'DejaVuSans.ttf')),
    bold: opentype.loadSync(path.join(root, 'DejaVuSans-Bold.ttf')),
  };
  return fonts;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeEntities = (text: string) =>
  text.replace(/&(#\d+|#x[0-9a-f]+|\w+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });

const attribute = (attributes: string, name: string) =>
  new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attributes)?.[1];

/** `svg` with each `<text …>content</text>` replaced by the outline of its glyphs. */
export function outlineText(svg: string): string {
  const { regular, bold } = loaded();
  return svg.replace(
    /<text\s([^>]*)>([^<]*)<\/text>/g,
    (_whole, attributes: string, raw: string) => {
      const content = decodeEntities(raw);
      const size = Number(attribute(attributes, 'font-size') ?? 12);
      const font = attribute(attributes, 'font-weight') === 'bold' ? bold : regular;
      const x = Number(attribute(attributes, 'x') ?? 0);
      const y = Number(attribute(attributes, 'y') ?? 0);
      const anchor = attribute(attributes, 'text-anchor');
      const width =
        anchor === 'middle' || anchor === 'end' ? font.getAdvanceWidth(content, size) : 0;
      const start = anchor === 'middle' ? x - width / 2 : anchor === 'end' ? x - width : x;
      const d = font.getPath(content, start, y, size).toPathData(2);
      if (d === '') return '';
      const kept = ['fill', 'stroke', 'stroke-width', 'stroke-linejoin', 'paint-order', 'transform']
        .map((name) => [name, attribute(attributes, name)] as const)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => `${name}="${value}"`);
      return `<path d="${d}" ${kept.join(' ')}/>`;
    },
  );
}
