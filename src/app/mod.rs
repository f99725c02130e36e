//! The imperative shell: resolve settings, load what a command needs, call the pure core,
//! append events, print. One module per command group.

pub mod case_cmd;
pub mod comms_cmd;
pub mod import;
pub mod init;
pub mod intake_cmd;
pub mod ledger_cmd;
pub mod list_cmd;
pub mod notify_cmd;
pub mod oncall_cmd;
pub mod output;
pub mod planned_write;
pub mod policy_cmd;
pub mod policy_diff_cmd;
pub mod pretty;
pub mod report_cmd;
pub mod review_cmd;
pub mod serve;
pub mod settings;
pub mod simulate_cmd;
pub mod sweep_cmd;

use crate::case::transition::SituationForm;
use crate::case::{OpenRequest, Request};
use crate::cli::{CaseCommand, Cli, Command, IntakeCommand, LedgerCommand, PolicyCommand};
use anyhow::{Result, bail};
use output::Output;
use settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a parsed command line; errors are reported by `main`.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let settings = Settings::resolve(&cli.global, &cwd)?;
    if let Some(n) = settings.threads {
        crate::par::limit_to(n);
    }
    let mut out = Output::new(settings.quiet);
    if settings.policies.len() > 1 && !matches!(cli.command, Command::Simulate(_)) {
        bail!(
            "--policy is given {} times: only `esc simulate` compares policies; give one",
            settings.policies.len()
        );
    }
    match cli.command {
        Command::Policy(PolicyCommand::Check {
            files,
            format,
            cases,
        }) => {
            let files: Vec<PathBuf> = if files.is_empty() {
                vec![settings.policy.clone()]
            } else {
                files
            };
            let refs: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
            let format = if settings.json {
                crate::cli::CheckFormat::Json
            } else {
                format
            };
            let drift = if cases {
                policy_cmd::drift(&settings, &files[0])?
            } else {
                None
            };
            policy_cmd::check(&refs, format, drift.as_deref(), &mut out)
        }
        Command::Policy(PolicyCommand::Explain { file }) => {
            let path = file.unwrap_or_else(|| settings.policy.clone());
            let policy = policy_cmd::load(&path)?;
            let today = settings
                .now
                .with_timezone(&policy.defaults.timezone)
                .date_naive();
            if settings.json {
                bail!(
                    "`esc policy explain` prints tables for people; use `esc policy schema` or read the TOML for machine use"
                );
            }
            out.raw(&crate::policy::explain::explain(&policy, today))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy(PolicyCommand::Diff { old, new, fail_on }) => {
            policy_diff_cmd::diff(&settings, &old, &new, fail_on, &mut out)
        }
        Command::Policy(PolicyCommand::Log) => policy_diff_cmd::log(&settings, &mut out),
        Command::Policy(PolicyCommand::Schema) => {
            out.json(&crate::policy::schema::schema())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir } => {
            // Relative to where the user stands, so the paths it prints are the short ones.
            init::init(&dir.unwrap_or_default(), &settings.ledger, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "esc", &mut buf);
            out.raw(&String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger(LedgerCommand::Verify) => ledger_cmd::verify(&settings, &mut out),
        Command::Ledger(LedgerCommand::Migrate) => ledger_cmd::migrate(&settings, &mut out),
        Command::Ledger(LedgerCommand::Copy { from, to }) => {
            ledger_cmd::copy(&from, &to, &settings, &mut out)
        }
        Command::Sweep {
            dry_run,
            delivery_budget,
        } => sweep_cmd::sweep(&settings, dry_run, &delivery_budget, &mut out),
        Command::Approve { id, trigger } => {
            sweep_cmd::decide(&settings, &id, &trigger, true, None, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reject {
            id,
            trigger,
            reason,
        } => {
            sweep_cmd::decide(&settings, &id, &trigger, false, reason, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Notifications(args) => notify_cmd::notifications(&settings, args, &mut out),
        Command::Report { report } => report_cmd::report(&settings, report, &mut out),
        Command::Review(args) => review_cmd::review(&settings, args, &mut out),
        Command::Actions(args) => review_cmd::actions(&settings, args, &mut out),
        Command::Intake(cmd) => {
            let (source, file) = match cmd {
                IntakeCommand::Alertmanager { file } => (crate::intake::Source::Alertmanager, file),
                IntakeCommand::Event { file } => (crate::intake::Source::Event, file),
            };
            intake_cmd::run(&settings, source, &file, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => {
            serve::serve(&settings, &args, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Oncall(args) => {
            oncall_cmd::oncall(&settings, args, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate(args) => {
            simulate_cmd::simulate(&settings, &args, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Case(cmd) => {
            run_case(&settings, cmd, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_case(settings: &Settings, cmd: CaseCommand, out: &mut Output) -> Result<()> {
    let (id, req) = match cmd {
        CaseCommand::Open(a) => {
            let req = OpenRequest {
                title: a.title,
                severity: a.severity,
                case_type: a.case_type,
                account: a.account,
                reporter: a.reporter,
                channel: a.channel,
                labels: a.labels,
                description: a.description,
                dedup_key: a.dedup_key,
            };
            return case_cmd::open(settings, &req, out);
        }
        CaseCommand::Show { id } => return case_cmd::show(settings, &id, out),
        CaseCommand::List(args) => return list_cmd::list(settings, &args, out),
        CaseCommand::Import { file } => return import::import(settings, &file, out),
        CaseCommand::Ack { id } => (id, Request::Ack),
        CaseCommand::Edit(a) => (
            a.id,
            Request::Edit(crate::case::edit::EditRequest {
                title: a.title,
                severity: a.severity,
                case_type: a.case_type,
                account: a.account,
                label: a.label,
                unlabel: a.unlabel,
            }),
        ),
        CaseCommand::Assign { id, to } => (id, Request::Assign { to }),
        CaseCommand::Note { id, text } => (id, Request::Note { text }),
        CaseCommand::Update(a) => (
            a.id,
            Request::Update {
                eta: a
                    .eta
                    .as_deref()
                    .map(|t| notify_cmd::parse_eta(t, settings.now))
                    .transpose()?,
                text: a.text,
                customer: a.customer,
                form: SituationForm {
                    status: a.status,
                    impact: a.impact,
                    actions: a.actions,
                    next: a.next,
                },
            },
        ),
        CaseCommand::Swarm {
            id,
            with,
            facilitator,
            end,
            lessons,
        } => (
            id,
            if end {
                Request::EndSwarm { lessons }
            } else {
                Request::StartSwarm { with, facilitator }
            },
        ),
        CaseCommand::Major {
            id,
            commander,
            roles,
            stand_down,
            bridge,
            channel,
        } => {
            let req = if stand_down {
                Request::StandDown
            } else {
                let mut pairs = Vec::new();
                for r in roles {
                    let Some((role, who)) = r.split_once('=') else {
                        bail!("--role `{r}` is not ROLE=PERSON, e.g. --role comms=dee");
                    };
                    pairs.push((role.trim().to_string(), who.trim().to_string()));
                }
                Request::DeclareMajor {
                    commander: commander.unwrap_or_default(),
                    roles: pairs,
                    room: crate::case::incident::WarRoom { bridge, channel },
                }
            };
            (id, req)
        }
        CaseCommand::Status { id, customer } => {
            return comms_cmd::status(settings, &id, customer, out);
        }
        CaseCommand::Brief {
            id: Some(id),
            digest: false,
            ..
        } => return comms_cmd::brief(settings, &id, out),
        CaseCommand::Brief { since, .. } => {
            return comms_cmd::digest(settings, since.as_deref().unwrap_or("7d"), out);
        }
        CaseCommand::Escalate(a) => (
            a.id,
            Request::Escalate {
                reason: a.reason,
                summary: a.summary,
                tried: a.tried,
                path: a.path,
                to: a.to,
            },
        ),
        CaseCommand::Deescalate { id, reason, path } => (id, Request::Deescalate { reason, path }),
        CaseCommand::Pause { id, reason } => (id, Request::Pause { reason }),
        CaseCommand::Resume { id } => (id, Request::Resume),
        CaseCommand::Resolve {
            id,
            resolution,
            root_cause,
        } => (
            id,
            Request::Resolve {
                resolution,
                root_cause,
            },
        ),
        CaseCommand::Followup {
            id, request: true, ..
        } => (id, Request::RequestFollowup),
        CaseCommand::Followup {
            id, csat, comment, ..
        } => (id, Request::Followup { csat, comment }),
        CaseCommand::Close {
            id,
            waive_review,
            without_followup,
        } => (
            id,
            Request::Close {
                waive_review,
                without_followup,
            },
        ),
        CaseCommand::Reopen { id, reason } => (id, Request::Reopen { reason }),
    };
    case_cmd::change(settings, &id, &req, out)
}
