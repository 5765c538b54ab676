// 联席会议 and 交办/督办 in a real headless Chromium (issue 22): the 综治 coordinator records a joint
// meeting held ten days ago, records a decision and assigns two tasks from it — one already past its
// deadline; on a 390 px phone the grid worker reports progress on the other; the officer who leads the
// overdue one sees it red-carded in the task list and in the inbox.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, pathOf, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("meetings and supervised tasks (headless Chromium)", ready, () => {});

const PHONE = { viewport: { width: 390, height: 844 } };

/** The China-time date `n` days from today, YYYY-MM-DD. */
function day(n) {
  return new Date(Date.now() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

describe("meetings and supervised tasks (headless Chromium)", { timeout: 4 * 60_000, ...ready }, () => {
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
    assert.equal(sideways, false, `${pathOf(page)} scrolls sideways on a phone`);
  }

  const OVERDUE = "夜市周边整治（浏览器测试）";
  const ON_TIME = "走访老街商户（浏览器测试）";

  test("a meeting's decision assigns two tasks; progress on a phone; the overdue one is carded", async () => {
    // The coordinator records the meeting held ten days ago.
    const { page, guard } = await signIn("coordinator");
    await page.goto("/meetings");
    await page.locator("#meeting-title").fill("枫桥镇联席会议（浏览器测试）");
    await page.selectOption("#meeting-org", { label: "诸暨市社会治理中心（综治中心）" });
    await page.locator("#meeting-date").fill(day(-10));
    await page.locator("#meeting-time").fill("09:00");
    await page.locator("#meeting-place").fill("枫桥镇综治中心");
    await page.selectOption("#meeting-orgs", [{ label: "枫桥派出所" }, { label: "陈家社区居委会" }]);
    await page.locator("#meeting-attendees").fill("陈所长、周网格\n镇综治办 王主任");
    await page.locator("#meeting-agenda").fill("老街夜市治安\n沿街商户防盗");
    await clickAndLoad(page, "#meeting-submit");
    assert.match(pathOf(page), /^\/meetings\/[^/]+$/);
    assert.match(await page.locator("#meeting-participants").innerText(), /枫桥派出所/);
    assert.equal(await page.locator("#agenda li").count(), 2);
    assert.match(await page.locator("#meeting-attendees-list").innerText(), /王主任/);

    // A decision, agreed by the station.
    await page.locator("#decision-text").fill("派出所牵头整治老街夜市周边秩序，社区走访沿街商户。");
    await page.locator("#decision-agreed label", { hasText: "枫桥派出所" }).locator("input").check();
    await clickAndLoad(page, "#decision-submit");
    const decision = page.locator("article.decision").first();
    assert.match(await decision.locator(".decision-text").innerText(), /整治老街夜市/);
    assert.match(await decision.innerText(), /枫桥派出所/);

    // Two tasks from it: the officer's was due five days ago, the grid worker's in ten days.
    const assign = async (title, org, person, due) => {
      const d = page.locator("article.decision").first();
      await d.locator("details.spawn summary").click();
      await d.locator(".task-title").fill(title);
      await d.locator(".task-lead-org").selectOption({ label: org });
      await d.locator(".task-lead").selectOption({ label: person });
      await d.locator(".task-due").fill(due);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), d.locator(".spawn-submit").click()]);
    };
    await assign(OVERDUE, "枫桥派出所", "李警官 · 枫桥派出所", day(-5));
    await assign(ON_TIME, "陈家社区居委会", "周网格 · 陈家社区居委会", day(10));
    const tasks = await page.locator("article.decision").first().locator(".decision-tasks li").evaluateAll((lis) =>
      lis.map((li) => ({ text: li.innerText, card: li.dataset.card })));
    assert.equal(tasks.length, 2, JSON.stringify(tasks));
    assert.deepEqual(tasks.find((t) => t.text.includes(OVERDUE))?.card, "red", JSON.stringify(tasks));
    assert.deepEqual(tasks.find((t) => t.text.includes(ON_TIME))?.card, "normal", JSON.stringify(tasks));
    guard.check();

    // The grid worker, on a phone, reports progress on theirs.
    const grid = await signIn("gridworker", PHONE);
    await grid.page.goto("/tasks?mine=1");
    await noSideways(grid.page);
    await clickAndLoad(grid.page, `#tasks li:has-text("${ON_TIME}") a`);
    await noSideways(grid.page);
    await grid.page.locator("#progress-percent").fill("30");
    await grid.page.locator("#progress-note").fill("已走访沿街商户 12 家，发放防盗宣传单。");
    await clickAndLoad(grid.page, "#progress-submit");
    assert.equal(await grid.page.locator("#task-progress").innerText(), "30%");
    const timeline = await grid.page.locator("#task-timeline li").evaluateAll((lis) => lis.map((li) => li.dataset.kind));
    assert.deepEqual(timeline, ["assigned", "progress"]);
    assert.match(await grid.page.locator("#task-timeline").innerText(), /已走访沿街商户 12 家/);
    await noSideways(grid.page);
    grid.guard.check();

    // The officer, on a phone: the overdue task leads the list, red-carded, and the inbox says so.
    const officer = await signIn("officer", PHONE);
    await officer.page.goto("/tasks");
    await noSideways(officer.page);
    const item = officer.page.locator(`#tasks li:has-text("${OVERDUE}")`);
    assert.equal(await item.getAttribute("data-card"), "red");
    assert.match(await item.locator(".task-card").innerText(), /红牌/);
    assert.match(await item.locator(".task-reasons").innerText(), /逾期第 5 天/);
    await officer.page.goto("/tasks?carded=1");
    assert.ok(await officer.page.locator(`#tasks li:has-text("${OVERDUE}")`).count() === 1);
    assert.equal(await officer.page.locator(`#tasks li:has-text("${ON_TIME}")`).count(), 0);

    await officer.page.goto("/notifications");
    await noSideways(officer.page);
    const notes = await officer.page.locator("#notifications li").evaluateAll((lis) => lis.map((li) => li.innerText));
    assert.ok(notes.some((n) => n.includes("督办亮牌") && n.includes(OVERDUE) && n.includes("红牌")),
      `no red card in the officer's inbox: ${JSON.stringify(notes)}`);
    assert.ok(notes.some((n) => n.includes("交办任务") && n.includes(OVERDUE)), JSON.stringify(notes));
    // And on the officer's home page, among their open tasks, marked urgent.
    await officer.page.goto("/");
    const home = officer.page.locator(`#home-tasks li:has-text("${OVERDUE}")`);
    assert.equal(await home.getAttribute("class"), "urgent");
    await noSideways(officer.page);
    officer.guard.check();
  });
  test("on a phone a grid worker answers a screening checklist and raises a risk on a visit, linked both ways", async () => {
    const grid = await signIn("gridworker", PHONE);
    const { page, guard } = grid;
    // The demo campaign: answer the first open item of a 陈家社区 grid nobody has started.
    await page.goto("/risks/campaigns");
    await clickAndLoad(page, "#campaigns li a");
    const fresh = page.locator('#campaign-grids tr[data-percent="0"] a').first();
    await clickAndLoad(page, fresh);
    const first = page.locator(".answer-form").first();
    await first.locator(".result-found").check();
    await first.locator(".found-title").fill("出租房楼道堆放杂物（浏览器测试）");
    await clickAndLoad(page, first.locator("button[type=submit]"));
    assert.equal(await page.locator('#checklist li[data-result="found"]').count(), 1);
    await noSideways(page);
    // The campaign shows this grid started and the risk among the open ones.
    await clickAndLoad(page, "#back-campaign");
    const started = await page.locator("#campaign-grids tr").evaluateAll((rows) =>
      rows.filter((r) => Number(r.dataset.percent) > 0 && Number(r.dataset.percent) < 100).length);
    assert.ok(started >= 2, `grids part-way: ${started}`);
    assert.match(await page.locator("#campaign-risks").innerText(), /浏览器测试/);

    // A visit to a household raises a risk in the same step.
    await page.goto("/visits");
    await page.selectOption("#visit-household", { index: 1 });
    await page.locator('#visit-topics input[value="anti_fraud"]').check();
    await page.locator("#visit-materials").fill("反诈宣传册 1 份");
    await page.locator("#raise-risk summary").click();
    await page.locator("#visit-raise-risk").check();
    await page.locator("#visit-risk-title").fill("楼道私拉电线（浏览器测试）");
    await noSideways(page);
    await clickAndLoad(page, "#visit-submit");
    assert.match(pathOf(page), /^\/visits\/[^/]+$/);
    const visit = pathOf(page);
    await clickAndLoad(page, '#visit-issues li[data-kind="risk"] a');
    assert.match(pathOf(page), /^\/risks\/[^/]+$/);
    assert.match(await page.locator("h1").innerText(), /楼道私拉电线/);
    assert.equal(await page.locator("#risk-visit").getAttribute("href"), visit);
    await noSideways(page);
    guard.check();
  });
});
