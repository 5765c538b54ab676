// Issue 19's phone flows on the demo: a resident finds 枫桥镇 by typing "枫桥" and by "fqz", taps
// inside it, reports, and follows the report on /track through dispatch, the handoff to mediation and
// its closing. A mediator on a phone registers a
// dispute by searching an address and tapping the map, and a wrong ID number and a wrong phone show two
// Chinese messages beside their fields at once. The demo's base map is drawn (tiles load).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launchBrowser, newGuardedPage, playwright, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const PHONE = { width: 390, height: 844 };

/** A Mapbox Vector Tile (spec 2.1): one layer holding one square polygon over the whole tile. */
function mvtSquare(layer) {
  const varint = (out, v) => {
    while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
    out.push(v);
  };
  const bytes = (out, field, b) => { varint(out, (field << 3) | 2); varint(out, b.length); out.push(...b); };
  const zz = (n) => (n << 1) ^ (n >> 31);
  const geometry = [];
  for (const c of [9, zz(0), zz(0), 26, zz(4096), zz(0), zz(0), zz(4096), zz(-4096), zz(0), 15]) varint(geometry, c >>> 0);
  const feature = [3 << 3, 3];
  bytes(feature, 4, geometry);
  const l = [];
  varint(l, 15 << 3); varint(l, 2);
  bytes(l, 1, [...Buffer.from(layer)]);
  bytes(l, 2, feature);
  varint(l, 5 << 3); varint(l, 4096);
  const tile = [];
  bytes(tile, 3, l);
  return Buffer.from(tile);
}
const ready = prerequisites();

describe("maps and handoffs on a phone (headless Chromium)", { timeout: 4 * 60_000, ...ready }, () => {
  let demo;
  let browser;
  const login = (u) => demo.logins.find((l) => l.username === u);

  before(async () => {
    demo = await startDemo({ seed: 7 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  /** Types into the map's search box and returns the first hit once it names `expect`. */
  async function search(page, text, expect) {
    await page.locator(".map-search-input").fill(text);
    const first = page.locator(".map-search-hits button").first().filter({ hasText: expect });
    await first.waitFor({ timeout: 10_000 });
    return first;
  }

  test("a vector base map is drawn on the page from its tiles (land, water, roads by layer name)", async () => {
    const { context, page, guard } = await newGuardedPage(browser, demo.url, { viewport: PHONE });
    // As if a vector MBTiles/PMTiles had been imported: the server's side of that is tested in
    // crates/server/tests/api/maps.rs (a_vector_base_map_is_served_for_the_page_to_draw); here the page
    // must draw what such tiles hold.
    const tiles = [];
    await context.route("**/api/v1/basemap", (route) => route.fulfill({
      contentType: "application/json",
      body: JSON.stringify({ tile_url: "/basemap/{z}/{x}/{y}", name: "矢量", format: "pbf", min_zoom: 0, max_zoom: 14,
        bounds: null, attribution: "测绘院", synthetic: false }),
    }));
    await context.route("**/basemap/**", (route) => {
      tiles.push(new URL(route.request().url()).pathname);
      return route.fulfill({ contentType: "application/x-protobuf", body: mvtSquare("water") });
    });
    await page.goto("/report");
    const tile = page.locator("#pick-map canvas.leaflet-tile[data-features]").first();
    await tile.waitFor({ timeout: 15_000 });
    assert.ok(tiles.length > 0, "the tiles were asked for");
    assert.equal(await page.locator("#pick-map img.leaflet-tile").count(), 0, "no image tiles for a vector map");
    // The square of water covers the tile: its middle is water-blue.
    const rgb = await tile.evaluate((c) => {
      const d = c.getContext("2d").getImageData(c.width / 2, c.height / 2, 1, 1).data;
      return [d[0], d[1], d[2], d[3]];
    });
    assert.deepEqual(rgb, [0xaa, 0xd3, 0xea, 255], "water is drawn");
    assert.match(await page.locator(".leaflet-control-attribution").innerText(), /测绘院/);
    guard.check();
    await context.close();
  });

  test("a tap outside the district says so on the map and marks nothing", async () => {
    const { context, page, guard } = await newGuardedPage(browser, demo.url, { viewport: PHONE });
    await page.goto("/report");
    await page.locator("#pick-map img.leaflet-tile-loaded").first().waitFor({ timeout: 15_000 });
    // Zoom far out: the map's corners then lie well outside the district.
    for (let i = 0; i < 5; i++) {
      await page.locator("#pick-map .leaflet-control-zoom-out").click();
      await page.waitForTimeout(300);
    }
    const box = await page.locator("#pick-map").boundingBox();
    await page.mouse.click(box.x + 12, box.y + box.height - 40);
    const n = page.locator("#pick-map .map-notice");
    await n.waitFor({ state: "visible", timeout: 5_000 });
    assert.match(await n.innerText(), /不在本辖区/);
    assert.equal(await page.$eval("#lng", (e) => e.value), "", "no place is marked outside the district");
    guard.check();
    await context.close();
  });

  test("a resident finds 枫桥镇, reports inside it and follows the report to the mediation's close", async () => {
    const { page, guard } = await newGuardedPage(browser, demo.url, { viewport: PHONE });
    await page.goto("/report");
    // The base map's tiles arrive from the binary itself.
    await page.locator("#pick-map img.leaflet-tile-loaded").first().waitFor({ timeout: 15_000 });
    assert.match(await (await search(page, "枫桥", "枫桥镇")).innerText(), /枫桥镇/);
    assert.match(await (await search(page, "fqz", "枫桥镇")).innerText(), /枫桥镇/);
    await (await search(page, "cjsq", "陈家社区")).click();
    assert.ok(await page.$eval("#lng", (e) => e.value), "choosing a village marks its place");
    const box = await page.locator("#pick-map").boundingBox();
    // Tap the middle of the map (the village chosen above) and report.
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.fill("#r-description", "邻居装修占用楼道，双方争吵");
    await page.fill("#r-address", "陈家社区 12 号");
    await page.fill("#r-phone", "13700002222");
    await page.click("#r-submit");
    await page.waitForURL(/\/track\?code=/);
    const code = (await page.locator("#tracking-code").innerText()).trim();
    assert.match(await page.locator("#track-timeline").innerText(), /已受理/);

    // Staff work the report through dispatch and the handoff; the mediators close it.
    const api = await playwright().request.newContext({ baseURL: demo.url });
    const as = async (u) => {
      assert.equal((await api.post("/api/v1/session", { data: { username: u, password: login(u).password } })).status(), 200);
    };
    await as("dispatcher");
    const all = await (await api.get("/api/v1/incidents?status=all")).json();
    const incident = all.find((i) => i.tracking_code === code);
    const units = await (await api.get("/api/v1/units")).json();
    const car = units.find((u) => u.call_sign === "枫桥1号车");
    let r = await api.post(`/api/v1/incidents/${incident.id}/actions`, { data: { action: "dispatch", unit_ids: [car.id] } });
    assert.equal(r.status(), 200, await r.text());
    await page.goto(`/track?code=${code}`);
    assert.match(await page.locator("#track-timeline").innerText(), /已派出警力/);
    r = await api.post(`/api/v1/incidents/${incident.id}/actions`, { data: { action: "arrive", unit_id: car.id } });
    assert.equal(r.status(), 200, await r.text());
    r = await api.post(`/api/v1/incidents/${incident.id}/actions`, { data: { action: "transfer", to: "mediation", note: "邻里纠纷" } });
    assert.equal(r.status(), 200, await r.text());
    await as("villagemediator");
    const disputes = await (await api.get("/api/v1/disputes")).json();
    const dispute = disputes.find((d) => d.incident_id === incident.id);
    assert.ok(dispute, "the handoff registered a dispute in the village mediators' list");
    r = await api.post(`/api/v1/disputes/${dispute.id}/agreement`, { data: {
      facts: "装修材料堆放楼道。", issues: "楼道占用。", responsibilities: "装修方清理。",
      terms: [{ content: "三日内清理楼道", performer: "装修方", due_date: "2027-01-31" }],
      mediator: "陈调解", committee: "陈家社区人民调解委员会", judicial_confirmation: false } });
    assert.equal(r.status(), 201, await r.text());
    const detail = await (await api.get(`/api/v1/disputes/${dispute.id}`)).json();
    for (const f of detail.followups) {
      r = await api.post(`/api/v1/disputes/${dispute.id}/followups/${f.id}`, { data: { result: "performed" } });
      assert.equal(r.status(), 204, await r.text());
    }
    r = await api.post(`/api/v1/disputes/${dispute.id}/actions`, { data: { action: "close", note: "案结事了" } });
    assert.equal(r.status(), 200, await r.text());

    await page.goto(`/track?code=${code}`);
    const timeline = await page.locator("#track-timeline").innerText();
    for (const step of ["已受理", "已派出警力", "民警已到达现场", "已移交人民调解", "人民调解委员会已受理", "双方已达成调解协议", "调解已结案"]) {
      assert.ok(timeline.includes(step), `the timeline lacks ${step}: ${timeline}`);
    }
    assert.ok(!timeline.includes("villagemediator") && !timeline.includes("13700002222"), "no staff names or personal data");
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, "no sideways scrolling");
    await api.dispose();
    guard.check();
  });

  test("a mediator registers a dispute on a phone: search, tap, and two problems beside their fields", async () => {
    const { page, guard } = await newGuardedPage(browser, demo.url, { viewport: PHONE });
    await page.goto("/login");
    await submitLogin(page, "villagemediator", login("villagemediator").password);
    await page.goto("/disputes/new");
    await (await search(page, "cjsq", "陈家社区")).click();
    const box = await page.locator("#pick-map").boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    assert.ok(await page.$eval("#lng", (e) => e.value), "the tap set the place");
    await page.fill("input[name=title]", "宅基地界址纠纷");
    await page.fill("textarea[name=description]", "两户因围墙界址争执");
    await page.fill("input[name=address]", "陈家社区 9 号");
    await page.fill("input[name=p1_name]", "张三丰");
    await page.fill("input[name=p1_id_number]", "330681198001011238");
    await page.fill("input[name=p1_phone]", "12345");
    await page.click("#register");
    await page.locator("#err-p1_id_number").waitFor();
    assert.match(await page.locator("#err-p1_id_number").innerText(), /身份证号码校验位不对/);
    assert.match(await page.locator("#err-p1_phone").innerText(), /电话号码不正确/);
    assert.equal(await page.inputValue("input[name=title]"), "宅基地界址纠纷", "what was typed is kept");
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, "no sideways scrolling");
    // Fixed, it registers.
    await page.fill("input[name=p1_id_number]", "");
    await page.fill("input[name=p1_phone]", "13812345678");
    await page.click("#register");
    await page.waitForURL(/\/disputes\/[0-9a-f-]+$/);
    guard.check();
  });
});
