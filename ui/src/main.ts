import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { loadCatalog } from "./lib/catalog";
import { parseHash } from "./lib/router";

const target = document.getElementById("app");
if (!target) throw new Error("TerraDesk: #app element missing from index.html");

// The start screen can be chosen with a URL hash (#jobs, #new-job, #settings, #job/12),
// which end-to-end tests and screenshots use; the app itself starts on Jobs. The core's catalog
// comes first, so that no screen draws without it.
void loadCatalog().finally(() => mount(App, { target, props: { initialRoute: parseHash(location.hash) } }));
