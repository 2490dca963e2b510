// The .deb that `npm run package` builds (here the debug one test.sh built, or TERRADESK_DEB),
// installed into a scratch root: its files are checked (the app, the CLI, the desktop entry and
// its icons), then the installed app is launched under Xvfb, with no dev server, and its window
// opens on the app's own pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDriver, screenshot } from "./driver.mjs";
import { $t, appReady, sandboxDataDir, withSession } from "./helpers.mjs";

function findDeb() {
  if (process.env.TERRADESK_DEB) return process.env.TERRADESK_DEB;
  const dir = path.resolve(process.env.CARGO_TARGET_DIR ?? "target", "debug/bundle/deb");
  const debs = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".deb")) : [];
  return debs.length ? path.join(dir, debs.sort().at(-1)) : null;
}

const deb = findDeb();
const root = mkdtempSync(path.join(tmpdir(), "terradesk-deb-root-"));
const version = JSON.parse(readFileSync("tauri.conf.json", "utf8")).version;
let driver;

before(() => {
  assert.ok(deb && existsSync(deb), "build the package first: npm run package -- --debug --bundles deb");
  execFileSync("dpkg-deb", ["-x", deb, root]);
});
after(() => driver?.stop());

test("the .deb holds the app, the CLI, a desktop entry and its icons", () => {
  const control = execFileSync("dpkg-deb", ["-f", deb], { encoding: "utf8" });
  assert.match(control, /^Version: /m);
  assert.match(control, new RegExp(`^Version: ${version.replace(/\./g, "\\.")}$`, "m"));
  assert.match(control, /^Depends: .*libwebkit2gtk-4\.1-0/m, "it names the WebKit it needs");
  for (const bin of ["usr/bin/terradesk-app", "usr/bin/terradesk"]) {
    const st = statSync(path.join(root, bin));
    assert.ok(st.isFile() && (st.mode & 0o111) !== 0, `${bin} is an executable`);
  }
  // The CLI runs from where it is installed and says its version and commit.
  const said = execFileSync(path.join(root, "usr/bin/terradesk"), ["--version"], { encoding: "utf8" });
  assert.match(said, new RegExp(`^terradesk ${version.replace(/\./g, "\\.")} \\(commit [0-9a-f]{7,}|^terradesk ${version.replace(/\./g, "\\.")} \\(commit unknown`));
  // The desktop entry: what a menu launches, with the icon it shows.
  const apps = path.join(root, "usr/share/applications");
  const entries = readdirSync(apps).filter((f) => f.endsWith(".desktop"));
  assert.equal(entries.length, 1, `${entries}`);
  const entry = readFileSync(path.join(apps, entries[0]), "utf8");
  const field = (k) => entry.match(new RegExp(`^${k}=(.*)$`, "m"))?.[1];
  assert.equal(field("Name"), "TerraDesk");
  assert.equal(field("Type"), "Application");
  assert.equal(field("Exec"), "terradesk-app %F", "the menu runs the installed binary, with dropped folders");
  assert.ok(existsSync(path.join(root, "usr/bin", field("Exec").split(" ")[0])));
  const icon = field("Icon");
  const sizes = readdirSync(path.join(root, "usr/share/icons/hicolor"));
  const found = sizes.filter((s) => existsSync(path.join(root, "usr/share/icons/hicolor", s, "apps", `${icon}.png`)));
  assert.ok(found.includes("32x32") && found.includes("128x128"), `icons for ${icon}: ${found}`);
  // Only the package's own files: nothing outside /usr.
  assert.deepEqual(readdirSync(root), ["usr"]);
});

function listening(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port }, () => (s.end(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

test("the installed app opens its window with no dev server", async () => {
  assert.equal(await listening(1420), false, "no dev server runs");
  const dataDir = sandboxDataDir("installed");
  driver = await startDriver({ port: 4460, env: { TERRADESK_DATA_DIR: dataDir }, application: path.join(root, "usr/bin/terradesk-app") });
  await withSession(driver, dataDir, "installed", async (b) => {
    await appReady(b);
    // The page is the one built into the binary, not a dev server's.
    const origin = await b.execute(() => location.origin);
    assert.match(origin, /^(tauri:\/\/localhost|http:\/\/tauri\.localhost)$/, origin);
    assert.equal(await b.getTitle(), "TerraDesk");
    assert.ok(await b.$($t("nav-jobs")).isDisplayed(), "the app's navigation");
    await screenshot(b, "installed-deb");
  });
});
