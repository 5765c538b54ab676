// What every map in the product shares: the base layer, place-name labels by zoom, a search box over the
// platform's own names (Chinese, pinyin or pinyin initials), "my location" on phones, and a check that a
// tapped point lies inside the district. Used by the board, the pickers and the grid map.
//
// The element's data attributes: data-tile-url (XYZ template of the internal tile service or of the
// imported base map, /basemap/{z}/{x}/{y}; empty = none), data-tile-max-zoom, data-public (resident pages:
// public search), data-search (show the search box).

import { vectorTileLayer } from "./vectortiles";

declare const L: any;

type Hit = { name: string; kind: string; kind_label: string; detail: string | null; lng: number; lat: number };

const WORDS: Record<string, Record<string, string>> = {
  "zh-CN": {
    search: "搜索地名、村社区、网格（可输拼音首字母）",
    none: "没有找到",
    locate: "我的位置",
    no_locate: "无法获取当前位置",
    outside: "这里不在本辖区范围内，请在辖区内点选",
  },
  en: {
    search: "Search a place, village or grid (pinyin works)",
    none: "Nothing found",
    locate: "My location",
    no_locate: "Your location is not available",
    outside: "This point lies outside the district; pick a point inside it",
  },
};

export function words(): Record<string, string> {
  const lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
  return WORDS[lang];
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" } as Record<string, string>)[c]);
}

async function getJson(url: string): Promise<any> {
  const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(url + ": " + r.status);
  return r.json();
}

/// The zoom from which each kind of name is written on the map.
const LABEL_ZOOM: Record<string, number> = { district: 0, township: 11, village: 13, grid: 15 };
const FLY_ZOOM: Record<string, number> = { district: 11, township: 13, village: 15, grid: 16 };

/// The base layer named by the element's data-tile-url: the internal tile service's images, or the imported
/// base map's (raster images or vector tiles drawn here).
export function baseLayer(map: any, el: HTMLElement): void {
  const tiles = el.dataset.tileUrl || "";
  const maxNative = Number(el.dataset.tileMaxZoom || "18");
  if (tiles.indexOf("/basemap/") === 0) {
    // The imported base map says what it holds (raster images or vector tiles), how deep it goes (deeper
    // zooms enlarge its last level) and whose it is.
    const raster = () => L.tileLayer(tiles, { maxZoom: 19, maxNativeZoom: maxNative });
    getJson("/api/v1/basemap")
      .then(
        (b: { format: string | null; max_zoom: number | null; attribution: string | null }) => {
          const options = { maxZoom: 19, maxNativeZoom: b.max_zoom || maxNative };
          const layer = b.format === "pbf" ? vectorTileLayer(tiles, options) : L.tileLayer(tiles, options);
          layer.addTo(map).bringToBack();
          if (b.attribution && map.attributionControl) {
            map.attributionControl.addAttribution("<span data-user>" + esc(b.attribution) + "</span>");
          }
        },
        () => raster().addTo(map),
      );
  } else if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, maxNativeZoom: maxNative }).addTo(map);
  }
}

/// A Leaflet map with the base layer and labels; `near` centres it before the outlines fit it.
export function baseMap(el: HTMLElement): any {
  const map = L.map(el, { zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  baseLayer(map, el);
  map.setView([29.66, 120.33], 11);
  labels(map);
  return map;
}

export function labels(map: any): void {
  const layer = L.layerGroup().addTo(map);
  let all: Hit[] = [];
  function draw(): void {
    layer.clearLayers();
    const z = map.getZoom();
    const view = map.getBounds().pad(0.2);
    for (const h of all) {
      const from = LABEL_ZOOM[h.kind];
      if (from === undefined || z < from || (h.kind === "district" && z > 12)) continue;
      if (!view.contains([h.lat, h.lng])) continue;
      L.marker([h.lat, h.lng], {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "map-label map-label-" + h.kind, html: "<span data-user>" + esc(h.name) + "</span>", iconSize: null }),
      }).addTo(layer);
    }
  }
  getJson("/api/v1/public/labels").then((l: Hit[]) => { all = l; draw(); }).catch(() => undefined);
  map.on("zoomend moveend", draw);
}

/// A short message over the map (outside the district, no location).
export function notice(map: any, text: string): void {
  const box = map.getContainer() as HTMLElement;
  let n = box.querySelector(".map-notice") as HTMLElement | null;
  if (!n) {
    n = document.createElement("div");
    n.className = "map-notice";
    n.setAttribute("role", "status");
    box.appendChild(n);
  }
  n.textContent = text;
  n.hidden = false;
  window.setTimeout(() => { if (n) n.hidden = true; }, 4000);
}

/// The search box above the map; `chosen` gets the hit picked (after the map has flown there).
export function searchBox(el: HTMLElement, map: any, chosen: (h: Hit) => void): void {
  const w = words();
  const wrap = document.createElement("div");
  wrap.className = "map-search";
  wrap.innerHTML = '<input type="search" class="map-search-input" autocomplete="off" enterkeyhint="search" aria-label="' + esc(w.search) + '" placeholder="' + esc(w.search) + '"><ul class="map-search-hits" role="listbox" hidden></ul>';
  el.parentElement?.insertBefore(wrap, el);
  const input = wrap.querySelector("input") as HTMLInputElement;
  const list = wrap.querySelector("ul") as HTMLElement;
  const url = el.dataset.public ? "/api/v1/public/search" : "/api/v1/geo/search";
  let timer = 0;
  let hits: Hit[] = [];
  function show(): void {
    list.hidden = false;
    list.innerHTML = hits.length
      ? hits.map((h, i) => '<li><button type="button" data-i="' + i + '"><strong data-user>' + esc(h.name) + "</strong> <span class=\"muted\">" + esc(h.kind_label) + (h.detail ? ' · <span data-user>' + esc(h.detail) + "</span>" : "") + "</span></button></li>").join("")
      : '<li class="muted">' + esc(w.none) + "</li>";
  }
  async function run(): Promise<void> {
    const q = input.value.trim();
    if (!q) { list.hidden = true; return; }
    try {
      hits = await getJson(url + "?q=" + encodeURIComponent(q));
      show();
    } catch (_e) {
      hits = [];
      show();
    }
  }
  input.addEventListener("input", () => { window.clearTimeout(timer); timer = window.setTimeout(run, 200); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      // Enter picks the best hit; the form is not submitted.
      e.preventDefault();
      if (hits.length) pick(0);
    }
  });
  function pick(i: number): void {
    const h = hits[i];
    if (!h) return;
    map.setView([h.lat, h.lng], FLY_ZOOM[h.kind] || 17);
    list.hidden = true;
    input.value = h.name;
    chosen(h);
  }
  list.addEventListener("click", (e) => {
    const b = (e.target as HTMLElement).closest("button");
    if (b) pick(Number(b.dataset.i));
  });
}

/// The "my location" button; `found` gets the position (WGS-84, as browsers give it).
export function locateButton(map: any, found: (lat: number, lng: number) => void): void {
  const w = words();
  const Ctl = L.Control.extend({
    onAdd(): HTMLElement {
      const b = L.DomUtil.create("button", "map-locate") as HTMLButtonElement;
      b.type = "button";
      b.textContent = "◎ " + w.locate;
      b.title = w.locate;
      L.DomEvent.disableClickPropagation(b);
      b.addEventListener("click", () => {
        if (!navigator.geolocation) { notice(map, w.no_locate); return; }
        navigator.geolocation.getCurrentPosition(
          (p) => { map.setView([p.coords.latitude, p.coords.longitude], 17); found(p.coords.latitude, p.coords.longitude); },
          () => notice(map, w.no_locate),
          { enableHighAccuracy: true, timeout: 10000 },
        );
      });
      return b;
    },
  });
  new Ctl({ position: "topright" }).addTo(map);
}

type Ring = number[][];

function inRing(x: number, y: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/// Whether (lng, lat) lies in any polygon of a GeoJSON collection (holes respected).
export function inside(fc: any, lng: number, lat: number): boolean {
  for (const f of fc.features || []) {
    const g = f.geometry;
    if (!g) continue;
    const polys: Ring[][] = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const p of polys) {
      if (p.length && inRing(lng, lat, p[0]) && !p.slice(1).some((h) => inRing(lng, lat, h))) return true;
    }
  }
  return false;
}
