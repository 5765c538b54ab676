// Issue 18: notifications for people. On a phone, the village mediator's inbox holds the demo dispute
// the tier clock moved up from the grid (and no case alerts); the officer's holds the 网上巡查 alerts on
// their cases (and no dispute escalation). The header shows the unread count; opening one marks it
// read and lands on its object; "mark all read" empties the count.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, pathOf, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("notifications inbox (headless Chromium)", ready, () => {});

const PHONE = { width: 390, height: 844 };

describe("notifications inbox (headless Chromium)", { timeout: 3 * 60_000, ...ready }, () => {
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

  /** Logs `who` in on a phone and waits until the header's unread count has been loaded. */
  async function inboxOf(who) {
    const session = await newGuardedPage(browser, demo.url, { viewport: PHONE });
    const { page } = session;
    await page.goto("/login");
    await submitLogin(page, who, login(who).password);
    await page.waitForFunction(() => document.querySelector("#inbox-count")?.textContent.trim() !== "", null, {
      timeout: 15_000,
    });
    const badge = Number(await page.locator("#inbox-count").innerText());
    await clickAndLoad(page, "#inbox");
    assert.equal(pathOf(page), "/notifications");
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), false,
      "the inbox scrolls sideways on a phone");
    const items = await page.locator("#notifications li").evaluateAll((lis) =>
      lis.map((li) => ({ id: li.dataset.id, unread: li.dataset.unread === "true", text: li.innerText })));
    return { ...session, badge, items };
  }

  test("the village mediator sees the escalated dispute, opens it, and it is read", async () => {
    // The tier clock runs when the server starts; the demo's eight-day-old grid dispute moves up.
    const { page, guard, context, badge, items } = await inboxOf("villagemediator");
    try {
      const escalated = items.find((n) => n.text.includes("纠纷升级") && n.text.includes("超时上交村(社区)"));
      assert.ok(escalated, `no escalation in the village mediator's inbox: ${JSON.stringify(items)}`);
      assert.ok(escalated.unread);
      assert.equal(badge, items.filter((n) => n.unread).length, "header count ≠ unread items");
      assert.ok(!items.some((n) => n.text.includes("网上巡查")), "a case alert reached the village mediator");

      await clickAndLoad(page, `li[data-id="${escalated.id}"] button.open`);
      assert.match(pathOf(page), /^\/disputes\/[^/]+$/);
      assert.match(await page.locator("#content").innerText(), /相邻通道堆放杂物纠纷/);
      await page.goto("/notifications");
      assert.equal(await page.locator(`li[data-id="${escalated.id}"]`).getAttribute("data-unread"), "false");
      guard.check();
    } finally {
      await context.close();
    }
  });

  test("the officer sees case alerts, and marks all read", async () => {
    const { page, guard, context, badge, items } = await inboxOf("officer");
    try {
      const alerts = items.filter((n) => n.text.includes("网上巡查预警") && n.text.includes("网上巡查："));
      assert.ok(alerts.length > 0, `no case alert in the officer's inbox: ${JSON.stringify(items)}`);
      assert.ok(!items.some((n) => n.text.includes("纠纷升级")), "a dispute escalation reached the officer");
      assert.ok(badge >= alerts.filter((n) => n.unread).length);

      await clickAndLoad(page, `li[data-id="${alerts[0].id}"] button.open`);
      assert.match(pathOf(page), /^\/cases\/[^/]+$/);

      await page.goto("/notifications");
      await clickAndLoad(page, "#read-all");
      assert.equal(await page.locator("#inbox-unread").getAttribute("data-unread"), "0");
      assert.equal(await page.locator("#notifications li.unread").count(), 0);
      await page.waitForFunction(() => document.querySelector("#inbox-count")?.textContent.trim() === "");
      // Only the unread: none left.
      await clickAndLoad(page, "#inbox-only-unread");
      assert.equal(await page.locator("#notifications li").count(), 0);
      assert.ok(await page.locator("#inbox-empty").isVisible());
      guard.check();
    } finally {
      await context.close();
    }
  });
});
