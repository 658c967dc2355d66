use anyhow::Context;
use clap::Parser;
use versus_shared::app::cli::CommonArgs;
use versus_worker::app::WorkerApp;
use versus_worker::dead_letters::DeadLetterCommand;
use versus_worker::report_command::ReportCommand;

#[derive(Debug, Parser)]
#[command(
    name = "versus-worker",
    version,
    about = "Versus job workers: Slack messages and on-call paging"
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Inspect and requeue jobs that failed for good.
    #[command(subcommand)]
    DeadLetters(DeadLetterCommand),
    /// Print the on-call report of the last days (as GET /api/reports/oncall answers it).
    Report(ReportCommand),
}

#[actix_web::main]
async fn main() {
    let Args {
        common: args,
        command,
    } = Args::parse();
    let mut settings = args.settings_or_exit("versus-worker");
    if let Some(command) = command {
        let result = match command {
            Command::DeadLetters(command) => {
                versus_worker::dead_letters::run(&settings, command).await
            }
            Command::Report(command) => {
                versus_worker::report_command::run(&settings, command).await
            }
        };
        if let Err(error) = result {
            eprintln!("versus-worker: {error:#}");
            std::process::exit(1);
        }
        return;
    }
    let result = async {
        versus_shared::infra::schema::enforce_at_startup(&settings.redis)
            .await
            .context("versus-worker could not start")?;
        versus_shared::infra::ack_secret::settle_at_startup(&mut settings)
            .await
            .context("versus-worker could not start")?;
        let app = WorkerApp::build(settings, &args.config)
            .await
            .context("versus-worker could not start")?;
        app.run().await
    }
    .await;
    match result {
        Ok(()) => tracing::info!("versus-worker stopped"),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "versus-worker cannot work; exiting non-zero so it is restarted"
            );
            std::process::exit(1);
        }
    }
}
