// Issue 21 (first part), 分片布警 in a real headless Chromium: the demo chief sees the zones and the
// demo plans, draws a new zone on the map, is told beside the field when a plan request is wrong,
// asks the kernel for a plan, drags a post, saves (the change is recorded) and publishes; on a
// 390 px phone an officer sees today's posts with their hours, without sideways scrolling. The
// roster: the chief is told beside the crew why a shift is refused, books it with the volunteer
// seconded, and the volunteer finds it among their shifts on a phone.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { clickAndLoad, launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("patrol plans (headless Chromium)", ready, () => {});

describe("patrol plans (headless Chromium)", { timeout: 5 * 60_000, ...ready }, () => {
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

  test("the chief draws a zone, plans, moves a post and publishes", async () => {
    const { page, guard, context } = await signIn("chief");
    await page.goto("/patrol");
    const zones = await page.locator("#zones tbody tr").count();
    assert.ok(zones >= 1, "the demo zones are listed");
    assert.ok((await page.locator("#plans tbody tr").count()) >= 1, "the demo plans are listed");
    // Zone outlines are drawn with their names.
    await page.locator("#patrol-map .zone-label").first().waitFor();
    assert.equal(await page.locator("#patrol-map .zone-label").count(), zones);

    // Draw a triangle inside the map and save it as a zone.
    await page.click("#zone-draw");
    await page.waitForTimeout(300);
    const box = await page.locator("#patrol-map").boundingBox();
    for (const [fx, fy] of [[0.45, 0.45], [0.55, 0.45], [0.5, 0.55]]) {
      await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
    }
    await page.fill("#zone-name", "浏览器测试巡区");
    await Promise.all([page.waitForEvent("load"), page.click("#zone-save")]);
    assert.equal(await page.locator("#zones tbody tr").count(), zones + 1);
    assert.ok((await page.locator("#zones").innerText()).includes("浏览器测试巡区"));

    // A wrong request: the problem is said beside its field, in Chinese, and the form keeps the rest.
    const published = page.locator("#plans tbody tr", { hasText: "已发布" }).first();
    const zoneName = (await published.locator("td").first().innerText()).trim();
    await page.selectOption("#plan-zone", { label: zoneName });
    await page.fill("#plan-k", "0");
    await Promise.all([page.waitForEvent("load"), page.click("#plan-submit")]);
    assert.match(await page.locator("#err-k").innerText(), /1.*30/);
    assert.equal(await page.inputValue("#plan-radius"), "300");

    // The kernel's plan: two posts on the map.
    await page.fill("#plan-k", "2");
    await Promise.all([page.waitForURL(/\/patrol\/plans\//), page.click("#plan-submit")]);
    await page.waitForSelector("#plan-map img.leaflet-marker-icon");
    assert.equal(await page.locator("#plan-map img.leaflet-marker-icon").count(), 2);
    assert.equal(await page.locator("#post-list li").count(), 2);
    assert.ok((await page.locator("#plan-status").innerText()).includes("草稿"));
    assert.ok(await page.locator("#no-changes").isVisible());

    // Drag the first post a third of the way toward the middle of the map (the zone fills the map,
    // so it stays inside) and save: the move is recorded.
    await page.locator("#plan-map").scrollIntoViewIfNeeded();
    await page.waitForTimeout(800); // the map settles (fitting the zone may animate)
    const marker = page.locator("#plan-map img.leaflet-marker-icon").first();
    const mb = await marker.boundingBox();
    const map = await page.locator("#plan-map").boundingBox();
    const [x0, y0] = [mb.x + mb.width / 2, mb.y + mb.height - 2];
    const [x1, y1] = [x0 + (map.x + map.width / 2 - x0) / 3, y0 + (map.y + map.height / 2 - y0) / 3];
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, { steps: 5 });
    await page.mouse.move(x1, y1, { steps: 5 });
    await page.mouse.up();
    await page.click("#posts-save");
    await page.waitForSelector("#changes", { timeout: 10_000 }).catch(async () => {
      await page.screenshot({ path: "/tmp/patrol-fail.png" });
      throw new Error(`saving the moved post (${x0},${y0} → ${x1},${y1}): ` + (await page.locator("#posts-status").innerText()));
    });
    assert.match(await page.locator("#changes").innerText(), /移动了系统点位 \d+: \d+ m/);

    await Promise.all([page.waitForEvent("load"), page.click("#plan-publish")]);
    assert.ok((await page.locator("#plan-status").innerText()).includes("已发布"));
    assert.equal(await page.locator("#posts-save").count(), 0, "a published plan is not edited");
    guard.check();
    await context.close();
  });

  test("on a phone an officer sees today's posts, and a check-in once GPS pings arrive", async () => {
    // The chief publishes the demo's draft (in force this week) with its first post manned from the
    // last hour on; a unit of the station then sends twelve minutes of fixes at that post.
    const chief = await signIn("chief");
    const api = chief.page.request;
    const drafts = await (await api.get("/api/v1/patrol-plans?status=draft")).json();
    assert.ok(drafts.length >= 1, "the demo leaves a draft plan");
    const plan = await (await api.get(`/api/v1/patrol-plans/${drafts[0].id}`)).json();
    const local = new Date(Date.now() + 8 * 3600_000);
    const hour = local.getUTCHours();
    const sinceMidnight = hour * 60 + local.getUTCMinutes();
    const posts = plan.posts.map((p) => ({ lng: p.lng, lat: p.lat, window: p.window, proposed: p.proposed }));
    posts[0].window = { start_hour: Math.max(0, hour - 1), hours: 3 };
    // The second post is manned now too: the officer will check in there by hand.
    if (posts.length > 1) posts[1].window = { start_hour: Math.max(0, hour - 1), hours: 3 };
    let r = await api.put(`/api/v1/patrol-plans/${plan.id}/posts`, { data: { posts, updated_at: plan.updated_at } });
    assert.equal(r.status(), 200, await r.text());
    r = await api.post(`/api/v1/patrol-plans/${plan.id}/publish`);
    assert.equal(r.status(), 200, await r.text());
    const units = await (await api.get("/api/v1/units")).json();
    const unit = units.find((u) => u.device_id && u.org_name.includes("枫桥"));
    assert.ok(unit, "a unit of the station with a GPS device");
    const pings = [];
    for (let m = 12; m >= 0; m--) {
      pings.push({ device_id: unit.device_id, at: new Date(Date.now() - m * 60_000 - 5_000).toISOString(), lng: posts[0].lng, lat: posts[0].lat });
    }
    r = await api.post("/api/v1/units/positions", { data: { pings } });
    assert.equal(r.status(), 200, await r.text());
    await chief.context.close();

    const { page, guard, context } = await signIn("officer", { width: 390, height: 844 });
    const resp = await page.goto("/patrol/today");
    assert.equal(resp.status(), 200);
    const plans = page.locator(".today-plan");
    assert.ok((await plans.count()) >= 1, "the demo's published plan is in force today");
    const first = await plans.first().locator(".today-posts li").first().innerText();
    assert.match(first, /\d\d:00–\d\d:00/);
    const mine = page.locator(`.today-plan[data-plan-id="${plan.id}"] .today-posts li`).first();
    // Twelve minutes inside the window need the window to have begun twelve minutes ago: in the first
    // quarter hour after midnight it has not, and the post is rightly not yet checked in.
    const expected = sinceMidnight >= 15 ? "true" : "false";
    assert.equal(await mine.getAttribute("data-checked"), expected, await mine.innerText());
    if (expected === "true") assert.match(await mine.innerText(), /已到/);
    // 手动打卡 at the second post with the phone's position there: it shows checked in, by hand.
    // (Unless the GPS fixes at the first post already reach it: then there is no button to press.)
    const secondButton = page.locator(`.today-plan[data-plan-id="${plan.id}"] .today-posts li`).nth(1).locator("button.manual-checkin");
    if (posts.length > 1 && (await secondButton.count()) === 1) {
      await context.grantPermissions(["geolocation"]);
      await context.setGeolocation({ latitude: posts[1].lat, longitude: posts[1].lng, accuracy: 10 });
      const second = page.locator(`.today-plan[data-plan-id="${plan.id}"] .today-posts li`).nth(1);
      await Promise.all([page.waitForEvent("load"), second.locator("button.manual-checkin").click()]);
      const again = page.locator(`.today-plan[data-plan-id="${plan.id}"] .today-posts li`).nth(1);
      assert.equal(await again.getAttribute("data-checked"), "true", await again.innerText());
      assert.match(await again.innerText(), /手动打卡/);
    }
    await page.waitForSelector("#today-map .leaflet-tooltip");
    let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px)`);

    // The unit's track of today replays on the map: at least the thirteen fixes sent, start and end marked.
    await page.goto(`/patrol/tracks?unit=${unit.id}`);
    await page.waitForFunction(() => (document.getElementById("track-summary")?.textContent || "").includes("个定位点"));
    const fixes = Number((await page.locator("#track-summary").innerText()).split(" ")[0]);
    assert.ok(fixes >= 13, `fixes on the track: ${fixes}`);
    assert.equal(await page.locator("#track-map .track-label").count(), 2);
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on the track (${overflow} px)`);
    guard.check();
    await context.close();
  });

  test("the chief books a shift, conflicts said beside the crew; the volunteer sees it on a phone", async () => {
    const { page, guard, context } = await signIn("chief");
    // The demo's published plan began yesterday: its page shows coverage so far and the effect's
    // counts (yesterday one post checked in), in words.
    const published = await (await page.request.get("/api/v1/patrol-plans?status=published")).json();
    const begun = published.filter((p) => p.valid_from < new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10));
    assert.ok(begun.length >= 1, "the demo's plan began yesterday");
    await page.goto(`/patrol/plans/${begun[begun.length - 1].id}`);
    assert.match(await page.locator("#post-coverage").innerText(), /必到点到点.*: [1-9]\d* \/ \d+/);
    assert.equal(await page.locator("#effect tbody tr").count(), 2);
    assert.ok((await page.locator("#effect-estimate").innerText()).length > 5);
    await page.goto("/patrol/roster");
    assert.ok((await page.locator("#roster tbody tr").count()) >= 10, "the demo's week of shifts");
    // Tomorrow 08:00–16:00 (or tomorrow's week): the officer has a day shift on weekdays; a Sunday
    // is free, so take the next Sunday and book the officer twice.
    const local = new Date(Date.now() + 8 * 3600_000);
    const toSunday = (7 - local.getUTCDay()) % 7 || 7;
    const sunday = new Date(local.getTime() + toSunday * 86_400_000).toISOString().slice(0, 10);
    const officer = page.locator(".crew-person", { hasText: "李警官" });
    const volunteer = page.locator(".crew-person", { hasText: "钱队员" });
    await page.fill("#shift-date", sunday);
    await page.fill("#shift-start", "18:00");
    await page.fill("#shift-end", "22:00");
    await page.selectOption("#shift-mode", "stakeout");
    await volunteer.locator('input[name="crew"]').check();
    await Promise.all([page.waitForEvent("load"), page.click("#shift-submit")]);
    // Not seconded: refused, the reason beside the crew with the person's name; the form is kept.
    assert.match(await page.locator("#err-crew").innerText(), /钱队员.*借调/);
    assert.equal(await page.inputValue("#shift-start"), "18:00");
    await page.locator(".crew-person", { hasText: "钱队员" }).locator('input[name="seconded"]').check();
    await Promise.all([page.waitForEvent("load"), page.click("#shift-submit")]);
    assert.equal(await page.locator("#err-crew").count(), 0);
    const row = page.locator("#roster tbody tr", { hasText: "钱队员" }).filter({ hasText: sunday });
    assert.equal(await row.count(), 1, "the booked shift is listed");
    assert.match(await row.innerText(), /18:00–22:00.*伏击守候/s);
    // The same volunteer again an hour later: a double booking, with the other shift's hours.
    await page.fill("#shift-date", sunday);
    await page.fill("#shift-start", "21:00");
    await page.fill("#shift-end", "23:00");
    await page.locator(".crew-person", { hasText: "钱队员" }).locator('input[name="crew"]').check();
    await page.locator(".crew-person", { hasText: "钱队员" }).locator('input[name="seconded"]').check();
    await Promise.all([page.waitForEvent("load"), page.click("#shift-submit")]);
    assert.match(await page.locator("#err-crew").innerText(), /钱队员.*18:00–22:00/);
    // The station's own officer is offered without the other-organisation hint; the volunteer with it.
    assert.doesNotMatch(await officer.innerText(), /外单位/);
    assert.match(await volunteer.innerText(), /外单位/);
    guard.check();
    await context.close();

    const phone = await signIn("volunteer", { width: 390, height: 844 });
    await phone.page.goto("/patrol/today");
    const mine = phone.page.locator("#my-shifts li");
    assert.ok((await mine.count()) >= 1);
    const all = await phone.page.locator("#my-shifts").innerText();
    assert.match(all, new RegExp(`${sunday.slice(5)} 18:00–22:00`), all);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px)`);
    phone.guard.check();
    await phone.context.close();
  });
  test("the chief imports zones: each feature's problems listed before anything is written", async () => {
    const { page, guard, context } = await signIn("chief");
    await page.goto("/patrol");
    await clickAndLoad(page, "#zone-import-link");
    const grid = await page.evaluate(async () => (await fetch("/api/v1/grids/330681109004003")).json());
    const ring = (grid.geometry.type === "Polygon" ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0]).slice(0, -1);
    const [lng, lat] = [0, 1].map((k) => ring.reduce((s, p) => s + p[k], 0) / ring.length);
    const square = (x, y, d) => ({ type: "Polygon", coordinates: [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]] });
    const bowtie = { type: "Polygon", coordinates: [[[lng, lat], [lng + 0.001, lat + 0.001], [lng + 0.001, lat], [lng, lat + 0.001], [lng, lat]]] };
    const layer = JSON.stringify({ type: "FeatureCollection", features: [
      { type: "Feature", properties: { name: "导入甲片" }, geometry: square(lng, lat, 0.0004) },
      { type: "Feature", properties: { name: "导入乙片" }, geometry: bowtie },
    ] });
    const before = (await page.evaluate(async () => (await fetch("/api/v1/patrol-zones")).json())).length;
    await page.setInputFiles("#zi-file", { name: "zones.geojson", mimeType: "application/geo+json", buffer: Buffer.from(layer) });
    await clickAndLoad(page, "#zi-preview");
    // 陈家社区 is zoned already (the demo): the square overlaps it; the bow tie crosses itself.
    const problems = await page.locator("#zone-import-problems li").allInnerTexts();
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0], /要素 1 · 范围.*重叠/);
    assert.match(problems[1], /要素 2 · 范围/);
    assert.equal(await page.locator("#zi-confirm").count(), 0, "nothing to confirm while a feature is bad");
    const after = (await page.evaluate(async () => (await fetch("/api/v1/patrol-zones")).json())).length;
    assert.equal(after, before, "a preview writes nothing");
    guard.check();
    await context.close();
  });
});
