//! Import reports by e-mail: after an import into a study (CLI, API upload, STOW-RS, C-STORE),
//! one message to each subscriber who may still see the study, through the relay of `[smtp]`
//! (`node::SmtpConfig`). The body is [`node::ImportReport`]: pseudonyms and shifted dates only.
//! A relay that fails is logged and audited; it never fails the import that triggered it.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use node::{AuditAction, ImportReport, NewEvent, Node, SmtpConfig, SmtpSecurity};
use protocol::id::StudyId;

/// Why a report was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The `[smtp]` settings are unusable (an address that does not parse, a missing password).
    #[error("[smtp]: {0}")]
    Config(String),
    /// The relay refused or could not be reached.
    #[error("SMTP relay {host}: {detail}")]
    Relay {
        /// The relay.
        host: String,
        /// What it said.
        detail: String,
    },
    /// Reading the catalog or the accounts failed.
    #[error("{0}")]
    Node(String),
}

fn transport(c: &SmtpConfig) -> Result<SmtpTransport, MailError> {
    let tls = |c: &SmtpConfig| {
        TlsParameters::new(c.host.clone()).map_err(|e| MailError::Config(e.to_string()))
    };
    let mut b = SmtpTransport::builder_dangerous(&c.host)
        .port(c.port)
        .timeout(Some(Duration::from_secs(20)));
    b = match c.security {
        SmtpSecurity::Starttls => b.tls(Tls::Required(tls(c)?)),
        SmtpSecurity::Tls => b.tls(Tls::Wrapper(tls(c)?)),
        SmtpSecurity::None => b.tls(Tls::None),
    };
    if let Some(user) = &c.username {
        let var = c.password_env.as_deref().ok_or_else(|| {
            MailError::Config(
                "username without password_env (the variable holding the password)".into(),
            )
        })?;
        let pass = std::env::var(var)
            .map_err(|_| MailError::Config(format!("the environment variable {var} is not set")))?;
        b = b.credentials(Credentials::new(user.clone(), pass));
    }
    Ok(b.build())
}

/// What a study held before an import, to report what the import brought (see
/// [`ReportWatch::before`]).
#[derive(Debug)]
pub struct ReportWatch {
    study: StudyId,
    before: std::collections::HashMap<protocol::id::DatasetId, u64>,
}

impl ReportWatch {
    /// Before an import into the study named `study` (as the importer names it): `None` when no
    /// report will be sent (no `[smtp]`, no such study yet, nobody subscribed).
    pub fn before(node: &Node, study: &str) -> Option<ReportWatch> {
        node.config.smtp.as_ref()?;
        let id = match node.catalog.study_by_name(study) {
            Ok(s) => s?.id,
            Err(e) => {
                tracing::warn!("import report: {e}");
                return None;
            }
        };
        if node.catalog.report_subscribers(id).ok()?.is_empty() {
            return None;
        }
        let before = ImportReport::snapshot(&node.catalog, id)
            .map_err(|e| tracing::warn!("import report: {e}"))
            .ok()?;
        Some(ReportWatch { study: id, before })
    }

    /// After the import: send the report of what changed, logging instead of failing.
    pub fn after(self, node: &Node) {
        match send_import_report(node, &self) {
            Ok(0) => {}
            Ok(n) => tracing::info!("import report sent to {n} subscribers"),
            Err(e) => tracing::warn!("import report not sent: {e}"),
        }
    }
}

/// Send the report of what changed in the watched study to its subscribers; the number of
/// messages sent (0 without `[smtp]`, subscribers or new data).
pub fn send_import_report(node: &Node, watch: &ReportWatch) -> Result<usize, MailError> {
    let Some(smtp) = node.config.smtp.as_ref() else {
        return Ok(0);
    };
    let study = watch.study;
    let node_err = |e: &dyn std::fmt::Display| MailError::Node(e.to_string());
    let Some(report) =
        ImportReport::changed(&node.catalog, study, &watch.before).map_err(|e| node_err(&e))?
    else {
        return Ok(0);
    };
    let now = node::now();
    let recipients =
        node::report_recipients(node::Access::new(&node.catalog), &node.catalog, study, now)
            .map_err(|e| node_err(&e))?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| MailError::Config(format!("from = {:?}: {e}", smtp.from)))?;
    let mailer = transport(smtp)?;
    let body = report.text();
    let mut sent = 0;
    let mut failed = Vec::new();
    for (user, address) in &recipients {
        let to: Mailbox = match address.parse() {
            Ok(a) => a,
            Err(_) => {
                failed.push(format!("{user}: not an e-mail address"));
                continue;
            }
        };
        let msg = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(report.subject())
            .header(ContentType::TEXT_PLAIN)
            .body(body.clone())
            .map_err(|e| MailError::Config(e.to_string()))?;
        match mailer.send(&msg) {
            Ok(_) => sent += 1,
            Err(e) => failed.push(format!("{user}: {e}")),
        }
    }
    let detail = format!(
        "import report: {sent} sent, {} failed ({} series)",
        failed.len(),
        report.series.len()
    );
    node.catalog
        .audit()
        .append(
            NewEvent::new("neurofed", AuditAction::ReportSent, now)
                .study(study)
                .detail(detail),
        )
        .map_err(|e| node_err(&e))?;
    if sent == 0 && !failed.is_empty() {
        return Err(MailError::Relay {
            host: smtp.host.clone(),
            detail: failed.join("; "),
        });
    }
    for f in &failed {
        tracing::warn!("import report not sent to {f}");
    }
    Ok(sent)
}
