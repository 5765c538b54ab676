// 考核 in a real headless Chromium (issue 23): the 综治 coordinator ranks the villages for last
// quarter, opens one village's score breakdown and follows an indicator's count to the records it
// counts; the station chief, on a 390 px phone, confirms the village item the coordinator entered.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, pathOf, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("assessment (headless Chromium)", ready, () => {});

describe("assessment (headless Chromium)", { timeout: 4 * 60_000, ...ready }, () => {
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

  test("a coordinator ranks villages for a quarter and opens one village's breakdown", async () => {
    const { page, guard } = await signIn("coordinator");
    await page.goto("/assessment");
    await page.selectOption("#ranking-type", "village");
    // The first quarter listed is the running one; the second is last quarter.
    const quarter = await page.locator("#ranking-period option").nth(1).getAttribute("value");
    assert.match(quarter, /^\d{4}-Q[1-4]$/);
    await page.selectOption("#ranking-period", quarter);
    await clickAndLoad(page, "#ranking-filter button[type=submit]");
    const rows = page.locator("#ranking tbody tr");
    assert.ok((await rows.count()) >= 3, "the demo's villages are ranked");
    // Best first: totals never rise down the table.
    const totals = (await page.locator("#ranking [data-total]").allInnerTexts()).map((t) => Number.parseFloat(t));
    const scored = totals.filter((t) => !Number.isNaN(t));
    assert.deepEqual(scored, [...scored].sort((a, b) => b - a));
    assert.equal((await rows.first().locator("td").first().innerText()).trim(), "1");

    const first = rows.first().locator("a");
    const name = await first.innerText();
    const total = await rows.first().locator("[data-total]").innerText();
    await clickAndLoad(page, first);
    assert.match(pathOf(page), /^\/assessment\/village\/\d+$/);
    assert.equal(await page.locator("h1").innerText(), name);
    assert.equal(await page.locator("#unit-total").innerText(), total);
    // Each indicator shows its weight, rate and points; the computed ones link their records.
    assert.ok((await page.locator("#indicators tbody tr").count()) >= 3);
    const link = page.locator('#indicators tr[data-indicator="dispute_resolution"] a[data-count="den"]');
    const n = Number(await link.locator("strong").innerText());
    await clickAndLoad(page, link);
    assert.equal(pathOf(page), "/kpi/records");
    assert.equal(Number(await page.locator("[data-total]").innerText()), n);
    guard.check();
  });

  test("a manual item waits for a second person, who confirms it on a phone", async () => {
    const { page } = await signIn("coordinator");
    await page.goto("/assessment?unit_type=village");
    const quarter = await page.locator("#ranking-period option").nth(1).getAttribute("value");
    await page.goto(`/assessment?unit_type=village&period=${quarter}`);
    // The demo left one village's item unconfirmed: find it.
    const hrefs = await page.locator("#ranking tbody a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    let target = null;
    for (const h of hrefs) {
      await page.goto(h);
      if ((await page.locator('#item-list li[data-confirmed="false"]').count()) > 0) {
        target = h;
        break;
      }
    }
    assert.ok(target, "one village's item awaits confirmation");
    assert.equal(await page.locator(".confirm-item").count(), 0, "the coordinator entered it and may not confirm it");
    assert.match(await page.locator('#indicators tr[data-indicator="key_work"] [data-rate]').innerText(), /无数据|no data/);

    const chief = await signIn("chief", { viewport: { width: 390, height: 844 } });
    await chief.page.goto(target);
    await clickAndLoad(chief.page, chief.page.locator(".confirm-item").first());
    assert.equal(await chief.page.locator('#item-list li[data-confirmed="false"]').count(), 0);
    assert.match(await chief.page.locator('#indicators tr[data-indicator="key_work"] [data-rate]').innerText(), /%/);
    const sideways = await chief.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(sideways, false, "the breakdown fits the phone");
    chief.guard.check();
  });
});
