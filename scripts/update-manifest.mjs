#!/usr/bin/env node
// Writes the update feed (latest.json) for the updater, from a release's signed installers:
//   node scripts/update-manifest.mjs --dir DIR --version 0.2.0 --url https://…/download/v0.2.0 \
//        [--notes-file NOTES.md] [--out latest.json] [--linux-default appimage|deb|rpm]
// Every installer in DIR with its `.sig` next to it (what `tauri build` writes with
// createUpdaterArtifacts and TAURI_SIGNING_PRIVATE_KEY) gets its platform entry; `--url` is
// where the installers are downloaded from (their names are appended). An app that does not know
// how it was installed asks for the plain `linux-x86_64` key: the AppImage's, unless
// `--linux-default` names another.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const need of ["dir", "version", "url"]) {
  if (!args[need]) {
    console.error(`--${need} is needed (see the comment at the top of this file)`);
    process.exit(2);
  }
}

/** The updater's platform keys an installer serves ([key, more specific key]). */
function platforms(name) {
  const arch = /aarch64|arm64/.test(name) ? "aarch64" : "x86_64";
  const linux = (kind) => [`linux-${arch}-${kind}`, ...((args["linux-default"] ?? "appimage") === kind ? [`linux-${arch}`] : [])];
  if (name.endsWith(".AppImage") || name.endsWith(".AppImage.tar.gz")) return linux("appimage");
  if (name.endsWith(".deb")) return linux("deb");
  if (name.endsWith(".rpm")) return linux("rpm");
  if (name.endsWith("-setup.exe") || name.endsWith(".nsis.zip")) return [`windows-${arch}`, `windows-${arch}-nsis`];
  if (name.endsWith(".msi") || name.endsWith(".msi.zip")) return [`windows-${arch}-msi`];
  if (name.endsWith(".app.tar.gz")) return [`darwin-${arch}`, `darwin-${arch}-app`];
  return [];
}

const entries = {};
for (const f of readdirSync(args.dir).sort()) {
  if (f.endsWith(".sig")) continue;
  let signature;
  try {
    signature = readFileSync(path.join(args.dir, `${f}.sig`), "utf8").trim();
  } catch {
    continue; // not signed: not an update
  }
  const url = `${args.url.replace(/\/$/, "")}/${encodeURIComponent(f)}`;
  for (const key of platforms(f)) entries[key] ??= { signature, url };
}
if (Object.keys(entries).length === 0) {
  console.error(`no signed installers (an installer with its .sig) in ${args.dir}`);
  process.exit(1);
}
const manifest = {
  version: args.version,
  notes: args["notes-file"] ? readFileSync(args["notes-file"], "utf8").trim() : (args.notes ?? ""),
  pub_date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  platforms: entries,
};
const out = args.out ?? path.join(args.dir, "latest.json");
writeFileSync(out, JSON.stringify(manifest, null, 2) + "\n");
console.log(`${out}: ${args.version} for ${Object.keys(entries).join(", ")}`);
