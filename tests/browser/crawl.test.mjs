// The crawl of issue 19's acceptance: as every demo role, in zh-CN and in English, at a desktop width and at
// a 390 px phone width, every page reachable from the navigation and one object page of each kind (the first
// link of each kind found on those pages). On every page:
//   - no internal code as text: the enum values of the API (every `enum` in /api/openapi.json) and the role
//     codes never appear as words of the page (in English, where a label may be the code's own word, only
//     compound codes such as call_110 or AreaRead);
//   - in English, no CJK text outside elements that hold user data (marked `data-user`) or text marked as
//     another language (`lang="zh-CN"`, e.g. the language switch);
//   - no inline event handler attribute and no javascript: link;
//   - no horizontal overflow at 390 px;
//   - no console error and no uncaught script error.
// Run: node --test tests/browser/crawl.test.mjs (after cargo build -p pingan and scripts/build-web).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PINGAN_BIN, REPO, launchBrowser, newGuardedPage, prerequisites, startDemo, submitLogin, ROLE_CODES } from "./harness.mjs";

const ready = prerequisites();
if (ready.skip) test("crawl (headless Chromium)", ready, () => {});

/** Every problem found, one file per role, for whoever mends them. */
const OUT = join(REPO, "target", "browser-crawl");
const DESKTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };
const LANGS = ["zh-CN", "en"];

/** Paths never followed: they act (logout, language), download files, or stream; /cap/ is the CAP feed
 * and documents, for machines (tests/cap/run reads them). */
const SKIP = [/^\/logout/, /^\/lang/, /\/export/, /\.(csv|xlsx|pdf|json|geojson|png|mbtiles|pmtiles)$/, /^\/api\//, /^\/cap\//,
  /^\/assets\//, /^\/basemap\//, /^\/live/, /\/events$/, /^\/notifications\/count/, /\/print(\?|$)/];

/** The kind of an object page: its path with every segment that carries an id replaced by *. */
function kindOf(path) {
  return path.split("/").map((s) => (/\d/.test(s) && s.length > 2 ? "*" : s)).join("/");
}

/** Every code of the code base (`pingan codes`: the domain's enums) and every enum value of the API document. */
function codesOf(doc) {
  const out = new Set(ROLE_CODES);
  const listed = JSON.parse(execFileSync(PINGAN_BIN, ["codes"], { encoding: "utf8" }));
  for (const codes of Object.values(listed)) for (const c of codes) out.add(c);
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      if (Array.isArray(v.enum)) for (const e of v.enum) if (typeof e === "string" && /[a-z]/i.test(e)) out.add(e);
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  return [...out].filter((c) => /[A-Za-z]/.test(c));
}

/** Runs in the page: what it finds wrong, as strings. */
function inspect({ codes, english, phone }) {
  const problems = [];
  const codeSet = new Set(codes);
  const userData = (el) => el && el.closest && el.closest("[data-user], [lang^='zh'], script, style, noscript, template");
  const visible = (el) => {
    const s = el && getComputedStyle(el);
    return !!s && s.display !== "none" && s.visibility !== "hidden";
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue.trim();
    const el = n.parentElement;
    if (!text || userData(el) || !visible(el)) continue;
    if (english && /[\u3400-\u9fff\uf900-\ufaff]/.test(text)) {
      problems.push(`CJK text in English outside data-user: "${text.slice(0, 60)}" in <${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className ? "." + String(el.className).split(" ")[0] : ""}>`);
    }
    for (const word of text.match(/[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9]/g) || []) {
      if (!codeSet.has(word)) continue;
      // English labels may be the code's own word ("open", "village"): in English only compound codes
      // (call_110, AreaRead) count; the Chinese pages catch a bare word shown raw.
      if (!english || /[_.]/.test(word) || /[a-z][A-Z]/.test(word)) {
        problems.push(`internal code "${word}" shown as text: "${text.slice(0, 60)}" in <${el.tagName.toLowerCase()}>`);
      }
    }
  }
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.getAttributeNames()) {
      if (a.startsWith("on")) problems.push(`inline handler ${a}= on <${el.tagName.toLowerCase()}>`);
    }
    const href = el.getAttribute("href");
    if (href && /^\s*javascript:/i.test(href)) problems.push(`javascript: link on <${el.tagName.toLowerCase()}>`);
  }
  if (english) {
    for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
      if (userData(el)) continue;
      for (const a of ["placeholder", "title", "aria-label"]) {
        const v = el.getAttribute(a);
        if (v && /[\u3400-\u9fff]/.test(v)) problems.push(`CJK ${a} in English: "${v.slice(0, 40)}" on <${el.tagName.toLowerCase()}>`);
      }
    }
  }
  if (phone) {
    const over = document.documentElement.scrollWidth - window.innerWidth;
    if (over > 1) {
      const wide = [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".table-wrap, .leaflet-container"))
        .slice(0, 3)
        .map((e) => `<${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + String(e.className).split(" ")[0] : ""}>`);
      problems.push(`page scrolls sideways at ${window.innerWidth} px by ${over} px (${wide.join(", ")})`);
    }
  }
  return problems;
}

describe("crawl: every role, zh-CN and English, desktop and phone (headless Chromium)", { timeout: 30 * 60_000, ...ready }, () => {
  let demo;
  let browser;
  let codes;

  before(async () => {
    demo = await startDemo({ seed: 7 });
    browser = await launchBrowser();
    const doc = await (await fetch(new URL("/api/openapi.json", demo.url))).json();
    codes = codesOf(doc);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  test("the list of internal codes comes from the code base and the API document", () => {
    for (const c of ["call_110", "applicant", "community_gate", "dispatcher", "urban", "AreaRead"]) {
      assert.ok(codes.includes(c), `the code list holds ${c} (${codes.length} codes)`);
    }
  });

  for (const role of ROLE_CODES) {
    test(`${role}: every page, both languages, both widths`, async (t) => {
      const login = demo.logins.find((l) => l.role === role);
      if (!login) {
        t.skip(`the demo has no ${role} login`);
        return;
      }
      const { context, page, guard } = await newGuardedPage(browser, demo.url, { viewport: DESKTOP });
      const consoleErrors = [];
      page.on("console", (m) => {
        if (m.type() === "error") consoleErrors.push(`${new URL(page.url()).pathname}: ${m.text()}`);
      });
      const problems = [];
      try {
        await page.goto("/login");
        await submitLogin(page, login.username, login.password, login.totpSecret);
        await page.locator("#main-nav").waitFor({ state: "attached" });

        // the pages: the nav, then the first link of each kind found on them
        const navHrefs = await page.$$eval("#main-nav a[data-nav]", (as) => as.map((a) => a.getAttribute("href")));
        const pages = [...new Set(navHrefs)];
        const kinds = new Set(pages.map(kindOf));
        for (let i = 0; i < pages.length && i < 80; i++) {
          const resp = await page.goto(pages[i], { waitUntil: "load" });
          if (!resp || resp.status() >= 400) {
            problems.push(`${pages[i]} answered ${resp?.status()}`);
            continue;
          }
          const links = await page.$$eval("#content a[href]", (as) => as.map((a) => a.getAttribute("href")));
          for (const href of links) {
            if (!href.startsWith("/") || href.startsWith("//")) continue;
            const path = href.split("#")[0];
            if (!path || SKIP.some((re) => re.test(path.split("?")[0]))) continue;
            const kind = kindOf(path.split("?")[0]);
            if (kinds.has(kind)) continue;
            kinds.add(kind);
            pages.push(path);
          }
        }
        assert.ok(pages.length >= navHrefs.length, "the crawl holds at least the nav");

        for (const lang of LANGS) {
          await context.addCookies([{ name: "lang", value: lang, url: demo.url }]);
          for (const [viewport, phone] of [[DESKTOP, false], [PHONE, true]]) {
            await page.setViewportSize(viewport);
            for (const path of pages) {
              const resp = await page.goto(path, { waitUntil: "load" });
              if (!resp || resp.status() >= 400) continue; // reported above
              const htmlLang = await page.getAttribute("html", "lang");
              assert.equal(htmlLang, lang, `${path} is in ${lang}`);
              await page.waitForTimeout(50); // let maps draw their labels
              const found = await page.evaluate(inspect, { codes, english: lang === "en", phone });
              for (const p of found) problems.push(`[${lang} ${viewport.width}px] ${path}: ${p}`);
            }
          }
        }
        problems.push(...consoleErrors.map((e) => `console error: ${e}`));
        guard.check();
      } finally {
        await context.close();
      }
      const unique = [...new Set(problems)];
      if (unique.length) {
        mkdirSync(OUT, { recursive: true });
        writeFileSync(join(OUT, `${role}.txt`), unique.join("\n") + "\n");
      }
      assert.deepEqual(unique, [], `${role} (${login.username}): ${unique.length} problems`);
    });
  }
});
