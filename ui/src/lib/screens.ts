export type Screen = "jobs" | "new-job" | "settings";
