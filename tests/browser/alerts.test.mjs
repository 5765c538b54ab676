// 预警信息发布 (CAP 1.2) in a real headless Chromium (issue 22): the officer composes a fraud alert over
// two grids on the alerts page (its area drawn on the map beside the demo's alerts); the station chief,
// on a 390 px phone, approves it from the list; the published CAP document is served as
// application/cap+xml; an imported document that breaks CAP 1.2 is refused with the element named
// beside the field and nothing received.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, pathOf, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("public alerts (headless Chromium)", ready, () => {});

describe("public alerts (headless Chromium)", { timeout: 4 * 60_000, ...ready }, () => {
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

  const HEADLINE = "警惕冒充公检法诈骗（浏览器测试）";

  test("compose over grids, approve on a phone, the CAP document is published", async () => {
    const { page, guard } = await signIn("officer");
    const resp = await page.goto("/public-alerts");
    assert.equal(resp.status(), 200);
    // The demo's alerts are drawn: ours and the weather service's.
    await page.locator("#alert-map path.alert-area").first().waitFor();
    assert.ok(await page.locator("#alert-map path.alert-imported").count() >= 1, "the received alert is on the map");
    assert.ok(await page.locator("#alert-map path.alert-composed").count() >= 1, "ours are on the map");

    await page.locator("#alert-categories label", { hasText: "治安防范" }).locator("input").check();
    await page.locator("#alert-event").fill("冒充公检法诈骗");
    await page.selectOption("#alert-urgency", "Expected");
    await page.selectOption("#alert-severity", "Severe");
    await page.selectOption("#alert-certainty", "Observed");
    await page.locator("#alert-headline").fill(HEADLINE);
    await page.locator("#alert-description").fill("自称公安民警来电称涉嫌洗钱，要求转账到“安全账户”。");
    await page.locator("#alert-instruction").fill("公检法不会电话办案，更没有安全账户。");
    const grids = await page.locator("#alert-grids option").evaluateAll((o) => o.slice(0, 2).map((x) => x.value));
    await page.selectOption("#alert-grids", grids);
    await clickAndLoad(page, "#compose-submit");
    assert.match(pathOf(page), /^\/public-alerts\/[^/]+$/, await page.locator(".field-error").allInnerTexts().then(String));
    const alertPath = pathOf(page);
    assert.equal(await page.getAttribute("#alert-state", "data-state"), "pending");
    assert.equal(await page.locator("#act-approve").count(), 0, "the composer does not approve");
    assert.equal(await page.locator("#alert-map path.alert-area").count(), 2, "its two grids");
    guard.check();

    // The chief approves it on a phone.
    const chief = await signIn("chief", { viewport: { width: 390, height: 844 } });
    await chief.page.goto("/public-alerts?state=pending");
    await clickAndLoad(chief.page, chief.page.locator("#public-alerts a", { hasText: HEADLINE }));
    assert.equal(pathOf(chief.page), alertPath);
    await clickAndLoad(chief.page, "#act-approve");
    assert.equal(await chief.page.getAttribute("#alert-state", "data-state"), "published");
    assert.match(await chief.page.locator("#cap-document").innerText(), /<msgType>Alert<\/msgType>/);
    const sideways = await chief.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(sideways, false, "the alert page fits the phone");
    const href = await chief.page.getAttribute("#document-link", "href");
    const doc = await fetch(new URL(href, demo.url));
    assert.equal(doc.status, 200);
    assert.match(doc.headers.get("content-type"), /^application\/cap\+xml/);
    assert.match(await doc.text(), new RegExp(HEADLINE.replace(/[()（）]/g, ".")));
    chief.guard.check();

    // The officer may now publish an update of it: the form names what it replaces.
    await page.goto(alertPath);
    await clickAndLoad(page, "#act-update");
    assert.match(await page.locator("#compose").innerText(), new RegExp(HEADLINE.replace(/[()（）]/g, ".")));
    guard.check();
  });

  test("a CAP document that breaks the standard is refused, naming the element", async () => {
    const { page, guard } = await signIn("officer");
    await page.goto("/public-alerts?state=received");
    const before = await page.locator("#public-alerts li").count();
    const bad = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>BAD-1</identifier>
  <sender>qx@zhuji.example</sender>
  <sent>2026-12-01T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Met</category>
    <event>大风</event>
    <urgency>Soon</urgency>
    <severity>Minor</severity>
    <certainty>Likely</certainty>
  </info>
</alert>`;
    await page.locator("#import-document").fill(bad);
    await page.locator("#import-source").fill("bad.xml");
    await page.locator("#import-submit").click();
    await page.locator("#err-import-document").waitFor();
    const error = await page.locator("#err-import-document").innerText();
    assert.match(error, /alert\/info\[1\]\/urgency/);
    assert.match(error, /第 12 行/);
    await page.goto("/public-alerts?state=received");
    assert.equal(await page.locator("#public-alerts li").count(), before, "nothing received");
    guard.check();
  });
});
