import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import type { Screen } from "./lib/screens";

const target = document.getElementById("app");
if (!target) throw new Error("TerraDesk: #app element missing from index.html");

// The start screen can be chosen with a URL hash (#jobs, #new-job, #settings),
// which end-to-end tests and screenshots use; the app itself starts on Jobs.
const screens: readonly Screen[] = ["jobs", "new-job", "settings"];
const requested = location.hash.replace(/^#\/?/, "") as Screen;
const initialScreen: Screen = screens.includes(requested) ? requested : "jobs";

const app = mount(App, { target, props: { initialScreen } });

export default app;
