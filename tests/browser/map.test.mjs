// The grid map in a real headless Chromium: grids drawn from the database with no internet tiles,
// clicking a grid opens its card, and a scoped user sees only their own grids.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launchBrowser, newGuardedPage, outsideReferences, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("grid map (headless Chromium)", ready, () => {});

describe("grid map (headless Chromium)", { timeout: 5 * 60_000, ...ready }, () => {
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

  async function openMapAs(username) {
    const login = demo.logins.find((l) => l.username === username);
    assert.ok(login, `demo login ${username}`);
    const { context, page, guard } = await newGuardedPage(browser, demo.url);
    await page.goto("/login");
    await submitLogin(page, login.username, login.password);
    const resp = await page.goto("/map");
    assert.equal(resp.status(), 200);
    await page.locator("#map[data-ready]").waitFor({ state: "attached" });
    return { context, page, guard };
  }

  test("the coordinator sees all 40 grids and a grid's card", async () => {
    const { context, page, guard } = await openMapAs("coordinator");
    try {
      assert.equal(await page.getAttribute("#map", "data-ready"), "40");
      assert.equal(await page.locator("path.grid-shape").count(), 40);
      assert.deepEqual(await outsideReferences(page), []);
      await page.locator("path.grid-330681109004002").click({ force: true });
      await page.locator("#grid-card").waitFor({ state: "visible" });
      assert.equal((await page.textContent("#grid-card-code")).trim(), "330681109004002");
      assert.equal(await page.getAttribute("#grid-card-link", "href"), "/areas/330681109004");
      await page.locator('#grid-card[data-loaded="330681109004002"]').waitFor({ state: "attached" });
      assert.match(await page.textContent("#grid-card-workers"), /周网格/, "the demo grid worker leads this grid");
      assert.equal((await page.textContent("#grid-card-places")).trim(), "0");
      guard.check();
    } finally {
      await context.close();
    }
  });

  test("the grid worker's map holds only the grids of 陈家社区", async () => {
    const { context, page, guard } = await openMapAs("gridworker");
    try {
      assert.equal(await page.getAttribute("#map", "data-ready"), "4");
      assert.equal(await page.locator("path.grid-330681001001001").count(), 0);
      guard.check();
    } finally {
      await context.close();
    }
  });
});
