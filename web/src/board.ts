// The live board and the location picker.
//
// Board (#board): loads /api/v1/board (open incidents and units in the viewer's scope), draws them on a
// Leaflet map over the grid outlines and in a list, then follows /api/v1/board/stream (server-sent
// events): every change reloads the snapshot. Running clocks tick locally each second and turn red when
// they pass their target.
//
// Picker (#pick-map): the intake and resident forms; a click writes WGS-84 lng/lat into #lng/#lat.

declare const L: any;

import { baseMap, inside, locateButton, notice, searchBox, words } from "./mapkit";

type Clock = { stage: string; seconds: number; target_seconds: number; running: boolean; overdue: boolean };
type Incident = {
  id: string; number: string; type_name: string; type_name_en: string; type_code: string; level: number; status: string;
  address: string; lng: number; lat: number; clocks: Clock[]; overdue: boolean;
};
type Unit = { id: string; call_sign: string; status: string; org_name: string; lng: number | null; lat: number | null };
type Board = { incidents: Incident[]; units: Unit[]; generated_at: number };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" } as Record<string, string>)[c]);
}

// Always hours:minutes:seconds ("0:02:00"), as the server prints clocks.
function fmt(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h + ":" + (m < 10 ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
}

async function getJson(url: string): Promise<any> {
  const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(url + ": " + r.status);
  return r.json();
}

async function outlines(map: any, url: string): Promise<any> {
  try {
    const fc = await getJson(url);
    const layer = L.geoJSON(fc, { style: { color: "#5b7083", weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(map);
    // The container may have been laid out after the map was created (grid/phone layouts).
    map.invalidateSize();
    const b = layer.getBounds();
    if (b.isValid()) map.fitBounds(b, { padding: [10, 10] });
    return fc;
  } catch (_e) {
    // Outlines are context only; the board works without them.
    return null;
  }
}

function initBoard(root: HTMLElement): void {
  const labels: Record<string, string> = JSON.parse(root.dataset.labels || "{}");
  const t = (k: string) => labels[k] || k;
  const mapEl = document.getElementById("board-map") as HTMLElement;
  const map = baseMap(mapEl);
  outlines(map, "/api/v1/geo/grids");
  const incidentLayer = L.layerGroup().addTo(map);
  const unitLayer = L.layerGroup().addTo(map);
  const tbody = document.querySelector("#board-incidents tbody") as HTMLElement;
  const unitList = document.getElementById("board-units") as HTMLElement;
  const live = document.getElementById("board-live");
  let loadedAt = Date.now();
  let current: Board = { incidents: [], units: [], generated_at: 0 };

  function running(i: Incident): Clock | undefined {
    for (let k = i.clocks.length - 1; k >= 0; k--) if (i.clocks[k].running) return i.clocks[k];
    return undefined;
  }

  function clockCell(i: Incident): [string, boolean] {
    const c = running(i);
    const extra = Math.floor((Date.now() - loadedAt) / 1000);
    const over = i.clocks.some((x) => x.overdue) || (c !== undefined && c.seconds + extra > c.target_seconds);
    return [c ? fmt(c.seconds + extra) + " / " + fmt(c.target_seconds) : "", over];
  }

  /** The incident type in the page's language. */
  function typeName(i: Incident): string {
    return document.documentElement.lang === "en" && i.type_name_en ? i.type_name_en : i.type_name;
  }

  function render(): void {
    // Most urgent first: overdue, then level (1 is the most urgent), then the oldest (numbers run in order of receipt).
    const ordered = current.incidents
      .map((i) => ({ i, cell: clockCell(i) }))
      .sort((a, b) => Number(b.cell[1]) - Number(a.cell[1]) || a.i.level - b.i.level || (a.i.number < b.i.number ? -1 : 1));
    const rows = ordered.map((o) => {
      const i = o.i;
      const cell = o.cell;
      const clock = cell[0];
      const over = cell[1];
      return '<tr data-incident-id="' + esc(i.id) + '" class="' + (over ? "overdue" : "") + '">' +
        '<td><a href="/incidents/' + esc(i.id) + '">' + esc(i.number) + "</a></td>" +
        '<td class="clock">' + clock + (over ? ' <span class="badge badge-warn">' + esc(t("overdue")) + "</span>" : "") + "</td>" +
        "<td>" + i.level + "</td><td>" + esc(typeName(i)) + "</td>" +
        '<td><span class="badge status-' + esc(i.status) + '">' + esc(t("status." + i.status)) + "</span></td>" +
        '<td class="address" data-user>' + esc(i.address) + "</td></tr>";
    });
    tbody.innerHTML = rows.length ? rows.join("") : '<tr><td colspan="6" class="muted">' + esc(t("no_incidents")) + "</td></tr>";
    const count = document.getElementById("board-count");
    if (count) count.textContent = "(" + current.incidents.length + ")";
    unitList.innerHTML = current.units
      .map((u) => '<li data-unit-id="' + esc(u.id) + '" class="unit-' + esc(u.status) + '">' + "<span data-user>" + esc(u.call_sign) + "</span> · " + esc(t("unit." + u.status)) + ' <span class="muted" data-user>' + esc(u.org_name) + "</span></li>")
      .join("");
  }

  function drawMap(): void {
    incidentLayer.clearLayers();
    unitLayer.clearLayers();
    for (const i of current.incidents) {
      const over = clockCell(i)[1];
      L.circleMarker([i.lat, i.lng], { radius: 8, color: over ? "#c0392b" : "#d35400", fillOpacity: 0.8 })
        .bindTooltip(i.number + " " + typeName(i))
        .on("click", () => { window.location.href = "/incidents/" + i.id; })
        .addTo(incidentLayer);
    }
    for (const u of current.units) {
      if (u.lng === null || u.lat === null) continue;
      const free = u.status === "available" || u.status === "patrol_available";
      L.circleMarker([u.lat, u.lng], { radius: 5, color: free ? "#1f6feb" : "#6e7781", fillOpacity: 0.9 })
        .bindTooltip(u.call_sign + " · " + t("unit." + u.status))
        .addTo(unitLayer);
    }
  }

  let pending = 0;
  async function reload(): Promise<void> {
    try {
      current = await getJson("/api/v1/board");
      loadedAt = Date.now();
      render();
      drawMap();
    } catch (_e) {
      if (live) live.dataset.state = "error";
    }
  }
  function soon(): void {
    if (pending) return;
    pending = window.setTimeout(() => { pending = 0; reload(); }, 100);
  }

  reload();
  const es = new EventSource("/api/v1/board/stream");
  es.addEventListener("open", () => { if (live) live.dataset.state = "open"; });
  es.addEventListener("error", () => { if (live) live.dataset.state = "reconnecting"; });
  es.addEventListener("change", soon);
  es.addEventListener("resync", soon);
  window.setInterval(render, 1000);
}

function initPicker(el: HTMLElement): void {
  const map = baseMap(el);
  let district: any = null;
  outlines(map, el.dataset.public ? "/api/v1/public/areas" : "/api/v1/geo/grids").then((fc) => { district = fc; });
  const lng = document.getElementById("lng") as HTMLInputElement | null;
  const lat = document.getElementById("lat") as HTMLInputElement | null;
  let marker: any = null;
  function place(ll: { lat: number; lng: number }): void {
    if (marker) marker.setLatLng(ll);
    else marker = L.marker(ll).addTo(map);
  }
  /// Marks the point unless it lies outside the district (then the map says so and nothing changes).
  function choose(la: number, ln: number): void {
    if (district && !inside(district, ln, la)) {
      notice(map, words().outside);
      return;
    }
    place({ lat: la, lng: ln });
    if (lng) lng.value = ln.toFixed(6);
    if (lat) lat.value = la.toFixed(6);
  }
  if (lng && lat && lng.value && lat.value) place({ lat: Number(lat.value), lng: Number(lng.value) });
  map.on("click", (e: any) => choose(e.latlng.lat, e.latlng.lng));
  if (el.dataset.search) searchBox(el, map, (h) => { if (h.kind !== "district" && h.kind !== "township") choose(h.lat, h.lng); });
  locateButton(map, (la, ln) => choose(la, ln));
}

const board = document.getElementById("board");
if (board) initBoard(board);
const picker = document.getElementById("pick-map");
if (picker) initPicker(picker);
