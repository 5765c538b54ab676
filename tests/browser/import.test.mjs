// Grid import in a real headless Chromium: upload a layer with an error, see the error row, fix the
// file, import it, and see the changed grid on the map.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("grid import (headless Chromium)", ready, () => {});

describe("grid import (headless Chromium)", { timeout: 5 * 60_000, ...ready }, () => {
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

  test("upload with an error → error row; fix → preview → confirm → grid on the map", async () => {
    const login = demo.logins.find((l) => l.username === "coordinator");
    const { context, page, guard } = await newGuardedPage(browser, demo.url);
    try {
      await page.goto("/login");
      await submitLogin(page, login.username, login.password);
      await page.goto("/import/grids");
      // Today's layer of the grid to change, as the API serves it.
      const layer = await page.evaluate(async () => (await fetch("/api/v1/geo/grids")).json());
      const target = layer.features.find((f) => f.properties.code === "330681109004002");
      assert.ok(target, "grid 330681109004002 exists in the demo");
      const renamed = "陈家社区第2网格（调整）";
      const feature = {
        type: "Feature",
        properties: { code: target.properties.code, name: renamed, kind: "basic" },
        geometry: JSON.parse(JSON.stringify(target.geometry)),
      };
      const ring = () => (feature.geometry.type === "Polygon" ? feature.geometry.coordinates[0] : feature.geometry.coordinates[0][0]);
      const closing = ring().pop(); // unclosed ring
      const file = (f) => ({
        name: "grids.geojson",
        mimeType: "application/geo+json",
        buffer: Buffer.from(JSON.stringify({ type: "FeatureCollection", features: [f] })),
      });

      await page.setInputFiles("#import-file", file(feature));
      await clickAndLoad(page, "#import-preview");
      const errors = page.locator("#import-errors tbody tr");
      assert.equal(await errors.count(), 1);
      const row = await errors.first().innerText();
      assert.match(row, /330681109004002/);
      assert.match(row, /not closed/);
      assert.equal(await page.locator("#import-confirm").count(), 0, "no confirm button while errors remain");

      ring().push(closing); // fixed
      await page.setInputFiles("#import-file", file(feature));
      await clickAndLoad(page, "#import-preview");
      assert.equal(await page.locator("#import-errors").count(), 0);
      assert.equal((await page.textContent("#count-update")).trim(), "1");
      await clickAndLoad(page, "#import-confirm");
      await page.locator("#import-done").waitFor({ state: "visible" });

      await clickAndLoad(page, "#to-map");
      await page.locator("#map[data-ready]").waitFor({ state: "attached" });
      assert.equal(await page.getAttribute("#map", "data-ready"), "40");
      await page.locator("path.grid-330681109004002").click({ force: true });
      await page.locator("#grid-card").waitFor({ state: "visible" });
      assert.equal((await page.textContent("#grid-card-name")).trim(), renamed);
      guard.check();
    } finally {
      await context.close();
    }
  });
});
