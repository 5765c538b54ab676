// Issue 7: a legal supervisor (法制) works a 网上巡查 alert end to end in a real headless Chromium. The
// demo's theft case has an overdue filing review; the supervisor escalates it with a note, the handling
// officer explains on a phone, the supervisor accepts, and the alert's history shows each step with
// who did it. The officer then records the overdue step on the case page and the clock shows it late.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("case supervision (headless Chromium)", ready, () => {});

describe("case supervision (headless Chromium)", { timeout: 5 * 60_000, ...ready }, () => {
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

  const OVERDUE = 'tr[data-rule="criminal_filing_review"][data-kind="overdue"]';

  async function act(page, button, note) {
    await page.locator("#alert-note").fill(note);
    await clickAndLoad(page, button);
    assert.equal(await page.locator("#form-error").count(), 0, await page.locator("#form-error").textContent().catch(() => ""));
  }

  test("escalate, explain, accept — with the history to show for it", async () => {
    let alertPath;
    {
      const { context, page, guard } = await signIn("legal");
      try {
        const resp = await page.goto("/case-alerts");
        assert.equal(resp.status(), 200);
        const row = page.locator(`${OVERDUE}[data-status="open"]`);
        assert.equal(await row.count(), 1, "the demo theft's overdue filing review is waiting");
        assert.match(await row.textContent(), /陈家村电动车被盗案/);
        await clickAndLoad(page, `${OVERDUE}[data-status="open"] a[href^="/case-alerts/"]`);
        alertPath = new URL(page.url()).pathname;
        assert.equal(await page.getAttribute("#alert-status", "data-status"), "open");
        assert.equal(await page.locator("#act-explain").count(), 0, "the supervisor does not explain");
        await act(page, "#act-escalate", "立案审查已超期两天，请所里督办并说明原因");
        assert.equal(await page.getAttribute("#alert-status", "data-status"), "escalated");
        guard.check();
      } finally {
        await context.close();
      }
    }
    {
      const { context, page, guard } = await signIn("officer", { width: 390, height: 844 });
      try {
        await page.goto(alertPath);
        assert.equal(await page.locator("#act-accept").count(), 0, "the officer does not accept");
        await act(page, "#act-explain", "报案人补充被盗车辆购买凭证延误，今日已完成立案审查");
        assert.equal(await page.getAttribute("#alert-status", "data-status"), "explained");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `the alert page is ${overflow}px wider than the phone`);
        guard.check();
      } finally {
        await context.close();
      }
    }
    {
      const { context, page, guard } = await signIn("legal");
      try {
        await page.goto(alertPath);
        await act(page, "#act-accept", "说明属实，采纳，销警");
        assert.equal(await page.getAttribute("#alert-status", "data-status"), "accepted");
        const actions = await page.locator("#history li").evaluateAll((li) => li.map((x) => x.dataset.action));
        assert.deepEqual(actions, ["opened", "escalate", "explain", "accept"]);
        const text = await page.textContent("#history");
        assert.match(text, /郑法制/, "the supervisor's name");
        assert.match(text, /报案人补充被盗车辆购买凭证延误/, "the officer's explanation");
        assert.equal(await page.locator("#act-accept").count(), 0, "nothing left to accept");
        // The inbox lists it as settled.
        await page.goto("/case-alerts");
        assert.equal(await page.locator(`${OVERDUE}[data-status="accepted"]`).count(), 1);
        guard.check();
      } finally {
        await context.close();
      }
    }
  });

  test("the officer records the missing filing and the clock shows it late", async () => {
    const { context, page, guard } = await signIn("officer");
    try {
      const resp = await page.goto("/cases");
      assert.equal(resp.status(), 200);
      assert.equal(await page.locator("#cases tbody tr").count(), 4, "the demo's four cases");
      const href = await page.locator("#cases tr", { hasText: "陈家村电动车被盗案" }).locator("a").getAttribute("href");
      await page.goto(href);
      assert.match(await page.textContent("h1"), /陈家村电动车被盗案/);
      assert.equal(await page.getAttribute('#clocks tr[data-rule="criminal_filing_review"]', "class"), "clock-overdue");
      await page.selectOption("#step-select", "file");
      await clickAndLoad(page, "#step-submit");
      assert.equal(await page.locator("#form-error").count(), 0);
      assert.match(await page.textContent("#steps"), /立案/);
      assert.equal(await page.getAttribute('#clocks tr[data-rule="criminal_filing_review"]', "class"), "clock-met_late");
      // A per-suspect step without its suspect is refused with the reason on the page.
      await page.selectOption("#step-select", "detain");
      await page.locator("#step-submit").click();
      await page.locator("#form-error").waitFor();
      assert.match(await page.textContent("#form-error"), /嫌疑人|item/);
      guard.check();
    } finally {
      await context.close();
    }
  });
  test("a spot-check sample with its seed, a finding, a rubric and a review", async () => {
    const { context, page, guard } = await signIn("legal");
    try {
      let resp = await page.goto("/case-samples");
      assert.equal(resp.status(), 200);
      await page.locator('input[name="per_stratum"]').fill("1");
      await page.locator('input[name="seed"]').fill("42");
      await page.selectOption('select[name="status"]', "all");
      await clickAndLoad(page, "#draw-submit");
      assert.match(await page.textContent("#sample-facts"), /42/, "the seed is shown with the sample");
      const items = await page.locator("#sample-items tbody tr").count();
      assert.ok(items >= 2, "one case per station × kind of the demo's cases");
      await page.locator("#sample-items tbody tr:first-child input[name=finding]").fill("卷宗齐全，笔录签名完整");
      await clickAndLoad(page, "#sample-items tbody tr:first-child button");
      assert.match(await page.textContent("#sample-items"), /卷宗齐全，笔录签名完整/);
      // The same seed again: the same cases.
      const first = await page.locator("#sample-items tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.caseId));
      await page.goto("/case-samples");
      await page.locator('input[name="per_stratum"]').fill("1");
      await page.locator('input[name="seed"]').fill("42");
      await page.selectOption('select[name="status"]', "all");
      await clickAndLoad(page, "#draw-submit");
      const again = await page.locator("#sample-items tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.caseId));
      assert.deepEqual(again, first);

      resp = await page.goto("/case-reviews");
      assert.equal(resp.status(), 200);
      assert.ok((await page.locator("#case-stats tbody tr").count()) >= 1, "the 枫桥 station's statistics");
      await clickAndLoad(page, "#rubric-submit");
      assert.match(await page.textContent("#rubrics"), /刑事案件评查/);
      await page.goto(`/cases/${first[0]}`);
      const form = page.locator("form.review-form").first();
      await form.locator('input[value="late_notice"]').check();
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), form.locator("button").click()]);
      assert.match(await page.textContent("#review-results"), /郑法制：95\.0/);
      guard.check();
    } finally {
      await context.close();
    }
  });
});
