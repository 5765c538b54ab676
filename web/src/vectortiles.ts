// Draws an imported vector base map (Mapbox Vector Tiles from /basemap/{z}/{x}/{y}) on canvas tiles,
// without any outside style, font or sprite: land, water, green, buildings, roads, rivers and boundaries
// in fixed colours, chosen by layer name. The names cover the two schemas vector base maps come in
// (OpenMapTiles: water, landcover, landuse, transportation, building, boundary, waterway; Protomaps:
// earth, water, landuse, roads, buildings, boundaries) and the plain ones a local GIS export uses.
// Points are not drawn: place names come from the platform's own labels (mapkit.labels).
import { VectorTile } from "@mapbox/vector-tile";
import Pbf from "pbf";

declare const L: any;

type Style = { fill?: string; stroke?: string; width?: number; casing?: string; dash?: number[] };

/** Drawn in this order, each layer name matched against the patterns; the first match styles it. */
const STYLES: Array<[RegExp, Style]> = [
  [/^(earth|land|background)$/i, { fill: "#f2efe6" }],
  [/^(landcover|landuse|park|parks|natural|green|vegetation)$/i, { fill: "#dcebd0" }],
  [/^(water|ocean|lake|lakes|waterbody|water_polygons?)$/i, { fill: "#aad3ea" }],
  [/^(waterway|waterways|river|rivers|water_lines?)$/i, { stroke: "#8ec2e3", width: 1.5 }],
  [/^(building|buildings)$/i, { fill: "#e3ddd2", stroke: "#d3cbbd", width: 0.5 }],
  [/^(transportation|roads?|streets?|highway|railway)$/i, { stroke: "#ffffff", width: 2, casing: "#c8c0b2" }],
  [/^(boundary|boundaries|admin|admin_lines?)$/i, { stroke: "#9a88b0", width: 1, dash: [4, 3] }],
];

function styleOf(layer: string): [number, Style] | null {
  for (let i = 0; i < STYLES.length; i++) if (STYLES[i][0].test(layer)) return [i, STYLES[i][1]];
  return null;
}

/** Paints one decoded tile on a canvas of `size` px. Exported for the tests of the drawing rules. */
export function paint(ctx: CanvasRenderingContext2D, tile: VectorTile, size: number): number {
  const layers = Object.keys(tile.layers)
    .map((name) => ({ name, style: styleOf(name) }))
    .filter((l) => l.style !== null)
    .sort((a, b) => (a.style as [number, Style])[0] - (b.style as [number, Style])[0]);
  let drawn = 0;
  for (const l of layers) {
    const layer = tile.layers[l.name];
    const style = (l.style as [number, Style])[1];
    const k = size / layer.extent;
    for (const pass of style.casing ? ["casing", "line"] : ["line"]) {
      for (let i = 0; i < layer.length; i++) {
        const f = layer.feature(i);
        if (f.type !== 2 && f.type !== 3) continue;
        ctx.beginPath();
        for (const ring of f.loadGeometry()) {
          ring.forEach((p, j) => (j === 0 ? ctx.moveTo(p.x * k, p.y * k) : ctx.lineTo(p.x * k, p.y * k)));
          if (f.type === 3) ctx.closePath();
        }
        if (f.type === 3 && style.fill && pass === "line") {
          ctx.fillStyle = style.fill;
          ctx.fill();
        }
        const stroke = pass === "casing" ? style.casing : style.stroke;
        if (stroke) {
          ctx.strokeStyle = stroke;
          ctx.lineWidth = ((style.width || 1) + (pass === "casing" ? 1.5 : 0)) * (size / 256);
          ctx.setLineDash(style.dash && pass === "line" ? style.dash : []);
          ctx.lineJoin = "round";
          ctx.lineCap = "round";
          ctx.stroke();
        }
        drawn++;
      }
    }
  }
  return drawn;
}

/** A Leaflet layer of canvas tiles drawn from the vector tiles at `url` ({z}/{x}/{y}). */
export function vectorTileLayer(url: string, options: Record<string, unknown>): any {
  const Layer = L.GridLayer.extend({
    createTile(coords: { x: number; y: number; z: number }, done: (err: unknown, tile: HTMLElement) => void) {
      const canvas = document.createElement("canvas");
      const ratio = window.devicePixelRatio || 1;
      const size = this.getTileSize();
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      const src = url.replace("{z}", String(coords.z)).replace("{x}", String(coords.x)).replace("{y}", String(coords.y));
      fetch(src, { credentials: "same-origin" })
        .then((r) => (r.ok && r.status !== 204 ? r.arrayBuffer() : null))
        .then((buf) => {
          const ctx = canvas.getContext("2d");
          if (buf && buf.byteLength && ctx) {
            canvas.dataset.features = String(paint(ctx, new VectorTile(new Pbf(buf)), canvas.width));
          }
          done(null, canvas);
        })
        .catch(() => done(null, canvas)); // a tile that does not come leaves plain ground, not an error
      return canvas;
    },
  });
  return new Layer(options);
}
