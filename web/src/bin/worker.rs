//! The console's Web Worker (built by Trunk as `worker`); see `cognito_fusionauth_console::worker`.

fn main() {
    console_error_panic_hook::set_once();
    cognito_fusionauth_console::worker::start();
}
