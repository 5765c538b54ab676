// 分片布警 maps. /patrol: the zones in scope with their names, and drawing a new zone (click the
// corners, save: POST /api/v1/patrol-zones). /patrol/plans/{id}: the zone, the posts with their
// radius and hours, the system's proposed posts as grey dots; on a draft the chief drags posts,
// adds and removes them and saves (PUT …/posts). /patrol/today: today's posts for crews.

import { gcjToWgs, wgsToGcj } from "./crs";
import { baseLayer, labels, searchBox } from "./mapkit";

declare const L: any;

type Window = { start_hour: number; hours: number };
type Post = { lng: number; lat: number; window: Window; proposed?: number | null };
type PostView = Post & { window_label: string; incidents: number };
type Plan = {
  id: string;
  zone_name: string;
  updated_at: number;
  posts: PostView[];
  proposal: { posts: Post[]; radius_m: number };
};

function words(): Record<string, string> {
  const el = document.getElementById("patrol-words");
  const out: Record<string, string> = {};
  if (!el) return out;
  for (const k of Object.keys(el.dataset)) out[k] = el.dataset[k] || "";
  return out;
}

function makeMap(el: HTMLElement) {
  const gcj = (el.dataset.tileCrs || "wgs84") === "gcj02";
  const map = L.map(el, { zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  baseLayer(map, el);
  // Names and search need a view first; the caller fits the map to its zones afterwards.
  map.setView([29.7, 120.24], 11);
  labels(map);
  searchBox(el, map, () => undefined);
  const ll = (lng: number, lat: number) => {
    const p = gcj ? wgsToGcj(lng, lat) : [lng, lat];
    return L.latLng(p[1], p[0]);
  };
  const wgs = (latlng: any): [number, number] => (gcj ? gcjToWgs(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat]);
  return { map, ll, wgs };
}

/** "20:00–23:00", as the server writes a window. */
function hours(w: Window): string {
  const two = (h: number) => String(h % 24).padStart(2, "0") + ":00";
  return two(w.start_hour) + "–" + two(w.start_hour + w.hours);
}

function readJson(id: string): any {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent || "null") : null;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" } as Record<string, string>)[c]);
}

async function send(method: string, url: string, body: unknown): Promise<{ ok: boolean; status: number; json: any }> {
  const r = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
    body: JSON.stringify(body),
  });
  let json: any = null;
  try {
    json = await r.json();
  } catch {
    json = null;
  }
  return { ok: r.ok, status: r.status, json };
}

/** A refusal in the reader's words: the page's text for the first problem's code with its
 *  parameters filled in, else the server's message. */
function problem(json: any, status: number, w: Record<string, string>): string {
  const e = json && json.error;
  if (status === 409 && w.stale) return w.stale;
  if (!e) return String(status);
  const words = readJson("patrol-problems") || {};
  const p = e.problems && e.problems[0];
  if (p && words[p.code] && words[p.code] !== "problem." + p.code) {
    let t: string = words[p.code];
    for (const k of Object.keys(p.params || {})) t = t.split("{" + k + "}").join(p.params[k]);
    return t;
  }
  return e.message;
}

function drawZone(map: any, ll: (lng: number, lat: number) => any, geometry: any, name?: string): any {
  const layer = L.geoJSON(geometry, {
    coordsToLatLng: (c: [number, number]) => ll(c[0], c[1]),
    style: { color: "#1d4ed8", weight: 2, fillOpacity: 0.06 },
  }).addTo(map);
  if (name) layer.bindTooltip("<span data-user>" + esc(name) + "</span>", { permanent: true, direction: "center", className: "zone-label" });
  return layer;
}

/** /patrol: zones and drawing a new one. */
function overview(el: HTMLElement): void {
  const w = words();
  const mk = makeMap(el);
  const map = mk.map;
  const ll = mk.ll;
  const wgs = mk.wgs;
  const bounds = L.latLngBounds([]);
  fetch("/api/v1/patrol-zones", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : []))
    .then((zones: any[]) => {
      for (const z of zones) bounds.extend(drawZone(map, ll, z.geometry, z.name).getBounds());
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    });
  const form = document.getElementById("zone-form") as HTMLFormElement | null;
  if (!form) return;
  const status = document.getElementById("zone-status")!;
  let drawing = false;
  let corners: [number, number][] = [];
  const preview = L.polygon([], { color: "#b45309", weight: 2, dashArray: "4 4", interactive: false }).addTo(map);
  const redraw = () => preview.setLatLngs(corners.map((c) => ll(c[0], c[1])));
  map.on("click", (e: any) => {
    if (!drawing) return;
    corners.push(wgs(e.latlng));
    redraw();
  });
  document.getElementById("zone-draw")!.addEventListener("click", () => {
    drawing = true;
    status.textContent = w.drawing;
    // The form sits beside (or on a phone below) the map: bring the map into view to draw on.
    el.scrollIntoView({ block: "center" });
  });
  document.getElementById("zone-clear")!.addEventListener("click", () => {
    corners = [];
    redraw();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (corners.length < 3) {
      status.textContent = w.needRing;
      return;
    }
    const ring = corners.concat([corners[0]]);
    const body = {
      station_org_id: (document.getElementById("zone-station") as HTMLSelectElement).value,
      name: (document.getElementById("zone-name") as HTMLInputElement).value,
      geometry: { type: "Polygon", coordinates: [ring] },
    };
    const r = await send("POST", "/api/v1/patrol-zones", body);
    if (r.ok) {
      status.textContent = w.saved;
      location.reload();
    } else {
      status.textContent = problem(r.json, r.status, w);
    }
  });
}

/** /patrol/plans/{id}: the plan, editable while a draft. */
function planPage(el: HTMLElement): void {
  const w = words();
  const plan: Plan = readJson("plan-data");
  const zone = readJson("zone-data");
  const editable = el.dataset.editable === "true";
  const mk = makeMap(el);
  const map = mk.map;
  const ll = mk.ll;
  const wgs = mk.wgs;
  const zoneLayer = drawZone(map, ll, zone);
  map.fitBounds(zoneLayer.getBounds(), { padding: [12, 12] });
  const radius = plan.proposal.radius_m;
  for (const p of plan.proposal.posts) {
    L.circleMarker(ll(p.lng, p.lat), { radius: 4, color: "#6b7280", fillOpacity: 0.8, interactive: false }).addTo(map);
  }
  const posts: Post[] = plan.posts.map((p) => ({ lng: p.lng, lat: p.lat, window: p.window, proposed: p.proposed ?? null }));
  const layers = L.layerGroup().addTo(map);
  const render = () => {
    layers.clearLayers();
    posts.forEach((p, i) => {
      const label = `${w.post} ${i + 1} · ${hours(p.window)}`;
      L.circle(ll(p.lng, p.lat), { radius, color: "#dc2626", weight: 1, fillOpacity: 0.08, interactive: false }).addTo(layers);
      const m = L.marker(ll(p.lng, p.lat), { draggable: editable, title: label }).addTo(layers);
      m.bindTooltip(esc(label), { permanent: true, direction: "top", offset: [0, -8] });
      if (editable) {
        m.on("dragend", () => {
          const p2 = wgs(m.getLatLng());
          posts[i] = { lng: p2[0], lat: p2[1], window: posts[i].window, proposed: posts[i].proposed };
          render();
        });
        const btn = document.createElement("button");
        btn.type = "button";
        btn.className = "post-remove";
        btn.textContent = w.remove;
        btn.addEventListener("click", () => {
          posts.splice(i, 1);
          map.closePopup();
          render();
        });
        m.bindPopup(btn);
      }
    });
  };
  render();
  if (!editable) return;
  const status = document.getElementById("posts-status")!;
  let adding = false;
  document.getElementById("post-add")!.addEventListener("click", () => {
    adding = true;
    status.textContent = w.clickMap;
  });
  map.on("click", (e: any) => {
    if (!adding) return;
    adding = false;
    const at = wgs(e.latlng);
    posts.push({ lng: at[0], lat: at[1], window: { start_hour: posts[0]?.window.start_hour ?? 20, hours: posts[0]?.window.hours ?? 3 }, proposed: null });
    status.textContent = "";
    render();
  });
  document.getElementById("posts-save")!.addEventListener("click", async () => {
    const r = await send("PUT", `/api/v1/patrol-plans/${plan.id}/posts`, { posts, updated_at: plan.updated_at });
    if (r.ok) {
      status.textContent = w.saved;
      location.reload();
    } else {
      status.textContent = problem(r.json, r.status, w);
    }
  });
}

/** /patrol/today: every post of today's plans. */
function today(el: HTMLElement): void {
  const w = words();
  const plans: Plan[] = readJson("today-data") || [];
  const mk = makeMap(el);
  const map = mk.map;
  const ll = mk.ll;
  const bounds = L.latLngBounds([]);
  for (const plan of plans) {
    plan.posts.forEach((p, i) => {
      const m = L.circle(ll(p.lng, p.lat), { radius: plan.proposal.radius_m, color: "#dc2626", weight: 1, fillOpacity: 0.1 }).addTo(map);
      m.bindTooltip(esc(`${w.post} ${i + 1} · ${p.window_label}`), { permanent: true, direction: "top" });
      bounds.extend(m.getBounds());
    });
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  // 手动打卡: the phone's position (WGS-84 from the browser) to the plan's check-ins.
  const status = document.getElementById("checkin-status")!;
  document.querySelectorAll<HTMLButtonElement>("button.manual-checkin").forEach((b) => {
    b.addEventListener("click", () => {
      if (!navigator.geolocation) {
        status.textContent = w.noPosition;
        return;
      }
      status.textContent = w.locating;
      navigator.geolocation.getCurrentPosition(
        (pos) => {
          const body = { post: Number(b.dataset.post), lng: pos.coords.longitude, lat: pos.coords.latitude, accuracy_m: pos.coords.accuracy };
          send("POST", "/api/v1/patrol-plans/" + encodeURIComponent(b.dataset.plan || "") + "/check-ins", body).then((r) => {
            if (r.status === 201) location.reload();
            else status.textContent = problem(r.json, r.status, w);
          });
        },
        () => { status.textContent = w.noPosition; },
        { enableHighAccuracy: true, timeout: 15000 },
      );
    });
  });
}

/** /patrol/tracks: a unit's day on the map — the path, its start and end, the silences. */
function trackPage(el: HTMLElement): void {
  const w = words();
  const mk = makeMap(el);
  const map = mk.map;
  const ll = mk.ll;
  const summary = document.getElementById("track-summary")!;
  const unit = el.dataset.unit || "";
  if (!unit) return;
  const q = "?from=" + encodeURIComponent(el.dataset.from || "") + "&to=" + encodeURIComponent(el.dataset.to || "");
  fetch("/api/v1/units/" + encodeURIComponent(unit) + "/track" + q, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((t: any) => {
      if (!t || t.fixes.length === 0) {
        summary.textContent = w.none;
        return;
      }
      const clock = (us: number) => {
        const d = new Date(us / 1000 + 8 * 3600_000);
        return String(d.getUTCHours()).padStart(2, "0") + ":" + String(d.getUTCMinutes()).padStart(2, "0");
      };
      const line = L.polyline(t.fixes.map((f: any) => ll(f.lng, f.lat)), { color: "#1d4ed8", weight: 3 }).addTo(map);
      const first = t.fixes[0];
      const last = t.fixes[t.fixes.length - 1];
      L.circleMarker(ll(first.lng, first.lat), { radius: 6, color: "#15803d", fillOpacity: 1 }).addTo(map)
        .bindTooltip(esc(w.start + " " + clock(first.at)), { permanent: true, direction: "top", className: "track-label" });
      L.circleMarker(ll(last.lng, last.lat), { radius: 6, color: "#b91c1c", fillOpacity: 1 }).addTo(map)
        .bindTooltip(esc(w.end + " " + clock(last.at)), { permanent: true, direction: "top", className: "track-label" });
      for (const g of t.gaps) {
        const before = t.fixes.find((f: any) => f.at === g.from);
        if (before) {
          L.circleMarker(ll(before.lng, before.lat), { radius: 5, color: "#b45309", dashArray: "2 2", fillOpacity: 0.2 }).addTo(map)
            .bindTooltip(esc(w.gaps + " " + clock(g.from) + "–" + clock(g.to)));
        }
      }
      map.fitBounds(line.getBounds(), { padding: [16, 16] });
      summary.textContent = t.fixes.length + " " + w.fixes + " · " + w.length + " " + (t.length_m / 1000).toFixed(2) + " · " + w.gaps + " " + t.gaps.length;
    });
}

const overviewEl = document.getElementById("patrol-map");
if (overviewEl) overview(overviewEl);
const planEl = document.getElementById("plan-map");
if (planEl) planPage(planEl);
const todayEl = document.getElementById("today-map");
if (todayEl) today(todayEl);
const trackEl = document.getElementById("track-map");
if (trackEl) trackPage(trackEl);
