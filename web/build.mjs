// Builds the front-end assets into web/dist/ (served by the server at /assets/…, embedded with rust-embed).
//   dist/vendor/htmx.min.js, dist/vendor/leaflet/{leaflet.js,leaflet.css,images/*}, dist/vendor/echarts.min.js
//   dist/app.js, map.js, board.js, analysis.js, patrol.js, cameras.js, alerts.js, kpi.js (esbuild bundles of src/*.ts)
//   dist/app.css (esbuild bundle of src/app.css)
//   dist/.stamp  (written last; scripts/build-web compares its mtime with the sources)
// The product runs on a closed network: the build fails if our own output names any http(s):// address.
import { build } from "esbuild";
import { cp, mkdir, readFile, readdir, rename, rm, writeFile, copyFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = dirname(fileURLToPath(import.meta.url));
const finalDist = join(root, "dist");
const dist = join(root, "dist.new"); // built aside, then swapped in, so dist/ is never half-written
const require = createRequire(import.meta.url);

// Browsers on government desktops lag behind; keep syntax conservative.
const target = ["chrome80", "firefox78", "safari13", "edge80"];

function pkgDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

async function copyVendor() {
  const vendor = join(dist, "vendor");
  await mkdir(join(vendor, "leaflet"), { recursive: true });

  await copyFile(join(pkgDir("htmx.org"), "dist", "htmx.min.js"), join(vendor, "htmx.min.js"));

  const leaflet = join(pkgDir("leaflet"), "dist");
  await copyFile(join(leaflet, "leaflet.js"), join(vendor, "leaflet", "leaflet.js"));
  await copyFile(join(leaflet, "leaflet.css"), join(vendor, "leaflet", "leaflet.css"));
  await cp(join(leaflet, "images"), join(vendor, "leaflet", "images"), { recursive: true });

  await copyFile(join(pkgDir("echarts"), "dist", "echarts.min.js"), join(vendor, "echarts.min.js"));
}

async function bundleOwn() {
  const common = { bundle: true, minify: true, target, logLevel: "warning", legalComments: "none" };
  await build({
    ...common,
    entryPoints: [join(root, "src", "app.ts")],
    outfile: join(dist, "app.js"),
    format: "iife",
    globalName: "Pingan",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "map.ts")],
    outfile: join(dist, "map.js"),
    format: "iife",
    globalName: "PinganMap",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "board.ts")],
    outfile: join(dist, "board.js"),
    format: "iife",
    globalName: "PinganBoard",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "analysis.ts")],
    outfile: join(dist, "analysis.js"),
    format: "iife",
    globalName: "PinganAnalysis",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "patrol.ts")],
    outfile: join(dist, "patrol.js"),
    format: "iife",
    globalName: "PinganPatrol",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "cameras.ts")],
    outfile: join(dist, "cameras.js"),
    format: "iife",
    globalName: "PinganCameras",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "alerts.ts")],
    outfile: join(dist, "alerts.js"),
    format: "iife",
    globalName: "PinganAlerts",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "kpi.ts")],
    outfile: join(dist, "kpi.js"),
    format: "iife",
    globalName: "PinganKpi",
    platform: "browser",
  });
  await build({
    ...common,
    entryPoints: [join(root, "src", "app.css")],
    outfile: join(dist, "app.css"),
    loader: { ".css": "css" },
    external: ["/assets/*"], // absolute asset URLs stay as they are
  });
}

async function checkNoOutsideUrls() {
  // Our own bundle: no absolute address at all. Stylesheets: no url()/@import that leaves the server.
  for (const f of ["app.js", "map.js", "board.js", "analysis.js", "kpi.js"]) {
    const js = await readFile(join(dist, f), "utf8");
    const jsHit = js.match(/https?:\/\/[^\s"'`)]*/i);
    if (jsHit) throw new Error(`dist/${f} names an outside address: ${jsHit[0]}`);
  }
  for (const f of ["app.css", "vendor/leaflet/leaflet.css"]) {
    const css = (await readFile(join(dist, f), "utf8")).replace(/\/\*[\s\S]*?\*\//g, "");
    const hit = css.match(/(?:url\(\s*["']?|@import\s+["'])\s*(?:[a-z]+:)?\/\/[^\s"')]*/i);
    if (hit) throw new Error(`dist/${f} loads an outside address: ${hit[0]}`);
    if (/https?:\/\//i.test(css)) throw new Error(`dist/${f} names an http(s) address`);
  }
}

async function listFiles(dir, prefix = "") {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await copyVendor();
await bundleOwn();
await checkNoOutsideUrls();
const files = await listFiles(dist);
await rm(finalDist, { recursive: true, force: true });
await rename(dist, finalDist);
// .stamp is written last: its mtime tells scripts/build-web that dist/ is complete and how fresh it is.
await writeFile(join(finalDist, ".stamp"), files.join("\n") + "\n");
if (!process.env.QUIET) console.log(`web/dist: built ${files.length} files`);
