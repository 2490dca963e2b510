// Writes ui/src/generated/licenses.json: every third-party package bundled into the app and the
// CLI (Rust crates, as `cargo metadata` resolves them for this platform, normal dependencies only;
// and the npm packages in the page), each with its licence and the licence texts it ships.
// Run by `npm run build:ui` (and so by every app build); the About screen shows the list.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const out = path.join(root, "ui/src/generated/licenses.json");

function rustPackages() {
  let meta;
  try {
    const host = execFileSync("rustc", ["-vV"], { encoding: "utf8" }).match(/^host: (.*)$/m)[1];
    meta = JSON.parse(execFileSync("cargo", ["metadata", "--format-version", "1", "--offline", "--filter-platform", host], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 }));
  } catch (e) {
    console.warn(`licenses: cargo metadata failed (${e.message}); listing npm packages only`);
    return [];
  }
  const byId = new Map(meta.packages.map((p) => [p.id, p]));
  const nodes = new Map(meta.resolve.nodes.map((n) => [n.id, n]));
  const roots = meta.workspace_members.filter((id) => /#terradesk-(app|cli)@|\/(src-tauri|cli)#/.test(id));
  // What the app and the CLI link: normal (and build-time) dependencies, not dev ones.
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop();
    if (seen.has(id)) continue;
    seen.add(id);
    for (const d of nodes.get(id)?.deps ?? []) {
      if (d.dep_kinds.some((k) => k.kind === null)) stack.push(d.pkg);
    }
  }
  return [...seen]
    .map((id) => byId.get(id))
    .filter((p) => p && p.source) // the workspace's own crates are ours
    .map((p) => ({ name: p.name, version: p.version, license: p.license ?? (p.license_file ? "see its licence file" : "unknown"), repository: p.repository ?? null, dir: path.dirname(p.manifest_path), kind: "crate" }));
}

function npmPackages() {
  // The page bundles its runtime dependencies only.
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const names = [...Object.keys(pkg.dependencies ?? {}), "svelte"];
  return names.flatMap((name) => {
    const dir = path.join(root, "node_modules", name);
    if (!existsSync(path.join(dir, "package.json"))) return [];
    const p = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    const repo = typeof p.repository === "string" ? p.repository : p.repository?.url ?? null;
    return [{ name, version: p.version, license: p.license ?? "unknown", repository: repo, dir, kind: "npm" }];
  });
}

/** The licence texts a package ships (LICENSE, LICENSE-MIT, COPYING …), deduplicated overall. */
const texts = new Map();
function licenceTexts(dir) {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice|unlicense)/i.test(f)).sort();
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    let t;
    try {
      t = readFileSync(path.join(dir, f), "utf8").trim();
    } catch {
      return [];
    }
    if (!t) return [];
    if (!texts.has(t)) texts.set(t, texts.size);
    return [texts.get(t)];
  });
}

const packages = [...rustPackages(), ...npmPackages()]
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version))
  .map(({ dir, ...p }) => ({ ...p, texts: licenceTexts(dir) }));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ packages, texts: [...texts.keys()] }));
console.log(`licenses: ${packages.length} packages, ${texts.size} licence texts → ${path.relative(root, out)}`);
