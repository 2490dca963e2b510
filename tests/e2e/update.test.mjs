// Updates against a feed served here (a real HTTP server), with packages signed by the test key
// that the test build trusts (tests/e2e/tauri.test.conf.json; released builds trust TerraDesk's
// own key): a correctly signed update is offered with what's new, downloaded and its signature
// checked; a tampered one is refused with a clear message and nothing is installed. The upload
// running meanwhile is paused for the update and goes on when it does not happen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDriver, screenshot } from "./driver.mjs";
import { $t, appReady, cli, go, jobState, makeSurvey, sandboxDataDir, scrollTo, startJobFrom, waitForState, withSession, forgetSandboxKeys } from "./helpers.mjs";

const key = path.resolve("tests/data/updater/test.key");
const work = mkdtempSync(path.join(tmpdir(), "terradesk-update-feed-"));

/** A small, real .deb (it is never installed by this test: it only has to be a package). */
function probeDeb(version) {
  const root = path.join(work, `probe-${version}`);
  mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
  mkdirSync(path.join(root, "usr/share/terradesk-update-probe"), { recursive: true });
  writeFileSync(path.join(root, "usr/share/terradesk-update-probe/version"), version);
  writeFileSync(path.join(root, "DEBIAN/control"), `Package: terradesk-update-probe\nVersion: ${version}\nArchitecture: all\nMaintainer: test\nDescription: probe\n`);
  const deb = path.join(work, `TerraDesk_${version}_amd64.deb`);
  execFileSync("dpkg-deb", ["--build", "--root-owner-group", root, deb], { stdio: "ignore" });
  return deb;
}

/** The minisign signature the updater checks, made with the test key (written to FILE.sig). */
function sign(file) {
  const env = { ...process.env };
  delete env.TAURI_SIGNING_PRIVATE_KEY;
  execFileSync(path.resolve("node_modules/.bin/tauri"), ["signer", "sign", "-f", key, "-p", "", file], { stdio: "ignore", env });
  return readFileSync(`${file}.sig`, "utf8").trim();
}

let feed; // what latest.json says now
let server;
let base;
const files = new Map();
let sandbox;
let sandboxUrl;
let driver;
const dataDir = sandboxDataDir("update");

before(async () => {
  forgetSandboxKeys();
  server = createServer((req, res) => {
    if (req.url === "/latest.json") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(feed));
    const f = files.get(req.url);
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": f.length }).end(f);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  // A slow sandbox of its own, so an upload is running when the update is installed.
  sandbox = spawn(cli, ["sandbox", "--port", "0", "--json", "--latency-ms", "150", "--job-duration", "2"], { stdio: ["ignore", "pipe", "inherit"] });
  sandboxUrl = JSON.parse(await new Promise((resolve, reject) => {
    createInterface({ input: sandbox.stdout }).once("line", resolve);
    sandbox.once("exit", (c) => reject(new Error(`the sandbox exited (${c})`)));
  })).url;
  driver = await startDriver({ port: 4464, env: { TERRADESK_DATA_DIR: dataDir, TERRADESK_SANDBOX_URL: sandboxUrl } });
});
after(() => {
  driver?.stop();
  server?.close();
  sandbox?.kill();
});

/** Publish `deb` (signed, its .sig next to it) in the feed, with latest.json written by the
 * release's own script. */
function offer(version, deb) {
  const dir = path.dirname(deb);
  const notes = path.join(dir, `notes-${version}.md`);
  writeFileSync(notes, `TerraDesk ${version}: photos can be left out from the map.`);
  const out = path.join(dir, `latest-${version}.json`);
  execFileSync("node", ["scripts/update-manifest.mjs", "--dir", dir, "--version", version, "--url", base, "--notes-file", notes, "--out", out, "--linux-default", "deb"], { stdio: "ignore" });
  const manifest = JSON.parse(readFileSync(out, "utf8"));
  // Only this version's package (the folder holds the other test's too).
  for (const [k, p] of Object.entries(manifest.platforms)) if (!p.url.endsWith(encodeURIComponent(path.basename(deb)))) delete manifest.platforms[k];
  assert.ok(manifest.platforms["linux-x86_64-deb"], JSON.stringify(manifest));
  files.set(`/${path.basename(deb)}`, readFileSync(deb));
  feed = manifest;
}

async function checkNow(b) {
  await go(b, "settings");
  const input = await b.$($t("update-feed"));
  await input.scrollIntoView({ block: "center" });
  const feedUrl = `${base}/latest.json`;
  await input.setValue(feedUrl);
  await b.waitUntil(async () => (await input.getValue()) === feedUrl, { timeout: 5000 });
  // The quiet check at start may have found the offer already: wait for this check to end.
  const button = await b.$($t("update-check"));
  await button.click();
  await b.waitUntil(async () => (await b.execute(() => document.querySelector('[data-testid="update-check"]').disabled)) === false, { timeout: 20000 });
  const card = await b.$($t("update-offer"));
  await card.waitForDisplayed({ timeout: 20000 });
  return card;
}

test("a correctly signed update is offered with what's new, and its signature passes", async () => {
  const deb = probeDeb("9.9.9");
  sign(deb);
  offer("9.9.9", deb);
  await withSession(driver, dataDir, "update-good", async (b) => {
    await appReady(b);
    const card = await checkNow(b);
    assert.match(await card.getText(), /Update available: TerraDesk 9\.9\.9 \(you have 0\.1\.0\)/);
    assert.match(await b.$($t("update-notes")).getText(), /photos can be left out from the map/);
    await scrollTo(b, $t("update-offer"), "center");
    await screenshot(b, "update-offered");
    await (await b.$($t("update-install"))).click();
    // Downloaded, signature checked; this machine has no pkexec or sudo to install a package
    // with, which the app says (where it has one, it installs and restarts).
    const error = await b.$($t("about-error"));
    await error.waitForDisplayed({ timeout: 30000 });
    const said = await error.getText();
    assert.match(said, /The update 9\.9\.9 was downloaded and its signature checked, but could not be installed/, said);
    assert.doesNotMatch(said, /not signed/);
  });
});

test("a tampered update is refused with a clear message, and the upload paused for it goes on", async () => {
  const deb = probeDeb("9.9.10");
  sign(deb);
  // One byte changed after signing: what a damaged download or a tampered mirror serves.
  const bytes = readFileSync(deb);
  bytes[bytes.length - 20] ^= 0xff;
  writeFileSync(deb, bytes);
  offer("9.9.10", deb);
  await withSession(driver, dataDir, "update-tampered", async (b) => {
    await appReady(b);
    await go(b, "new-job");
    const id = await startJobFrom(b, makeSurvey("during-update", 30, 300_000));
    await waitForState(b, "uploading", 20000);
    const card = await checkNow(b);
    assert.match(await card.getText(), /TerraDesk 9\.9\.10/);
    await (await b.$($t("update-install"))).click();
    const error = await b.$($t("about-error"));
    await error.waitForDisplayed({ timeout: 30000 });
    assert.match(await error.getText(), /The downloaded update 9\.9\.10 is not signed with TerraDesk's key, so it was not installed/);
    assert.equal(await b.$($t("update-offer")).isExisting(), false, "the refused update is no longer offered");
    await screenshot(b, "update-refused");
    // Nothing was installed; the job goes on to the end.
    await go(b, "jobs");
    await (await b.$($t(`job-row-${id}`))).click();
    await waitForState(b, "finished", 120000);
    assert.equal(await jobState(b), "finished");
  });
});
