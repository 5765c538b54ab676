// 警网融合 in a real headless Chromium (issue 24): the system administrator drafts an agreement for the
// fire brigade; asking for a personal field without a legal basis is refused with the reason beside the
// legal-basis field and the ticks kept; with a basis it is drafted, pending. The security
// administrator, on a 390 px phone, approves it. The partner's own page, in English, shows it in force
// with its fields by name (no codes) and no sideways scrolling.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("data sharing (headless Chromium)", ready, () => {});

describe("data sharing (headless Chromium)", { timeout: 4 * 60_000, ...ready }, () => {
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
    await submitLogin(opened.page, login.username, login.password, login.totpSecret);
    return opened;
  }

  const PURPOSE = "浏览器测试：消防接报同步";

  test("draft with an error beside the field, approve on a phone, the partner sees it", async () => {
    const { page, guard } = await signIn("admin");
    await page.goto("/sharing");
    const draft = page.locator("#agreement-form");
    await draft.locator('input[name="f.incident.received"][value="number"]').check();
    await draft.locator('input[name="f.incident.received"][value="description"]').check();
    await page.locator("#agreement-areas").selectOption({ index: 0 });
    await page.locator("#agreement-purpose").fill(PURPOSE);
    await page.locator("#agreement-valid_to").fill("2099-12-31");
    await clickAndLoad(page, "#agreement-submit");
    const err = await page.locator("#err-agreement-legal_basis").innerText();
    assert.match(err, /法律依据/, "the reason is beside the legal-basis field");
    assert.equal(await draft.locator('input[name="f.incident.received"][value="description"]').isChecked(), true, "the ticks are kept");
    await page.locator("#agreement-legal_basis").fill("《消防法》第四十四条");
    await clickAndLoad(page, "#agreement-submit");
    const item = page.locator("#agreement-list li", { hasText: PURPOSE });
    assert.equal(await item.getAttribute("data-status"), "pending");
    assert.equal(await item.locator('button[id^="approve-"]').count(), 0, "the drafter's role has no approve button");
    guard.check();

    const phone = await signIn("secadmin", { viewport: { width: 390, height: 844 } });
    await phone.page.goto("/sharing");
    const pending = phone.page.locator("#agreement-list li", { hasText: PURPOSE });
    await clickAndLoad(phone.page, pending.locator('button[id^="approve-"]'));
    assert.equal(await phone.page.locator("#agreement-list li", { hasText: PURPOSE }).getAttribute("data-status"), "approved");
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scroll on a phone (${overflow} px)`);
    phone.guard.check();

    const partner = await signIn("partner", { viewport: { width: 390, height: 844 } });
    await partner.context.addCookies([{ name: "lang", value: "en", url: demo.url }]);
    await partner.page.goto("/sharing");
    assert.match(partner.page.url(), /\/sharing\/mine$/);
    const text = await partner.page.locator("#agreements").innerText();
    assert.match(text, /In force/);
    assert.match(text, /Report text/, "the personal field is named, with its legal basis");
    assert.doesNotMatch(text, /incident\.received|description\b/, "no codes on the page");
    partner.guard.check();
  });
});
