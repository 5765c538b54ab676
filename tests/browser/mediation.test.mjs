// Issue 5: the printed mediation agreement (人民调解协议书), rendered to PDF by headless Chromium, holds
// every element 人民调解法 art. 29 requires — parties' particulars, main facts, points in dispute,
// responsibilities, the agreed terms with how and by when they are performed, and the signing and sealing
// that make it take effect (one copy per party plus one kept). The text is read back out of the PDF with
// pdftotext (poppler-utils). Also: the dispute page shows the timeline and masked parties on a phone.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { launchBrowser, loginBody, newGuardedPage, playwright, prerequisites, skipOrFail, startDemo, submitLogin } from "./harness.mjs";

function pdftotextReady() {
  try {
    execFileSync("pdftotext", ["-v"], { stdio: "ignore" });
    return {};
  } catch {
    return skipOrFail("pdftotext (poppler-utils) is not installed");
  }
}

let ready = prerequisites();
if (!ready.skip) ready = pdftotextReady();
if (ready.skip) test("mediation agreement PDF (headless Chromium)", ready, () => {});

/** Citizen ID with its GB 11643 check digit. */
function citizenId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return first17 + "10X98765432"[sum % 11];
}

describe("mediation agreement PDF (headless Chromium)", { timeout: 3 * 60_000, ...ready }, () => {
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

  test("the printed agreement contains every art. 29 element", async () => {
    const api = await playwright().request.newContext({ baseURL: demo.url });
    const as = async (u) => {
      assert.equal((await api.post("/api/v1/session", { data: { username: u, password: login(u).password } })).status(), 200);
    };
    const applicantId = citizenId("33068119800101123");
    const respondentId = citizenId("33068119850202234");
    let id;
    try {
      await as("gridworker");
      const grid = await (await api.get("/api/v1/grids/330681109004002")).json();
      const ring = grid.geometry.type === "Polygon" ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0];
      const pts = ring.slice(0, -1);
      const lng = pts.reduce((s, p) => s + p[0], 0) / pts.length;
      const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
      const created = await api.post("/api/v1/disputes", { data: {
        type_code: "02", title: "邻里围墙界址纠纷", description: "两户因围墙界址争执", address: "枫桥镇陈家村 8 号",
        lng, lat, people_involved: 2,
        parties: [
          { name: "张三丰", role: "applicant", id_number: applicantId, phone: "13812345678", address: "枫桥镇陈家村 8 号" },
          { name: "李四光", role: "respondent", id_number: respondentId, phone: "13987654321", address: "枫桥镇陈家村 9 号" },
        ] } });
      assert.equal(created.status(), 201, await created.text());
      id = (await created.json()).id;
      await as("mediator");
      const agreed = await api.post(`/api/v1/disputes/${id}/agreement`, { data: {
        facts: "张家新砌围墙越过界址约零点三米，李家要求拆除。",
        issues: "围墙界址的认定及拆除费用的承担。",
        responsibilities: "张家越界砌墙，负主要责任；李家未及时提出异议，负次要责任。",
        terms: [
          { content: "张三丰拆除越界部分围墙", performer: "张三丰", due_date: "2026-12-31" },
          { content: "李四光补偿材料费两千元", performer: "李四光", due_date: "2027-01-15" },
        ],
        mediator: "孙调解", committee: "枫桥镇人民调解委员会", judicial_confirmation: true } });
      assert.equal(agreed.status(), 201, await agreed.text());
    } finally {
      await api.dispose();
    }

    const { page, guard, context } = await newGuardedPage(browser, demo.url, { viewport: { width: 390, height: 844 } });
    try {
      await page.goto("/login");
      await submitLogin(page, "mediator", login("mediator").password);
      // The dispute page on a phone: timeline and masked parties, no sideways scrolling.
      await page.goto(`/disputes/${id}`);
      assert.match(await page.locator("#timeline").innerText(), /登记受理[\s\S]*达成协议/);
      const parties = await page.locator("#parties").innerText();
      assert.ok(parties.includes("张**") && !parties.includes("张三丰"), parties);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), false);
      // Printing asks for a purpose first.
      await page.fill("#print-form input[name=purpose]", "当事人签署调解协议书");
      await Promise.all([page.waitForURL(/\/agreement\?purpose=/), page.click("#print-form button")]);
      const pdf = await page.pdf({ format: "A4", printBackground: false });
      const dir = mkdtempSync(join(tmpdir(), "pingan-pdf-"));
      const file = join(dir, "agreement.pdf");
      writeFileSync(file, pdf);
      const text = execFileSync("pdftotext", ["-layout", "-enc", "UTF-8", file, "-"]).toString("utf8").replace(/[ \t]+/g, " ");
      const squash = text.replace(/\s+/g, "");
      const must = {
        "title": "人民调解协议书",
        "applicant's name": "张三丰", "respondent's name": "李四光",
        "applicant's ID": applicantId, "respondent's ID": respondentId,
        "parties' addresses": "枫桥镇陈家村9号",
        "main facts (heading)": "纠纷的主要事实", "main facts": "张家新砌围墙越过界址约零点三米",
        "points in dispute (heading)": "争议事项", "points in dispute": "围墙界址的认定及拆除费用的承担",
        "responsibilities (heading)": "各方当事人的责任", "responsibilities": "张家越界砌墙，负主要责任",
        "agreed terms": "张三丰拆除越界部分围墙", "second term": "李四光补偿材料费两千元",
        "how and by when": "于2026-12-31前履行", "second deadline": "2027-01-15",
        "takes effect on signing": "签名、盖章或者按指印",
        "mediator signs": "孙调解", "committee seals": "枫桥镇人民调解委员会（印章）",
        "copies": "一式3份", "judicial confirmation": "三十日内共同向人民法院申请司法确认",
      };
      for (const [what, s] of Object.entries(must)) {
        assert.ok(squash.includes(s.replace(/\s+/g, "")), `the PDF lacks ${what} (“${s}”):\n${text}`);
      }
      guard.check();
    } finally {
      await context.close();
    }
    // The print was a reveal: audited with its purpose.
    const audit = await playwright().request.newContext({ baseURL: demo.url });
    try {
      assert.equal((await audit.post("/api/v1/session", { data: await loginBody(login("auditor")) })).status(), 200);
      const rows = await (await audit.get(`/api/v1/audit?object_id=${id}&limit=50`)).json();
      assert.ok(rows.some((r) => r.action === "dispute.read_personal" && r.purpose === "当事人签署调解协议书"), JSON.stringify(rows));
    } finally {
      await audit.dispose();
    }
  });
  test("a grid worker registers a dispute on a phone and records a session", async () => {
    const { page, guard, context } = await newGuardedPage(browser, demo.url, { viewport: { width: 390, height: 844 } });
    try {
      await page.goto("/login");
      await submitLogin(page, "gridworker", login("gridworker").password);
      const grid = await (await page.request.get("/api/v1/grids/330681109004002")).json();
      const ring = grid.geometry.type === "Polygon" ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0];
      const pts = ring.slice(0, -1);
      const lng = pts.reduce((s, p) => s + p[0], 0) / pts.length;
      const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
      await page.goto("/disputes");
      await Promise.all([page.waitForURL(/\/disputes\/new$/), page.click("#new-dispute")]);
      await page.selectOption("select[name=type_code]", "09");
      await page.fill("input[name=title]", "工地拖欠工资");
      await page.fill("textarea[name=description]", "六名工人讨要工资");
      await page.fill("input[name=address]", "枫桥镇陈家村工地");
      // The place is the map picker's (its hidden fields; picking by search and tap is maps.test.mjs):
      // here the middle of the grid worker's own grid, so it lies in their scope.
      await page.evaluate(([a, b]) => {
        document.getElementById("lng").value = a;
        document.getElementById("lat").value = b;
      }, [lng.toFixed(6), lat.toFixed(6)]);
      await page.fill("input[name=people_involved]", "6");
      await page.fill("input[name=p1_name]", "王小二");
      await page.fill("input[name=p1_phone]", "13700001111");
      await Promise.all([page.waitForURL(/\/disputes\/[0-9a-f-]{36}$/), page.click("#register")]);
      // Six people: 群体性 → orange, and the reason is shown.
      assert.match(await page.locator(".page-head").innerText(), /橙/);
      assert.match(await page.locator("body").innerText(), /群体性/);
      assert.ok((await page.locator("#parties").innerText()).includes("王**"));
      await page.fill("#session-form input[name=place]", "陈家村村委会");
      await page.fill("#session-form input[name=attendees]", "网格员、工人代表、包工头");
      await page.fill("#session-form textarea[name=notes]", "约定三日内结清");
      await Promise.all([page.waitForLoadState("load"), page.click("#session-form button")]);
      assert.match(await page.locator("#timeline").innerText(), /调解[\s\S]*陈家村村委会/);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), false);
      guard.check();
    } finally {
      await context.close();
    }
  });
});
