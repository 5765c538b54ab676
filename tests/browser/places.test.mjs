// Places on a phone, as a grid worker uses them: the place list, one place, and the inspection form
// (a rectification without a deadline is refused with a message; a passed inspection is recorded).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("places (headless Chromium)", ready, () => {});

describe("places (headless Chromium)", { timeout: 5 * 60_000, ...ready }, () => {
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

  test("grid worker on a phone: list → place → inspection", async () => {
    const login = demo.logins.find((l) => l.username === "gridworker");
    const { context, page, guard } = await newGuardedPage(browser, demo.url, { viewport: { width: 375, height: 740 } });
    try {
      await page.goto("/login");
      await submitLogin(page, login.username, login.password);
      // Register a place at the middle of one of the worker's grids (through the API, as the app would).
      const created = await page.evaluate(async () => {
        const g = await (await fetch("/api/v1/grids/330681109004001")).json();
        const ring = g.geometry.type === "Polygon" ? g.geometry.coordinates[0] : g.geometry.coordinates[0][0];
        const pts = ring.slice(0, -1);
        const lng = pts.reduce((s, p) => s + p[0], 0) / pts.length;
        const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
        const r = await fetch("/api/v1/places", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "陈家小超市", kind: "shop", address: "陈家社区 3 号", lng, lat, contact_name: "王五", contact_phone: "13900001111" }),
        });
        return { status: r.status, body: await r.json() };
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.grid_code, "330681109004001");

      await page.goto("/places");
      const row = page.locator("#places-table tbody tr", { hasText: "陈家小超市" });
      assert.match(await row.innerText(), /139\*\*\*\*1111/, "contact is masked in the list");
      await clickAndLoad(page, "#places-table a:has-text('陈家小超市')");
      assert.equal((await page.textContent("#place-name")).trim(), "陈家小超市");

      await page.selectOption("#ins-kind", "fire");
      await page.fill("#ins-findings", "安全出口堵塞");
      await page.selectOption("#ins-result", "rectify");
      await clickAndLoad(page, "#ins-submit");
      assert.match(await page.textContent(".flash-error"), /deadline|期限/);
      assert.equal(await page.locator("#inspections-table tbody tr").count(), 0);

      await page.fill("#ins-findings", "检查合格");
      await page.selectOption("#ins-result", "pass");
      await clickAndLoad(page, "#ins-submit");
      const rows = page.locator("#inspections-table tbody tr");
      assert.equal(await rows.count(), 1);
      assert.match(await rows.first().innerText(), /检查合格/);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      assert.equal(overflow, false, "the place page does not scroll sideways on a phone");
      guard.check();
    } finally {
      await context.close();
    }
  });
});
