//! Long uploads are kept alive: while a job runs, closing the window hides it to the tray
//! instead of quitting; "Quit" in the tray menu ends the app (the jobs resume at next start).

use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show TerraDesk", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    let mut tray = TrayIconBuilder::with_id("main").tooltip("TerraDesk").menu(&menu).on_menu_event(|app, e| match e.id().as_ref() {
        "show" => {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.show();
                let _ = w.set_focus();
            }
        }
        "quit" => app.exit(0),
        _ => {}
    });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let running = window.state::<terradesk_core::Desk>().runner().running();
        if !running.is_empty() {
            tracing::info!(jobs = running.len(), "window closed while jobs run: hiding to the tray");
            api.prevent_close();
            let _ = window.hide();
        }
    }
}
