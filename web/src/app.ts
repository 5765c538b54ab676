/*
 * Pingan page glue: no framework, no outside URLs.
 *
 * Load order expected in the page <head> (all `defer`, so they run in this order before DOMContentLoaded):
 *   /assets/vendor/htmx.min.js, [/assets/vendor/leaflet/leaflet.js], [/assets/vendor/echarts.min.js], /assets/app.js
 *
 * What it does:
 *   - #nav-toggle opens/closes the side nav on narrow screens (class `nav-open` on <body>, aria-expanded);
 *   - marks the a[data-nav] matching location.pathname as active (class `active`, aria-current="page");
 *   - configures htmx: sends X-Requested-With (and X-CSRF-Token from <meta name="csrf-token">, if present),
 *     keeps no page snapshots in localStorage, injects no inline <style>, swaps 422 (validation) responses,
 *     and shows a small dismissable error box for other failed htmx requests;
 *   - removes Leaflet's default attribution link to an outside site.
 */

interface HtmxConfigRequestDetail {
  headers: Record<string, string>;
  verb: string;
}

interface HtmxResponseHandlingRule {
  code: string;
  swap: boolean;
  error?: boolean;
}

interface HtmxLike {
  config: {
    historyCacheSize: number;
    refreshOnHistoryMiss: boolean;
    includeIndicatorStyles: boolean;
    selfRequestsOnly: boolean;
    responseHandling: HtmxResponseHandlingRule[];
  };
}

interface LeafletLike {
  Control?: { Attribution?: { prototype: { options: { prefix: string | false } } } };
}

declare global {
  interface Window {
    htmx?: HtmxLike;
    L?: LeafletLike;
  }
}

const MOBILE_QUERY = "(max-width: 860px)";

/* ---------- nav toggle ---------- */

function setNavOpen(open: boolean): void {
  document.body.classList.toggle("nav-open", open);
  const toggle = document.getElementById("nav-toggle");
  if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
}

function initNavToggle(): void {
  const toggle = document.getElementById("nav-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", () => {
    setNavOpen(!document.body.classList.contains("nav-open"));
  });
  document.addEventListener("keydown", (ev: KeyboardEvent) => {
    if (ev.key === "Escape" && document.body.classList.contains("nav-open")) {
      setNavOpen(false);
      toggle.focus();
    }
  });
  // On a phone, following a nav link closes the menu (matters for htmx-boosted links).
  const nav = document.getElementById("main-nav");
  nav?.addEventListener("click", (ev: MouseEvent) => {
    const target = ev.target as Element | null;
    if (target?.closest("a") && window.matchMedia(MOBILE_QUERY).matches) setNavOpen(false);
  });
}

/* ---------- active nav link ---------- */

function normalizePath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/** Marks the a[data-nav] whose href is the longest prefix of `pathname` (exact match wins). */
export function markActiveNav(pathname: string = location.pathname): void {
  const here = normalizePath(pathname);
  const links = Array.from(document.querySelectorAll<HTMLAnchorElement>("a[data-nav]"));
  let best: HTMLAnchorElement | null = null;
  let bestLen = -1;
  for (const a of links) {
    const p = normalizePath(new URL(a.href, location.href).pathname);
    const matches = p === here || (p !== "/" && here.startsWith(p + "/"));
    if (matches && p.length > bestLen) {
      best = a;
      bestLen = p.length;
    }
  }
  if (!best) return; // no nav entry for this page (e.g. /areas/…): keep what the server marked
  for (const a of links) {
    const on = a === best;
    a.classList.toggle("active", on);
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/* ---------- htmx ---------- */

function showRequestError(message: string): void {
  let box = document.getElementById("htmx-error");
  if (!box) {
    box = document.createElement("p");
    box.id = "htmx-error";
    box.className = "flash-error";
    box.setAttribute("role", "alert");
    box.title = document.documentElement.lang === "en" ? "Click to close" : "点击关闭";
    box.addEventListener("click", () => box?.remove());
    document.body.appendChild(box);
  }
  box.textContent = message;
}

function configureHtmx(): void {
  const htmx = window.htmx;
  if (!htmx) return;
  const cfg = htmx.config;
  cfg.historyCacheSize = 0; // pages hold personal data: never keep snapshots in localStorage
  cfg.refreshOnHistoryMiss = true;
  cfg.includeIndicatorStyles = false; // styles live in app.css (no inline <style>)
  cfg.selfRequestsOnly = true;
  cfg.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true, error: false }, // server re-renders a form with its validation errors
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
}

function initHtmxEvents(): void {
  document.body.addEventListener("htmx:configRequest", (ev: Event) => {
    const detail = (ev as CustomEvent<HtmxConfigRequestDetail>).detail;
    detail.headers["X-Requested-With"] = "XMLHttpRequest";
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
    if (csrf) detail.headers["X-CSRF-Token"] = csrf;
  });
  const en = () => document.documentElement.lang === "en";
  document.body.addEventListener("htmx:responseError", (ev: Event) => {
    const xhr = (ev as CustomEvent<{ xhr: XMLHttpRequest }>).detail.xhr;
    if (xhr.status === 401) {
      location.assign("/login");
      return;
    }
    const what =
      xhr.status === 403
        ? en() ? "You do not have permission for this." : "没有权限执行此操作。"
        : xhr.status === 404
          ? en() ? "Not found." : "未找到。"
          : en() ? `Request failed (${xhr.status}).` : `请求失败（${xhr.status}）。`;
    showRequestError(what);
  });
  document.body.addEventListener("htmx:sendError", () => {
    showRequestError(en() ? "The server could not be reached." : "无法连接服务器。");
  });
  // After htmx swaps content or pushes a URL, keep the nav highlight right.
  document.body.addEventListener("htmx:pushedIntoHistory", () => markActiveNav());
  document.body.addEventListener("htmx:replacedInHistory", () => markActiveNav());
  window.addEventListener("popstate", () => markActiveNav());
}

/* ---------- print buttons ---------- */

function initPrintButtons(): void {
  // The CSP (script-src 'self') forbids inline onclick handlers: buttons that print say so with
  // data-print, and one delegated listener (htmx-swapped content included) does it.
  document.body.addEventListener("click", (ev: MouseEvent) => {
    const button = (ev.target as Element | null)?.closest("[data-print]");
    if (button) window.print();
  });
}

/* ---------- Leaflet ---------- */

function quietLeafletAttribution(): void {
  // Leaflet's default attribution prefix links to an outside web site; the product runs on a closed network.
  const proto = window.L?.Control?.Attribution?.prototype;
  if (proto) proto.options.prefix = false;
}

/* ---------- start ---------- */

configureHtmx(); // before htmx's own DOMContentLoaded handler reads the config
quietLeafletAttribution(); // before any map is created

function start(): void {
  quietLeafletAttribution();
  initNavToggle();
  markActiveNav();
  initHtmxEvents();
  initPrintButtons();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
