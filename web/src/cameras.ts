// 雪亮工程 map on /cameras: each camera with its name and, where recorded, its sector (direction,
// field of view, range) shaded by status; a click on the map fills the point of the "which cameras
// could have seen it" form, whose point is marked when the page answers it.

import { gcjToWgs, wgsToGcj } from "./crs";
import { baseMap, searchBox } from "./mapkit";

declare const L: any;

type Sector = { direction_deg: number; fov_deg: number; range_m: number };
type Site = { code: string; name: string; lng: number; lat: number; sector: Sector | null; online: boolean | null; active: boolean };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" } as Record<string, string>)[c]);
}

/** The sector's outline as WGS-84 [lng, lat] points: the camera, then the arc every 5° or less. */
export function sectorRing(lng: number, lat: number, s: Sector): [number, number][] {
  const mLat = 1 / 110574;
  const mLng = 1 / (111320 * Math.cos((lat * Math.PI) / 180));
  const at = (bearing: number): [number, number] => {
    const r = (bearing * Math.PI) / 180;
    return [lng + Math.sin(r) * s.range_m * mLng, lat + Math.cos(r) * s.range_m * mLat];
  };
  const steps = Math.max(2, Math.ceil(s.fov_deg / 5));
  const out: [number, number][] = s.fov_deg >= 360 ? [] : [[lng, lat]];
  for (let i = 0; i <= steps; i++) out.push(at(s.direction_deg - s.fov_deg / 2 + (s.fov_deg * i) / steps));
  return out;
}

function draw(): void {
  const el = document.getElementById("camera-map");
  const data = document.getElementById("camera-data");
  if (!el || !data) return;
  const sites: Site[] = JSON.parse(data.textContent || "[]");
  const gcj = (el.dataset.tileCrs || "wgs84") === "gcj02";
  const ll = (lng: number, lat: number) => {
    const p = gcj ? wgsToGcj(lng, lat) : [lng, lat];
    return L.latLng(p[1], p[0]);
  };
  const map = baseMap(el);
  searchBox(el, map, () => undefined);
  const bounds: any[] = [];
  for (const c of sites) {
    const online = c.online === null ? c.active : c.online;
    const colour = online ? "#1f7a3a" : "#999999";
    if (c.sector) {
      L.polygon(sectorRing(c.lng, c.lat, c.sector).map((p) => ll(p[0], p[1])), {
        color: colour, weight: 1, fillOpacity: 0.18, className: "camera-sector",
      }).addTo(map);
    }
    L.circleMarker(ll(c.lng, c.lat), { radius: 5, color: colour, fillOpacity: 0.9, className: "camera-dot" })
      .bindTooltip("<span data-user>" + esc(c.name) + "</span>", { permanent: true, direction: "right", className: "camera-label" })
      .addTo(map);
    bounds.push(ll(c.lng, c.lat));
  }
  const lngIn = document.getElementById("witness-lng") as HTMLInputElement | null;
  const latIn = document.getElementById("witness-lat") as HTMLInputElement | null;
  let mark: any = null;
  const put = (lng: number, lat: number) => {
    if (mark) mark.remove();
    mark = L.marker(ll(lng, lat), { className: "witness-point" }).addTo(map);
  };
  if (lngIn && latIn && lngIn.value && latIn.value) {
    put(Number(lngIn.value), Number(latIn.value));
    map.setView(ll(Number(lngIn.value), Number(latIn.value)), 17);
  } else if (bounds.length) {
    map.fitBounds(L.latLngBounds(bounds).pad(0.2));
  }
  map.on("click", (e: any) => {
    if (!lngIn || !latIn) return;
    const p = gcj ? gcjToWgs(e.latlng.lng, e.latlng.lat) : [e.latlng.lng, e.latlng.lat];
    lngIn.value = p[0].toFixed(6);
    latIn.value = p[1].toFixed(6);
    put(p[0], p[1]);
  });
}

draw();
