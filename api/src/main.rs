use anyhow::Context;
use clap::Parser;
use versus_api::startup::Application;
use versus_shared::cli::CommonArgs;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args = CommonArgs::parse();
    let settings = match versus_shared::config::load(&args.config) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("versus-api: {error}");
            std::process::exit(2);
        }
    };
    versus_shared::telemetry::init(&settings);
    if args.check {
        let report = versus_shared::check::check(&settings, &args.config);
        report.print();
        std::process::exit(if report.is_ok() { 0 } else { 1 });
    }
    let app = Application::build(settings).context("versus-api could not start")?;
    tracing::info!(port = app.port(), "versus-api listening");
    app.run_until_stopped()
        .await
        .context("versus-api server failed")?;
    tracing::info!("versus-api stopped");
    Ok(())
}
