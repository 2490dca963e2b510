/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Paths are resolved from this file so the config works from any cwd
// (npm scripts run it from the repository root with --config ui/vite.config.ts).
const uiRoot = fileURLToPath(new URL(".", import.meta.url));
const outDir = fileURLToPath(new URL("../dist", import.meta.url));

// Set by `tauri dev` when developing against a mobile device / remote host.
const host = process.env.TAURI_DEV_HOST;
const isTest = !!process.env.VITEST;
const pkg = JSON.parse(
  readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8"),
) as { version: string };

export default defineConfig({
  root: uiRoot,
  publicDir: "public",
  plugins: [svelte(), svelteTesting()],
  // Vite must not clear the terminal: Tauri prints Rust errors there too.
  clearScreen: false,
  define: {
    __APP_VERSION__: JSON.stringify(pkg.version),
  },
  envPrefix: ["VITE_", "TAURI_"],
  server: {
    port: 1420,
    strictPort: true,
    host: host || false,
    hmr: host ? { protocol: "ws", host, port: 1421 } : undefined,
    watch: { ignored: ["**/src-tauri/**", "**/target/**", "**/crates/**"] },
  },
  preview: {
    port: 4173,
    strictPort: true,
  },
  // Svelte 5 ships separate server and browser builds; component tests run
  // in Node + jsdom and must mount with the browser build.
  resolve: isTest ? { conditions: ["browser"] } : undefined,
  build: {
    outDir,
    emptyOutDir: true,
    // Tauri uses WebView2 (Chromium) on Windows and WebKit on macOS/Linux.
    target: process.env.TAURI_ENV_PLATFORM === "windows" ? "chrome105" : "safari14",
    minify: process.env.TAURI_ENV_DEBUG ? false : "esbuild",
    sourcemap: !!process.env.TAURI_ENV_DEBUG,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});
