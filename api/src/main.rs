use anyhow::Context;
use clap::Parser;
use versus_api::startup::Application;
use versus_shared::app::cli::CommonArgs;

#[derive(Debug, Parser)]
#[command(
    name = "versus-api",
    version,
    about = "Versus HTTP API: accepts alert webhooks into Redis and answers acknowledgements"
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let Args { common: args } = Args::parse();
    let mut settings = args.settings_or_exit("versus-api");
    versus_shared::infra::schema::enforce_at_startup(&settings.redis)
        .await
        .context("versus-api could not start")?;
    versus_shared::infra::ack_secret::settle_at_startup(&mut settings)
        .await
        .context("versus-api could not start")?;
    let app = Application::build(settings).context("versus-api could not start")?;
    tracing::info!(port = app.port(), "versus-api listening");
    app.run_until_stopped()
        .await
        .context("versus-api server failed")?;
    tracing::info!("versus-api stopped");
    Ok(())
}
