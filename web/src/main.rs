//! Entry point of the Attaka single-page app: installs the panic hook and mounts [`web::app::App`].

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(web::app::App);
}
