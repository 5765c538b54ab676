// 指标看板 in a real headless Chromium (issue 23): the station chief, on a 390 px phone, opens the
// dashboard (the town's figures with ECharts bars), taps a figure's count and sees the list of
// exactly that many records, page by page; narrows to a village from the sub-area chart's table. The
// monthly report prints to PDF on the server (Chromium) with its SVG charts; pdftotext finds the
// headline figures.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clickAndLoad, launchBrowser, newGuardedPage, pathOf, prerequisites, skipOrFail, startDemo, submitLogin } from "./harness.mjs";

function hasPdftotext() {
  try {
    execFileSync("pdftotext", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const ready = prerequisites();
if (ready.skip) test("KPI dashboard (headless Chromium)", ready, () => {});

describe("KPI dashboard (headless Chromium)", { timeout: 4 * 60_000, ...ready }, () => {
  let demo;
  let browser;
  const open = [];

  before(async () => {
    demo = await startDemo({ seed: 7 });
    browser = await launchBrowser();
  });

  after(async () => {
    for (const p of open) await p.context.close().catch(() => {});
    await browser?.close();
    await demo?.stop();
  });

  async function signIn(username, opts) {
    const login = demo.logins.find((l) => l.username === username);
    const opened = await newGuardedPage(browser, demo.url, opts);
    open.push(opened);
    await opened.page.goto("/login");
    await submitLogin(opened.page, login.username, login.password);
    return opened;
  }

  /** Rows of a records list, following its next-page links. */
  async function countRows(page) {
    let rows = await page.locator("#records tbody tr").count();
    while ((await page.locator("#records-next").count()) > 0) {
      await clickAndLoad(page, "#records-next");
      rows += await page.locator("#records tbody tr").count();
    }
    return rows;
  }

  test("a chief on a phone taps a figure and sees the records it counts", async () => {
    const { page, guard } = await signIn("chief", { viewport: { width: 390, height: 844 } });
    const resp = await page.goto("/kpi");
    assert.equal(resp.status(), 200);
    assert.match(await page.locator("#kpi-trail").innerText(), /枫桥镇/);
    // Last month: a whole month of the demo's history.
    const lastMonth = await page.locator("#kpi-period option").nth(1).getAttribute("value");
    await page.selectOption("#kpi-period", lastMonth);
    await clickAndLoad(page, "#kpi-filter button[type=submit]");
    assert.match(page.url(), new RegExp(`period=${lastMonth}`));
    // The category chart is drawn (ECharts, SVG renderer) and the page fits the phone.
    await page.locator("#chart-incidents-received svg").first().waitFor();
    await page.locator("#chart-parts svg").first().waitFor();
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(sideways, false, "the dashboard fits the phone");
    for (const group of ["incidents", "cases", "disputes"]) {
      assert.equal(await page.locator(`#kpi-${group}`).count(), 1, `${group} figures shown`);
    }

    // Tap the incident count; the list holds exactly that many, over its pages.
    const link = page.locator('[data-figure="incidents.received"] a[data-count="current"]');
    const shown = Number(await link.locator("strong").innerText());
    assert.ok(shown > 0, "the demo has incidents last month");
    await clickAndLoad(page, link);
    assert.equal(pathOf(page), "/kpi/records");
    assert.equal(Number(await page.locator("[data-total]").innerText()), shown);
    assert.equal(await countRows(page), shown);
    guard.check();

    // The satisfaction figure's two counts each open their own list.
    await page.goto(`/kpi?period=${lastMonth}`);
    for (const role of ["num", "den"]) {
      const a = page.locator(`[data-figure="incidents.satisfaction"] a[data-count="${role}"]`);
      const n = Number(await a.locator("strong").innerText());
      await clickAndLoad(page, a);
      assert.equal(await countRows(page), n, `satisfaction ${role}`);
      await page.goBack();
    }

    // A category's count from the breakdown table.
    await page.goto(`/kpi?period=${lastMonth}`);
    const cat = page.locator('[data-breakdown="incidents.received"] tbody tr').first().locator("a[data-count]");
    const catN = Number(await cat.innerText());
    await clickAndLoad(page, cat);
    assert.equal(await countRows(page), catN);

    // Narrow to a village from the sub-area table; the trail names town › village.
    await page.goto(`/kpi?period=${lastMonth}`);
    const village = page.locator("#kpi-parts tbody tr").first().locator("td").first().locator("a");
    const name = await village.innerText();
    await clickAndLoad(page, village);
    const trail = await page.locator("#kpi-trail").innerText();
    assert.match(trail, /枫桥镇/);
    assert.ok(trail.includes(name), `${trail} names ${name}`);
    guard.check();
  });

  const pdfReady = hasPdftotext() ? {} : skipOrFail("pdftotext not found (apt-get install poppler-utils)");
  test("the monthly report prints to PDF with its figures and charts", pdfReady, async () => {
    const { page, guard } = await signIn("chief");
    await page.goto("/kpi");
    const lastMonth = await page.locator("#kpi-period option").nth(1).getAttribute("value");
    await page.goto(`/kpi?period=${lastMonth}`);
    const incidents = await page.locator('[data-figure="incidents.received"] [data-value]').innerText();
    const satisfaction = await page.locator('[data-figure="incidents.satisfaction"] [data-value]').innerText();
    await clickAndLoad(page, "#kpi-report-link");
    assert.equal(pathOf(page), "/kpi/report");
    const title = await page.locator("#report-title").innerText();
    assert.ok((await page.locator("svg.report-chart").count()) >= 2, "server-drawn charts");
    assert.equal(await page.locator('[data-figure="incidents.received"] [data-value]').innerText(), incidents);
    guard.check();

    const href = await page.getAttribute("#report-pdf", "href");
    const resp = await page.request.get(href);
    assert.equal(resp.status(), 200);
    assert.equal(resp.headers()["content-type"], "application/pdf");
    const dir = mkdtempSync(join(tmpdir(), "pingan-report-"));
    const file = join(dir, "report.pdf");
    writeFileSync(file, await resp.body());
    const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
    const flat = text.replace(/\s+/g, "");
    for (const want of [title, "警情总数", incidents, "回访满意率", satisfaction, "统计口径"]) {
      assert.ok(flat.includes(want.replace(/\s+/g, "")), `the PDF says ${want}`);
    }
    assert.match(text, /本期\s+上期\s+去年同期/, "the chart legend is in the PDF (SVG, no script)");
  });
});
