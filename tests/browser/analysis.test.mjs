// Issue 6: the 研判简报 the demo server composes at start-up, opened in a real headless Chromium: the
// brief page for the demo district draws a non-empty hotspot map from the brief's stored layers (Gi*
// hot cells as SVG paths, no internet tiles), shows the trend table, prints to PDF with the tables and
// without the navigation. The analysis workbench draws the layers for a user's own area and fills the
// trend and repeat-location tables from the API; a phone-sized screen gets the same without overflow.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { launchBrowser, newGuardedPage, outsideReferences, prerequisites, skipOrFail, startDemo, submitLogin } from "./harness.mjs";

function pdftotextReady() {
  try {
    execFileSync("pdftotext", ["-v"], { stdio: "ignore" });
    return {};
  } catch {
    return skipOrFail("pdftotext (poppler-utils) is not installed");
  }
}

let ready = prerequisites();
if (!ready.skip) ready = pdftotextReady();
if (ready.skip) test("analysis briefs (headless Chromium)", ready, () => {});

describe("analysis briefs (headless Chromium)", { timeout: 5 * 60_000, ...ready }, () => {
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

  async function signIn(username, viewport) {
    const login = demo.logins.find((l) => l.username === username);
    assert.ok(login, `demo login ${username}`);
    const opened = await newGuardedPage(browser, demo.url, viewport ? { viewport } : undefined);
    await opened.page.goto("/login");
    await submitLogin(opened.page, login.username, login.password);
    return opened;
  }

  /** The briefs list, once the server's first check has composed them (it runs at start-up). */
  async function briefRows(page, want) {
    for (let i = 0; i < 40; i++) {
      const resp = await page.goto("/briefs");
      assert.equal(resp.status(), 200);
      const n = await page.locator("#briefs tbody tr").count();
      if (n >= want) return n;
      await page.waitForTimeout(500);
    }
    throw new Error("the demo server composed no briefs");
  }

  test("the district's weekly brief draws its hotspot map and prints", async () => {
    const { context, page, guard } = await signIn("leader");
    try {
      assert.equal(await briefRows(page, 8), 8, "daily and weekly for the district and its three stations");
      const row = page.locator('#briefs tr[data-subject-kind="district"][data-period-kind="weekly"] a');
      assert.equal(await row.count(), 1);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), row.click()]);
      await page.locator("#brief-map[data-ready]").waitFor({ state: "attached" });
      const cells = Number(await page.getAttribute("#brief-map", "data-ready"));
      assert.ok(cells > 0, "the brief's map holds significant cells");
      const hot = await page.locator("#brief-map path.hot-cell").count();
      assert.ok(hot > 0, "hot cells are drawn");
      assert.equal(String(hot), (await page.textContent("#hot-count")).trim(), "every hot cell of the brief is on the map");
      assert.equal(await page.getAttribute("#hot-frame", "data-frame"), "grids", "Gi* ran over the district's grids");
      assert.match(await page.textContent("#hot-frame"), /网格/, "the page says which cells were compared");
      assert.ok((await page.locator("#brief-map path.repeat-place").count()) > 0, "repeat locations are marked");
      // The map has a real size on screen (not a collapsed div).
      const box = await page.locator("#brief-map").boundingBox();
      assert.ok(box && box.width > 300 && box.height > 200, JSON.stringify(box));
      const trendRows = await page.locator("#trend-table tbody tr").count();
      assert.ok(trendRows >= 5, "total, three townships and categories");
      assert.match(await page.textContent("#trend-table tbody tr.trend-total"), /合计/);
      assert.ok((await page.locator("#repeat-table tbody tr").count()) > 0);
      assert.deepEqual(await outsideReferences(page), []);

      const pdf = await page.pdf({ format: "A4", printBackground: true });
      const dir = mkdtempSync(join(tmpdir(), "pingan-brief-"));
      const file = join(dir, "brief.pdf");
      writeFileSync(file, pdf);
      const text = execFileSync("pdftotext", ["-layout", "-enc", "UTF-8", file, "-"]).toString("utf8").replace(/[ \t]+/g, " ");
      for (const words of ["诸暨市 周报", "趋势（环比/同比）", "热点图", "重复警情地点", "近重复（Knox 检验）"]) {
        assert.ok(text.includes(words), `the printed brief holds ${words}:\n${text.slice(0, 600)}`);
      }
      assert.ok(!text.includes("English") && !text.includes("指挥调度"), "no navigation on paper");
      guard.check();
    } finally {
      await context.close();
    }
  });

  test("the workbench draws a station chief's own area and fills the tables", async () => {
    const { context, page, guard } = await signIn("chief");
    try {
      const resp = await page.goto("/analysis");
      assert.equal(resp.status(), 200);
      // The chief's scope is 枫桥镇: the area list starts there and holds nothing outside it.
      const areas = await page.locator("#analysis-area option").evaluateAll((os) => os.map((o) => o.value));
      assert.equal(areas[0], "/330681/330681109/");
      assert.ok(areas.every((a) => a.startsWith("/330681/330681109/")), areas.join(" "));
      await page.locator("#analysis-map[data-ready]").waitFor({ state: "attached" });
      await page.waitForFunction(() => document.querySelector("#analysis-map").dataset.ready !== "");
      assert.ok(Number(await page.getAttribute("#analysis-map", "data-ready")) > 0, "significant cells over four weeks of 枫桥");
      assert.ok((await page.locator("#analysis-map path.hot-cell").count()) > 0);
      assert.ok((await page.locator("#trend-table tbody tr").count()) >= 2);
      assert.ok((await page.locator("#near-table tbody tr").count()) === 4, "three distance bands and beyond");
      // A narrower question: thefts only, a shorter period.
      await page.selectOption("#analysis-types", ["100100"]);
      await page.locator('input[name="from"]').fill(await page.locator('input[name="to"]').inputValue());
      await page.locator("#analysis-run").click();
      await page.waitForFunction(() => document.querySelector("#analysis-map").dataset.ready !== "");
      const day = await page.locator('input[name="to"]').inputValue();
      const expected = await page.evaluate(async (d) => {
        const r = await fetch(`/api/v1/analysis/hotspots?area=/330681/330681109/&from=${d}&to=${d}&types=100100`);
        return (await r.json()).events;
      }, day);
      assert.match(await page.textContent("#analysis-summary"), new RegExp(`警情数 ${expected} `), "the summary is the filtered selection's");
      assert.equal(await page.getAttribute("#analysis-summary", "data-frame"), "grids");
      assert.match(await page.textContent("#analysis-summary"), /比较范围：所选区域网格内的格/, "the summary names the frame");
      guard.check();
    } finally {
      await context.close();
    }
  });

  test("the brief reads on a phone", async () => {
    const { context, page, guard } = await signIn("chief", { width: 390, height: 844 });
    try {
      assert.equal(await briefRows(page, 2), 2, "the chief sees the 枫桥 station's two briefs only");
      const row = page.locator('#briefs tr[data-period-kind="daily"] a').first();
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), row.click()]);
      await page.locator("#brief-map[data-ready]").waitFor({ state: "attached" });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
      guard.check();
    } finally {
      await context.close();
    }
  });
});
