// The grid map: township and village outlines and the grids from /api/v1/geo/*, drawn with Leaflet on a
// blank background (no internet tiles). An internal XYZ tile service may be configured; when its CRS is
// GCJ-02 the WGS-84 features are shifted to match it. Clicking a grid opens its card.

declare const L: any;

type Feature = { type: "Feature"; geometry: { type: string; coordinates: any }; properties: Record<string, string> };
type Collection = { type: "FeatureCollection"; features: Feature[] };

import { wgsToGcj } from "./crs";
import { baseLayer, labels, searchBox } from "./mapkit";

async function load(url: string): Promise<Collection> {
  const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

function text(id: string, value: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = value;
}

function showCard(p: Record<string, string>, lang: string): void {
  const card = document.getElementById("grid-card");
  if (!card) return;
  card.hidden = false;
  text("grid-card-name", p.name);
  text("grid-card-code", p.code);
  const kinds: Record<string, [string, string]> = { basic: ["基础网格", "Basic grid"], dedicated: ["专属网格", "Dedicated grid"] };
  const k = kinds[p.kind];
  text("grid-card-kind", k ? (lang === "en" ? k[1] : k[0]) : p.kind);
  text("grid-card-village", p.village_name ? `${p.village_name} (${p.village_code})` : p.village_code);
  const link = document.getElementById("grid-card-link") as HTMLAnchorElement | null;
  if (link) link.href = `/areas/${p.village_code}`;
  text("grid-card-workers", "…");
  text("grid-card-places", "…");
  const el = document.getElementById("map");
  fetch(`/api/v1/grids/${encodeURIComponent(p.code)}/card`, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then((c: { workers: { display_name: string; is_lead: boolean }[]; places: number }) => {
      const lead = (el && el.dataset.lead) || "lead";
      const names = c.workers.map((w) => (w.is_lead ? `${w.display_name}（${lead}）` : w.display_name));
      text("grid-card-workers", names.length ? names.join("、") : (el && el.dataset.noWorkers) || "—");
      text("grid-card-places", String(c.places));
      card.dataset.loaded = p.code;
    })
    .catch(() => text("grid-card-workers", "—"));
}

async function main(): Promise<void> {
  const el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  const gcj = (el.dataset.tileCrs || "wgs84") === "gcj02";
  const lang = el.dataset.lang || "zh-CN";
  const map = L.map(el, { zoomControl: true, attributionControl: false, preferCanvas: false });
  baseLayer(map, el);
  labels(map);
  if (el.dataset.search) searchBox(el, map, () => undefined);
  const coords = (c: [number, number]) => {
    const p = gcj ? wgsToGcj(c[0], c[1]) : c;
    return L.latLng(p[1], p[0]);
  };
  const layers = await Promise.all([load("/api/v1/geo/areas"), load("/api/v1/geo/grids")]);
  const areas = layers[0];
  const grids = layers[1];
  const gridLayer = L.geoJSON(grids, {
    coordsToLatLng: coords,
    style: (f: Feature) => ({
      color: "#1d4ed8",
      weight: 1,
      fillColor: f.properties.kind === "dedicated" ? "#f59e0b" : "#60a5fa",
      fillOpacity: 0.25,
    }),
    onEachFeature: (f: Feature, layer: any) => {
      layer.options.className = `grid-shape grid-${f.properties.code}`;
      layer.bindTooltip(`${f.properties.name} (${f.properties.code})`, { sticky: true });
      layer.on("click", () => showCard(f.properties, lang));
    },
  }).addTo(map);
  L.geoJSON(areas, {
    coordsToLatLng: coords,
    interactive: false,
    style: (f: Feature) => ({
      color: f.properties.level === "township" ? "#0f172a" : "#334155",
      weight: f.properties.level === "township" ? 3 : 1.5,
      fill: false,
      dashArray: f.properties.level === "village" ? "4 3" : undefined,
    }),
  }).addTo(map);
  const bounds = gridLayer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  else map.setView([29.71, 120.24], 11);
  el.dataset.ready = String(grids.features.length);
}

main().catch((e) => {
  const el = document.getElementById("map");
  if (el) {
    el.dataset.error = String(e);
    el.textContent = String(e);
  }
});
