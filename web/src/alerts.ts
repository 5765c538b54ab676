// Public alerts map on /public-alerts and /public-alerts/{id}: each alert's CAP polygons and circles
// (WGS 84, [lat, lon]) with its headline as a label; ours in blue, received ones in orange, those
// updated, cancelled or expired since dashed.

import { wgsToGcj } from "./crs";
import { baseMap, searchBox } from "./mapkit";

declare const L: any;

type Shape = { polygons: [number, number][][]; circles: [number, number, number][] };
type Item = { id: string; headline: string; origin: string; superseded: boolean; shapes: Shape };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" } as Record<string, string>)[c]);
}

function draw(): void {
  const el = document.getElementById("alert-map");
  const data = document.getElementById("alert-data");
  if (!el || !data) return;
  const items: Item[] = JSON.parse(data.textContent || "[]");
  const gcj = (el.dataset.tileCrs || "wgs84") === "gcj02";
  const ll = (lat: number, lng: number) => {
    const p = gcj ? wgsToGcj(lng, lat) : [lng, lat];
    return L.latLng(p[1], p[0]);
  };
  const map = baseMap(el);
  searchBox(el, map, () => undefined);
  const bounds: any[] = [];
  for (const a of items) {
    const style = {
      color: a.origin === "imported" ? "#c2410c" : "#1d4ed8",
      weight: 2,
      fillOpacity: 0.15,
      dashArray: a.superseded ? "4 4" : undefined,
      className: "alert-area alert-" + a.origin,
    };
    const label = "<span data-user>" + esc(a.headline) + "</span>";
    for (const ring of a.shapes.polygons) {
      const pts = ring.map((p) => ll(p[0], p[1]));
      L.polygon(pts, style).bindTooltip(label, { sticky: true }).addTo(map);
      bounds.push(...pts);
    }
    for (const c of a.shapes.circles) {
      const centre = ll(c[0], c[1]);
      L.circle(centre, { ...style, radius: c[2] * 1000 }).bindTooltip(label, { sticky: true }).addTo(map);
      bounds.push(centre);
    }
  }
  if (bounds.length) map.fitBounds(L.latLngBounds(bounds).pad(0.2));
}

draw();

// The import form: a chosen file is read into the document box (the server takes the text).
const file = document.getElementById("import-file") as HTMLInputElement | null;
const box = document.getElementById("import-document") as HTMLTextAreaElement | null;
const source = document.getElementById("import-source") as HTMLInputElement | null;
if (file && box) {
  file.addEventListener("change", () => {
    const f = file.files && file.files[0];
    if (!f) return;
    f.text().then((t) => {
      box.value = t;
      if (source && !source.value) source.value = f.name;
    });
  });
}
