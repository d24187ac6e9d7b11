//! The console page (built by Trunk as `console`): mounts the app.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(cognito_fusionauth_console::App);
}
