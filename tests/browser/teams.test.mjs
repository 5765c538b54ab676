// 群防群治 in a real headless Chromium: on a 390 px phone the demo volunteer finds tonight's duty, the
// open task and their points on /duty, reports an issue through the volunteer channel, and the
// dispatcher's live board shows it without a reload; on a desktop the chief is told beside the
// members why a duty is refused, schedules it, and confirms who came to a past duty, which credits
// their points in the ledger.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("teams (headless Chromium)", ready, () => {});

const PHONE = { viewport: { width: 390, height: 844 } };
const BOARD_ROWS = "#board-incidents tbody tr[data-incident-id]";

describe("teams (headless Chromium)", { timeout: 4 * 60_000, ...ready }, () => {
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

  async function noSideways(page) {
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(sideways, false, `${new URL(page.url()).pathname} scrolls sideways on a phone`);
  }

  test("a volunteer's duty view and report reach the dispatcher's live board", async () => {
    // The dispatcher's board, connected, before the report.
    const { page: board, guard: boardGuard } = await signIn("dispatcher");
    await board.goto("/board");
    await board.locator('#board-live[data-state="open"]').waitFor();
    await board.evaluate(() => { window.__noReload = 1; });
    const before = await board.locator(BOARD_ROWS).evaluateAll((rows) => rows.map((r) => r.dataset.incidentId));
    const grid = await board.evaluate(async () => (await fetch("/api/v1/grids/330681109004002")).json());
    const ring = (grid.geometry.type === "Polygon" ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0]).slice(0, -1);
    const inside = [0, 1].map((k) => (ring.reduce((s, p) => s + p[k], 0) / ring.length).toFixed(6));

    // The volunteer on a phone: team, tonight's duty, the open task and the points so far.
    const { page: phone, guard } = await signIn("volunteer", PHONE);
    await phone.goto("/duty");
    const work = phone.locator("#my-team-work");
    await work.waitFor();
    assert.match(await work.innerText(), /枫桥镇平安志愿者服务队/);
    assert.match(await work.locator(".my-duties").innerText(), /枫桥夜市/);
    assert.match(await work.locator(".my-tasks").innerText(), /反诈宣传进菜市场/);
    // Yesterday's two hours (2 points) and the 90-minute task (1 point).
    assert.match(await phone.locator("#my-points").innerText(), /积分 3/);
    await noSideways(phone);

    // Report an issue: the intake form offers the volunteer channel only.
    await clickAndLoad(phone, "#volunteer-report");
    assert.deepEqual(await phone.locator("#f-channel option").evaluateAll((o) => o.map((x) => x.value)), ["volunteer"]);
    await phone.selectOption("#f-type", "100100");
    await phone.fill("#f-description", "夜市路口两人争吵推搡，围观人多");
    await phone.fill("#f-address", "枫桥夜市东口");
    await phone.locator("#pick-map").waitFor();
    await phone.evaluate(([lng, lat]) => {
      document.getElementById("lng").value = lng;
      document.getElementById("lat").value = lat;
    }, inside);
    await noSideways(phone);
    const [answered] = await Promise.all([
      phone.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/incidents/new"),
      phone.locator("#f-submit").click(),
    ]);
    assert.ok(answered.status() < 400, `the report was refused: ${answered.status()}`);
    await phone.waitForLoadState("load");

    // The board shows it without a reload, marked as a volunteer's report.
    const row = await board.waitForFunction(
      ([sel, seen]) => [...document.querySelectorAll(sel)].find((r) => !seen.includes(r.dataset.incidentId)),
      [BOARD_ROWS, before],
      { polling: 100, timeout: 10_000 },
    );
    const id = await row.evaluate((r) => r.dataset.incidentId);
    assert.equal(await board.evaluate(() => window.__noReload), 1, "the board was not reloaded");
    const incident = await board.evaluate(async (i) => (await fetch(`/api/v1/incidents/${i}`)).json(), id);
    assert.equal(incident.channel, "volunteer");
    assert.match(incident.description, /夜市路口/);
    guard.check();
    boardGuard.check();
  });

  test("the chief schedules a duty and confirms who came", async () => {
    const { page, guard } = await signIn("chief");
    await page.goto("/teams");
    await clickAndLoad(page, '#teams a:has-text("陈家社区治保会")');
    // Nobody ticked: the refusal is beside the members, the place kept.
    await page.fill("#duty-place", "陈家社区西门");
    await clickAndLoad(page, "#duty-submit");
    assert.match(await page.locator("#err-duty-member_ids").innerText(), /1–50 名队员/);
    assert.equal(await page.inputValue("#duty-place"), "陈家社区西门");
    await page.locator('#duty-members label:has-text("王大伯") input').check();
    await clickAndLoad(page, "#duty-submit");
    assert.match(await page.locator(".duty-list").innerText(), /陈家社区西门/);

    // The duty of two days ago (王大伯 and 张师傅, 3.5 h): only 王大伯 came (nobody is ticked until
    // the chief says so).
    const past = page.locator(".duty-list li", { hasText: "陈家社区东门" });
    assert.equal(await past.locator('input[name="present"]:checked').count(), 0);
    await past.locator('label:has-text("王大伯") input').check();
    await Promise.all([page.waitForEvent("load"), past.locator(".confirm-attendance").click()]);
    assert.match(await page.locator(".duty-list li", { hasText: "陈家社区东门" }).innerText(), /已确认到岗/);
    const points = async (name) =>
      Number(await page.locator(`#member-table tr:has(td:text-is("${name}")) td.points`).innerText());
    // 王大伯: the demo's award of 5 and 3 full hours.
    assert.equal(await points("王大伯"), 5 + 3);
    assert.equal(await points("张师傅"), 0);
    guard.check();
  });
});
