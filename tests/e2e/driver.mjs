// Starts tauri-driver (which drives WebKitWebDriver) and opens WebDriver sessions on the built app.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { remote } from "webdriverio";

export const app = process.env.TERRADESK_APP ?? path.resolve("target/debug/terradesk-app");
export const artifacts = process.env.TERRADESK_ARTIFACTS ?? path.resolve("artifacts");

function waitForPort(port, timeoutMs = 20000) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = createConnection({ host: "127.0.0.1", port }, () => {
        sock.end();
        resolve();
      });
      sock.on("error", () => {
        if (Date.now() - start > timeoutMs) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 150);
      });
    };
    attempt();
  });
}

/** One tauri-driver for a test file; `env` reaches the app (its data folder, for instance);
 * `application` is the app's binary (the built one by default). */
export async function startDriver({ port = 4444, env = {}, application = app } = {}) {
  const bin = process.env.TAURI_DRIVER ?? "tauri-driver";
  const child = spawn(bin, ["--port", String(port), "--native-port", String(port + 1)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForPort(port);
  return {
    port,
    async session() {
      return remote({
        hostname: "127.0.0.1",
        port,
        logLevel: "error",
        connectionRetryCount: 1,
        capabilities: {
          browserName: "wry",
          "wdio:enforceWebDriverClassic": true,
          "tauri:options": { application },
        },
      });
    },
    stop() {
      child.kill();
    },
  };
}

/** A fresh, empty data folder for the app under test. */
export function freshDataDir(name) {
  return mkdtempSync(path.join(tmpdir(), `terradesk-e2e-${name}-`));
}

export async function screenshot(browser, name) {
  const dir = path.join(artifacts, "screenshots");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await browser.saveScreenshot(file);
  return file;
}

/** What gnome-keyring (the real Secret Service of this session) holds for a service and region. */
export function keyringLookup(service, region) {
  try {
    return execFileSync("secret-tool", ["lookup", "service", service, "username", region], { encoding: "utf8" });
  } catch {
    return null;
  }
}

/**
 * Answer the native save dialog titled `title` (GTK, under Xvfb) with `file`, as a user would:
 * wait for its window, type the path into its name field, press Enter.
 */
export function answerSaveDialog(title, file, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  let win = "";
  while (!win && Date.now() < until) {
    try {
      win = execFileSync("xdotool", ["search", "--name", `^${title}$`], { encoding: "utf8" }).trim().split("\n").pop();
    } catch {
      execFileSync("sleep", ["0.2"]);
    }
  }
  if (!win) throw new Error(`no "${title}" dialog appeared`);
  execFileSync("sleep", ["0.5"]);
  execFileSync("xdotool", ["windowfocus", "--sync", win]);
  execFileSync("xdotool", ["key", "--window", win, "ctrl+a"]);
  execFileSync("xdotool", ["type", "--window", win, "--delay", "5", file]);
  execFileSync("xdotool", ["key", "--window", win, "Return"]);
}
