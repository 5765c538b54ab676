// 雪亮工程 in a real headless Chromium: the chief sees the demo cameras' sectors and names on the map,
// clicks beside a camera to ask which cameras could have seen the spot, and approves the demo
// officer's footage request; the officer then records its export.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("cameras (headless Chromium)", ready, () => {});

describe("cameras (headless Chromium)", { timeout: 3 * 60_000, ...ready }, () => {
  let demo;
  let browser;

  before(async () => {
    demo = await startDemo({ seed: 7 });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  async function signIn(username) {
    const login = demo.logins.find((l) => l.username === username);
    const opened = await newGuardedPage(browser, demo.url);
    await opened.page.goto("/login");
    await submitLogin(opened.page, login.username, login.password);
    return opened;
  }

  test("sectors on the map, a witness search, a footage request approved and exported", async () => {
    const { page, guard, context } = await signIn("chief");
    await page.goto("/cameras");
    await page.waitForSelector("#camera-map path.camera-sector");
    const sites = await (await page.request.get("/api/v1/camera-sites")).json();
    const withSector = sites.filter((c) => c.sector).length;
    assert.ok(withSector >= 2, "the demo cameras have sectors");
    assert.equal(await page.locator("#camera-map path.camera-sector").count(), withSector);
    assert.ok((await page.locator("#camera-map .camera-label").count()) >= withSector);
    // The silent demo camera shows offline in the registry.
    assert.match(await page.locator("#cameras-table").innerText(), /离线/);

    // Which cameras could have seen a point 20 m in front of the 陈家东门 camera (it looks at 200°), now.
    const gate = sites.find((c) => c.kind === "community_gate");
    const r = (200 * Math.PI) / 180;
    const lng = gate.lng + (Math.sin(r) * 20) / (111320 * Math.cos((gate.lat * Math.PI) / 180));
    const lat = gate.lat + (Math.cos(r) * 20) / 110574;
    await page.fill("#witness-lng", lng.toFixed(6));
    await page.fill("#witness-lat", lat.toFixed(6));
    const local = new Date(Date.now() + 8 * 3600_000 - 60_000).toISOString().slice(0, 16);
    await page.fill("#witness-at", local);
    await Promise.all([page.waitForEvent("load"), page.click("#witness-submit")]);
    const seen = page.locator(`#witnesses li[data-code="${gate.code}"]`);
    assert.equal(await seen.count(), 1, await page.locator("aside").innerText());

    // The demo officer's request, awaiting the chief: approve it.
    const row = page.locator("#footage-table tbody tr").first();
    assert.match(await row.innerText(), /待审批/);
    await Promise.all([page.waitForEvent("load"), row.locator(".approve-footage").click()]);
    assert.match(await page.locator("#footage-table tbody tr").first().innerText(), /已批准/);
    guard.check();
    await context.close();

    const officer = await signIn("officer");
    await officer.page.goto("/cameras#footage");
    const mine = officer.page.locator("#footage-table tbody tr").first();
    await mine.locator('input[name="export_ref"]').fill("平台导出 EX-0001");
    await Promise.all([officer.page.waitForEvent("load"), mine.locator(".export-footage").click()]);
    assert.match(await officer.page.locator("#footage-table tbody tr").first().innerText(), /已导出.*EX-0001/s);
    officer.guard.check();
    await officer.context.close();
  });
});
