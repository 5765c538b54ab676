// 信息研判 maps. On /analysis: reads the form, asks /api/v1/analysis/* and draws the Gi* hot/cold
// cells, the kernel density surface and the repeat locations, and fills the trend, repeat-location and
// near-repeat tables. On /briefs/{id}: draws the brief's stored layers (no request: a kept brief shows
// what it showed when it was composed). Blank background unless an internal tile service is set.

import { wgsToGcj } from "./crs";
import { baseLayer } from "./mapkit";

declare const L: any;

type Ring = [number, number][];
type HotCell = { row: number; col: number; count: number; z: number; p: number; level: number; ring: Ring };
type DensityCell = { row: number; col: number; per_km2: number; share: number; ring: Ring };
type Hotspots = {
  events: number;
  cell_m: number;
  cells: HotCell[];
  density: DensityCell[];
  density_peak: number;
  frame: string;
  frame_cells: number;
  events_outside: number;
};
type Place = { lng: number; lat: number; count: number; address: string };
type Change = { current: number; previous: number; relative: number | null; p_value: number; significant: boolean };
type TrendRow = { kind: string; key: string; name: string; previous_period: Change; same_period_last_year: Change };
type RepeatLocation = Place & { first_at: number; last_at: number; types: { type_code: string; count: number }[] };
type NearRepeat = {
  space_bands_m: number[];
  time_bands_days: number[];
  observed: number[][];
  expected: number[][];
  ratio: (number | null)[][];
  p_value: number[][];
  permutations: number;
  p_method: string;
};

const HOT: Record<string, string> = {
  "3": "#b91c1c",
  "2": "#ef4444",
  "1": "#fca5a5",
  "-1": "#93c5fd",
  "-2": "#3b82f6",
  "-3": "#1e40af",
};

function densityColour(share: number): string {
  // Pale yellow → orange → dark brown.
  const stops = [
    [254, 243, 199],
    [245, 158, 11],
    [124, 45, 18],
  ];
  const t = Math.max(0, Math.min(1, share)) * 2;
  const i = Math.min(1, Math.floor(t));
  const f = t - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function makeMap(el: HTMLElement): { map: any; ll: (lng: number, lat: number) => any } {
  const gcj = (el.dataset.tileCrs || "wgs84") === "gcj02";
  const map = L.map(el, { zoomControl: true, attributionControl: false });
  baseLayer(map, el);
  const ll = (lng: number, lat: number) => {
    const p = gcj ? wgsToGcj(lng, lat) : [lng, lat];
    return L.latLng(p[1], p[0]);
  };
  return { map, ll };
}

/** Township and village outlines for orientation (the caller's scope; not part of the analysis). */
function drawOutlines(map: any, ll: (lng: number, lat: number) => any): void {
  fetch("/api/v1/geo/areas", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((fc: any) => {
      if (!fc) return;
      const outlines = L.geoJSON(fc, {
        coordsToLatLng: (c: [number, number]) => ll(c[0], c[1]),
        interactive: false,
        style: (f: any) => ({
          color: f.properties.level === "township" ? "#0f172a" : "#64748b",
          weight: f.properties.level === "township" ? 2 : 1,
          fill: false,
          dashArray: f.properties.level === "village" ? "4 3" : undefined,
        }),
      }).addTo(map);
      outlines.bringToBack();
    })
    .catch(() => undefined);
}

/** Draws the layers; returns their bounds and the number of hot cells drawn. */
function drawLayers(map: any, ll: (lng: number, lat: number) => any, h: Hotspots, places: Place[], group: any): any {
  group.clearLayers();
  const bounds = L.latLngBounds([]);
  const poly = (ring: Ring) => ring.map((p) => ll(p[0], p[1]));
  for (const d of h.density) {
    const shape = L.polygon(poly(d.ring), {
      stroke: false,
      fillColor: densityColour(d.share),
      fillOpacity: 0.55,
      className: "kde-cell",
      interactive: false,
    });
    group.addLayer(shape);
    bounds.extend(shape.getBounds());
  }
  for (const c of h.cells) {
    const shape = L.polygon(poly(c.ring), {
      color: HOT[String(c.level)] || "#999",
      weight: 1,
      fillColor: HOT[String(c.level)] || "#999",
      fillOpacity: 0.6,
      className: c.level > 0 ? "hot-cell" : "cold-cell",
    });
    shape.bindTooltip(`Gi* z = ${c.z.toFixed(2)}, p = ${c.p.toExponential(1)}, n = ${c.count}`);
    group.addLayer(shape);
    bounds.extend(shape.getBounds());
  }
  for (const p of places) {
    const m = L.circleMarker(ll(p.lng, p.lat), {
      radius: 4 + Math.min(10, Math.sqrt(p.count) * 1.5),
      color: "#5b21b6",
      weight: 1,
      fillColor: "#7c3aed",
      fillOpacity: 0.8,
      className: "repeat-place",
    });
    m.bindTooltip(`${p.address}: ${p.count}`);
    group.addLayer(m);
    bounds.extend(m.getLatLng());
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  return bounds;
}

function briefPage(): void {
  const el = document.getElementById("brief-map");
  const data = document.getElementById("brief-layers");
  if (!el || !data || typeof L === "undefined") return;
  const layers = JSON.parse(data.textContent || "{}") as { hotspots: Hotspots; places: Place[] };
  const m = makeMap(el);
  const map = m.map;
  const ll = m.ll;
  drawOutlines(map, ll);
  const group = L.featureGroup().addTo(map);
  const bounds = drawLayers(map, ll, layers.hotspots, layers.places || [], group);
  if (!bounds.isValid()) map.setView([29.71, 120.24], 12);
  el.dataset.ready = String(layers.hotspots.cells.length);
}

function words(): DOMStringMap {
  const t = document.getElementById("analysis-words");
  return t ? t.dataset : ({} as DOMStringMap);
}

function cellText(el: HTMLElement, text: string, cls?: string): HTMLElement {
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

/** A cell holding what people entered (area or place names, addresses): marked as user data. */
function userCell(text: string): HTMLElement {
  const td = cellText(document.createElement("td"), text);
  td.dataset.user = "";
  return td;
}

function changeText(c: Change, w: DOMStringMap): [string, string] {
  const rel = c.relative === null ? (c.current > 0 ? w.new || "new" : "—") : `${c.relative >= 0 ? "+" : ""}${Math.round(c.relative * 100)}%`;
  if (!c.significant) return [`${rel} (${w.noise})`, ""];
  const up = (c.relative === null ? 1 : c.relative) > 0;
  return [`${rel} (${up ? w.up : w.down}, p = ${c.p_value.toFixed(3)})`, up ? "sig-up" : "sig-down"];
}

function fillTrends(rows: TrendRow[], typeNames: Record<string, string>, w: DOMStringMap): void {
  const body = document.querySelector("#trend-table tbody");
  if (!body) return;
  body.textContent = "";
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.className = `trend-${r.kind}`;
    const name = r.kind === "total" ? w.total || "" : r.kind === "type" ? typeNames[r.key] || r.name : r.name;
    const mom = changeText(r.previous_period, w);
    const yoy = changeText(r.same_period_last_year, w);
    tr.append(
      r.kind === "total" || r.kind === "type" ? cellText(document.createElement("td"), name) : userCell(name),
      cellText(document.createElement("td"), String(r.previous_period.current)),
      cellText(document.createElement("td"), String(r.previous_period.previous)),
      cellText(document.createElement("td"), mom[0], mom[1]),
      cellText(document.createElement("td"), String(r.same_period_last_year.previous)),
      cellText(document.createElement("td"), yoy[0], yoy[1]),
    );
    body.append(tr);
  }
}

function day(us: number): string {
  // Local date in China Standard Time (UTC+8), as the server prints it.
  return new Date(us / 1000 + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function fillPlaces(places: RepeatLocation[], typeNames: Record<string, string>, w: DOMStringMap): void {
  const body = document.querySelector("#repeat-table tbody");
  if (!body) return;
  body.textContent = "";
  for (const p of places.slice(0, 50)) {
    const tr = document.createElement("tr");
    tr.append(
      userCell(p.address),
      cellText(document.createElement("td"), String(p.count)),
      cellText(document.createElement("td"), `${day(p.first_at)} – ${day(p.last_at)}`),
      cellText(document.createElement("td"), p.types.map((t) => `${typeNames[t.type_code] || t.type_code} ${t.count}`).join(w.list_sep || ", ")),
    );
    body.append(tr);
  }
  if (!places.length) {
    const tr = document.createElement("tr");
    const td = cellText(document.createElement("td"), w.none || "");
    (td as HTMLTableCellElement).colSpan = 4;
    tr.append(td);
    body.append(tr);
  }
}

function fillNear(n: NearRepeat, w: DOMStringMap): void {
  const head = document.querySelector("#near-table thead");
  const body = document.querySelector("#near-table tbody");
  if (!head || !body) return;
  head.textContent = "";
  body.textContent = "";
  const hr = document.createElement("tr");
  hr.append(document.createElement("th"));
  for (const t of n.time_bands_days) hr.append(cellText(document.createElement("th"), `≤ ${t} d`));
  hr.append(cellText(document.createElement("th"), w.beyond || ">"));
  head.append(hr);
  n.observed.forEach((row, i) => {
    const tr = document.createElement("tr");
    tr.append(cellText(document.createElement("th"), i < n.space_bands_m.length ? `≤ ${n.space_bands_m[i]} m` : w.beyond || ">"));
    row.forEach((o, j) => {
      const r = n.ratio[i][j];
      const td = cellText(
        document.createElement("td"),
        `${o} / ${n.expected[i][j].toFixed(1)} · ${r === null ? "—" : r.toFixed(2)} · p ${n.p_value[i][j].toFixed(3)}`,
      );
      if (r !== null && r > 1 && n.p_value[i][j] < 0.05) td.className = "sig-up";
      tr.append(td);
    });
    body.append(tr);
  });
  const method = document.getElementById("near-method");
  if (method) {
    method.textContent =
      n.p_method === "normal" ? w.pNormal || "" : `${w.pPermutation || ""}${n.permutations}`;
  }
}

async function getJson(url: string): Promise<any> {
  const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body && body.error && body.error.message) || `${r.status}`);
  return body;
}

function workbench(): void {
  const form = document.getElementById("analysis-form") as HTMLFormElement | null;
  const el = document.getElementById("analysis-map");
  if (!form || !el || typeof L === "undefined") return;
  const status = document.getElementById("analysis-status");
  const summary = document.getElementById("analysis-summary");
  const w = words();
  const typeNames: Record<string, string> = {};
  form.querySelectorAll<HTMLOptionElement>("#analysis-types option").forEach((o) => {
    typeNames[o.value] = o.textContent || o.value;
  });
  const m = makeMap(el);
  const map = m.map;
  const ll = m.ll;
  map.setView([29.71, 120.24], 12);
  drawOutlines(map, ll);
  const group = L.featureGroup().addTo(map);
  const run = async () => {
    const fd = new FormData(form);
    const q = new URLSearchParams();
    for (const k of ["area", "from", "to"]) q.set(k, String(fd.get(k) || ""));
    const types = fd.getAll("types").map(String).filter(Boolean);
    if (types.length) q.set("types", types.join(","));
    const hq = new URLSearchParams(q);
    for (const k of ["cell_m", "band_m"]) if (fd.get(k)) hq.set(k, String(fd.get(k)));
    if (status) status.textContent = w.loading || "…";
    el.dataset.ready = "";
    try {
      const all = await Promise.all([
        getJson(`/api/v1/analysis/hotspots?${hq}`),
        getJson(`/api/v1/analysis/repeat-locations?${q}`),
        getJson(`/api/v1/analysis/trends?${q}`),
        getJson(`/api/v1/analysis/near-repeat?${q}`).catch((e) => ({ error: String(e) })),
      ]);
      const h = all[0];
      const places = all[1];
      const trends = all[2];
      const near = all[3];
      drawLayers(map, ll, h as Hotspots, (places as RepeatLocation[]).slice(0, 50), group);
      fillTrends((trends as { rows: TrendRow[] }).rows, typeNames, w);
      fillPlaces(places as RepeatLocation[], typeNames, w);
      if (!(near as any).error) fillNear(near as NearRepeat, w);
      const hot = (h as Hotspots).cells.filter((c) => c.level > 0).length;
      const hs = h as Hotspots;
      const frame =
        hs.frame === "grids"
          ? `${w.frameGrids} ${hs.frame_cells}` + (hs.events_outside ? ` · ${w.frameOutside} ${hs.events_outside}` : "")
          : w.frameExtent;
      if (summary) summary.textContent = `${w.events} ${hs.events} · ${w.hotCells} ${hot} · ${frame}`;
      if (summary) summary.dataset.frame = hs.frame;
      if (status) status.textContent = (h as Hotspots).events ? "" : w.none || "";
      el.dataset.ready = String((h as Hotspots).cells.length);
    } catch (e) {
      if (status) status.textContent = String((e as Error).message || e);
      el.dataset.error = String(e);
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run();
  });
  run();
}

briefPage();
workbench();
