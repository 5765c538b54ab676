// The page shell in a real headless Chromium: login, navigation, language switch, logout, phone layout,
// area scope — for every demo login. Run: node --test tests/browser/
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  REPO,
  clickAndLoad,
  launchBrowser,
  newGuardedPage,
  outsideReferences,
  pathOf,
  prerequisites,
  startDemo,
  submitLogin,
} from "./harness.mjs";

const SHOTS = join(REPO, "target", "browser-shots");

const ready = prerequisites(); // {} or {skip: "SKIPPED (browser): …"}; throws when PINGAN_REQUIRE_ALL=1
if (ready.skip) test("page shell (headless Chromium)", ready, () => {});

describe("page shell (headless Chromium)", { timeout: 10 * 60_000, ...ready }, () => {
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

  /** Runs `fn` with a fresh guarded page; checks for outside requests / asset errors / page errors at the end. */
  async function withPage(opts, fn) {
    const { context, page, guard } = await newGuardedPage(browser, demo.url, opts);
    try {
      await fn(page);
      guard.check();
    } catch (err) {
      err.message += `\n  at ${page.url()}\n--- last server output ---\n${demo.log().split("\n").slice(-25).join("\n")}`;
      throw err;
    } finally {
      await context.close();
    }
  }

  async function navText(page) {
    return (await page.locator("#main-nav").innerText()).replace(/\s+/g, " ").trim();
  }

  async function loginFromRoot(page, login) {
    const resp = await page.goto("/");
    assert.ok(resp, "no response for /");
    assert.equal(pathOf(page), "/login", "an anonymous visit to / must end on /login");
    assert.equal(await page.locator("#login-form").count(), 1, "the login page has #login-form");
    await submitLogin(page, login.username, login.password, login.totpSecret);
    await page.locator("#main-nav").waitFor({ state: "visible" });
  }

  test("the demo printed logins for known roles", () => {
    assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(demo.logins.length > 0, "at least one login");
    const users = new Set(demo.logins.map((l) => l.username));
    assert.equal(users.size, demo.logins.length, "usernames are unique");
    assert.ok(demo.logins.some((l) => l.role === "officer"), "an officer login exists (needed by the scope test)");
  });

  test("every demo login: login, zh-CN shell, switch to English and back, logout", async (t) => {
    for (const login of demo.logins) {
      await t.test(`${login.role} (${login.username})`, async () => {
        await withPage({}, async (page) => {
          await loginFromRoot(page, login);
          assert.notEqual(pathOf(page), "/login", "a good password leaves the login page");

          const who = await page.locator("#current-user").innerText();
          assert.ok(who.includes(login.username), `#current-user "${who}" should contain ${login.username}`);
          assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
          assert.deepEqual(await outsideReferences(page), [], "the page references no outside address");
          const zhNav = await navText(page);
          assert.ok(zhNav.length > 0, "the nav has entries");
          const home = pathOf(page);

          // to English: same page, lang="en", different nav text
          await clickAndLoad(page, "#lang-switch");
          assert.equal(await page.getAttribute("html", "lang"), "en", "html lang after switching to English");
          assert.equal(pathOf(page), home, "the language switch returns to the same page");
          await page.locator("#main-nav").waitFor({ state: "visible" });
          const enNav = await navText(page);
          assert.notEqual(enNav, zhNav, "the nav text changes when switching to English");
          assert.ok(
            (await page.locator("#current-user").innerText()).includes(login.username),
            "#current-user still names the user in English",
          );

          // and back to Chinese
          await clickAndLoad(page, "#lang-switch");
          assert.equal(await page.getAttribute("html", "lang"), "zh-CN", "html lang after switching back");
          assert.equal(await navText(page), zhNav, "the Chinese nav is back");

          // logout ends the session
          await clickAndLoad(page, "#logout");
          assert.equal(pathOf(page), "/login", "logout lands on the login page");
          await page.locator("#login-form").waitFor({ state: "visible" });
          await page.goto("/");
          assert.equal(pathOf(page), "/login", "after logout / redirects to /login again");
        });
      });
    }
  });

  test("every nav entry of every role opens (status < 400, no outside address, no script error)", async (t) => {
    for (const login of demo.logins) {
      await t.test(`${login.role} (${login.username})`, async () => {
        await withPage({}, async (page) => {
          await page.goto("/login");
          await submitLogin(page, login.username, login.password, login.totpSecret);
          await page.locator("#main-nav").waitFor({ state: "visible" });
          const hrefs = await page.$$eval("#main-nav a[data-nav]", (as) => as.map((a) => a.getAttribute("href")));
          assert.ok(hrefs.length > 0, "the nav has links");
          for (const href of new Set(hrefs)) {
            const resp = await page.goto(href, { waitUntil: "load" });
            assert.ok(resp && resp.status() < 400, `${href} answered ${resp?.status()}`);
            assert.deepEqual(await outsideReferences(page), [], `${href} references no outside address`);
            const active = await page.locator("#main-nav a.active").count();
            assert.ok(active <= 1, `${href}: at most one nav entry is marked active (found ${active})`);
          }
        });
      });
    }
  });

  test("a wrong password shows .flash-error and does not log in", async () => {
    // one failed attempt only (accounts lock after repeated failures); a role no later test logs in with
    const login = demo.logins.find((l) => l.role === "partner") ?? demo.logins[demo.logins.length - 1];
    await withPage({}, async (page) => {
      await page.goto("/login");
      const flashBefore = page.locator(".flash-error");
      assert.equal(
        (await flashBefore.count()) === 0 || !(await flashBefore.first().isVisible()),
        true,
        "a fresh login page shows no error",
      );
      await submitLogin(page, login.username, `${login.password}-wrong`);
      const flash = page.locator(".flash-error").first();
      await flash.waitFor({ state: "visible" });
      assert.ok((await flash.innerText()).trim().length > 0, ".flash-error has a message");
      assert.equal(await page.locator("#main-nav").count(), 0, "no nav: not logged in");
      assert.equal(await page.locator("#login-form").count(), 1, "the login form is shown again");
      await page.goto("/");
      assert.equal(pathOf(page), "/login", "still anonymous");
    });
  });

  test("desktop dashboard screenshot (target/browser-shots/dashboard.png)", async () => {
    const login = demo.logins.find((l) => l.role === "station_chief") ?? demo.logins[0];
    await withPage({ viewport: { width: 1280, height: 800 } }, async (page) => {
      await loginFromRoot(page, login);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "dashboard.png"), fullPage: true });
    });
  });

  test("phone (375×740): the nav is hidden until #nav-toggle is clicked", async () => {
    const login = demo.logins.find((l) => l.role === "grid_worker") ?? demo.logins[0];
    await withPage({ viewport: { width: 375, height: 740 } }, async (page) => {
      await page.goto("/login");
      await submitLogin(page, login.username, login.password, login.totpSecret);
      await page.locator("#current-user").waitFor({ state: "attached" });
      const nav = page.locator("#main-nav");
      const toggle = page.locator("#nav-toggle");
      assert.equal(await nav.isVisible(), false, "the nav starts hidden on a phone");
      assert.equal(await toggle.isVisible(), true, "the menu button is shown on a phone");
      assert.equal(await toggle.getAttribute("aria-expanded"), "false");

      await toggle.click();
      await nav.waitFor({ state: "visible" });
      assert.equal(await toggle.getAttribute("aria-expanded"), "true");
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "dashboard-phone-nav.png") });

      await toggle.click();
      await nav.waitFor({ state: "hidden" });
      assert.equal(await toggle.getAttribute("aria-expanded"), "false");

      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the page does not scroll sideways on a phone (overflow ${overflow}px)`);
    });
  });

  test("scope: an officer of 枫桥镇 (330681109) cannot open 暨阳街道 (330681001)", async () => {
    const officer = demo.logins.find((l) => l.role === "officer");
    assert.ok(officer, "the demo has an officer login");
    await withPage({}, async (page) => {
      await page.goto("/login");
      await submitLogin(page, officer.username, officer.password);
      await page.locator("#main-nav").waitFor({ state: "visible" });

      const outside = await page.goto("/areas/330681001");
      assert.equal(outside?.status(), 404, "an area outside the officer's scope is a 404");

      const inside = await page.goto("/areas/330681109");
      assert.equal(inside?.status(), 200, "the officer's own area is a 200");
      assert.equal(pathOf(page), "/areas/330681109");
    });
  });
});
