// 账户安全 on a phone: an officer enrols a TOTP authenticator from the account page, and from then on
// the login form asks for the code; a wrong code keeps them out. The demo administrators log in with
// the second factor the demo printed. A dispatcher creates an API token for a machine client, sees it
// used, and revokes it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, pathOf, prerequisites, startDemo, submitLogin, totpCode } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("account security (headless Chromium)", ready, () => {});

describe("account security (headless Chromium)", { timeout: 5 * 60_000, ...ready }, () => {
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

  test("an officer enrols a second factor on a phone; logins then need the code", async () => {
    const login = demo.logins.find((l) => l.username === "officer");
    const { context, page, guard } = await newGuardedPage(browser, demo.url, { viewport: { width: 375, height: 740 } });
    try {
      await page.goto("/login");
      await submitLogin(page, login.username, login.password);
      await clickAndLoad(page, "#current-user");
      assert.equal(pathOf(page), "/account");
      await clickAndLoad(page, "#totp-begin");
      const secret = (await page.textContent("#totp-secret")).trim();
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.match(await page.textContent("#totp-uri"), /^otpauth:\/\/totp\//);
      // Fits the phone: no sideways scrolling.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the account page scrolls sideways by ${overflow}px`);
      await page.fill("#totp-code", "000000");
      await clickAndLoad(page, "#totp-confirm");
      assert.equal(await page.locator("#account-error[data-field='code']").count(), 1, "a wrong code is refused beside the field");
      await page.fill("#totp-code", totpCode(secret));
      await clickAndLoad(page, "#totp-confirm");
      assert.equal(await page.locator("#account-done").count(), 1);
      assert.equal(await page.locator("#totp-on").count(), 1);
      await clickAndLoad(page, "#logout");

      // Password alone: refused with a message asking for the code.
      await submitLogin(page, login.username, login.password);
      assert.equal(pathOf(page), "/login");
      assert.match(await page.textContent(".flash-error"), /动态口令|code/);
      // With the code of the next step (the current one was used to confirm and never counts twice).
      await page.locator("#username").fill(login.username);
      await page.locator("#password").fill(login.password);
      await page.locator("#totp").fill(totpCode(secret, Date.now() + 30_000));
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("#login-submit").click()]);
      assert.notEqual(pathOf(page), "/login", await page.content());
      guard.check();
    } finally {
      await context.close();
    }
  });

  test("the demo administrators sign in with the printed second factor", async () => {
    const login = demo.logins.find((l) => l.username === "auditor");
    assert.match(login.totpSecret ?? "", /^[A-Z2-7]+$/, "the demo prints the auditor's TOTP secret");
    const { context, page, guard } = await newGuardedPage(browser, demo.url);
    try {
      await page.goto("/login");
      await submitLogin(page, login.username, login.password, login.totpSecret);
      assert.notEqual(pathOf(page), "/login");
      await page.locator("#main-nav").waitFor({ state: "visible" });
      guard.check();
    } finally {
      await context.close();
    }
  });

  test("a dispatcher creates an API token on the account page, sees its use, and revokes it", async () => {
    const login = demo.logins.find((l) => l.username === "dispatcher");
    const { context, page, guard } = await newGuardedPage(browser, demo.url, { viewport: { width: 375, height: 740 } });
    const me = (token) => fetch(new URL("/api/v1/me", demo.url), { headers: { authorization: `Bearer ${token}` } });
    try {
      await page.goto("/login");
      await submitLogin(page, login.username, login.password);
      await page.goto("/account");
      assert.equal(await page.locator("#tokens-none").count(), 1);
      await page.fill("#token-name", "camera-gateway");
      await page.fill("#token-days", "30");
      await clickAndLoad(page, "#token-create");
      const secret = (await page.textContent("#token-secret")).trim();
      assert.match(secret, /^pat_/);
      // The machine client works with it; the page shows its use after a reload, never the secret again.
      const r = await me(secret);
      assert.equal(r.status, 200);
      assert.equal((await r.json()).username, "dispatcher");
      await page.goto("/account");
      assert.equal(await page.locator("#token-secret").count(), 0);
      assert.ok(!(await page.content()).includes(secret), "the secret is shown once only");
      const row = page.locator("#tokens-table tbody tr");
      assert.equal(await row.count(), 1);
      assert.match(await row.locator("td").nth(0).textContent(), /camera-gateway/);
      assert.doesNotMatch(await row.locator("td").nth(2).textContent(), /—/, "last use recorded");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the account page scrolls sideways by ${overflow}px`);
      await clickAndLoad(page, ".token-revoke");
      assert.equal(await page.locator("#account-done").count(), 1);
      assert.match(await page.textContent("#tokens-table .token-status"), /已吊销|Revoked/);
      assert.equal(await page.locator(".token-revoke").count(), 0);
      assert.equal((await me(secret)).status, 401, "a revoked token is refused");
      guard.check();
    } finally {
      await context.close();
    }
  });
});
