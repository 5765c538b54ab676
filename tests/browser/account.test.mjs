// 账户安全 on a phone: an officer enrols a TOTP authenticator from the account page, and from then on
// the login form asks for the code; a wrong code keeps them out. The demo administrators log in with
// the second factor the demo printed.
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
});
