//! Progress bars on stderr (indicatif): total, percentage and ETA once the amount of work is
//! known, a spinner until then. Drawn only when stderr is a terminal (indicatif hides them
//! otherwise), without colours; they only count, so nothing identifying is ever drawn.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a bar counts.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// Items (files, datasets, blobs).
    Items(&'static str),
    /// Bytes.
    Bytes,
}

/// A bar that is a [`node::Meter`] and a [`node::Progress`].
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
    unit: Unit,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Bar {
    /// A spinner saying `what`, turning into a bar when the total is known.
    pub fn new(what: &str, unit: Unit) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let template = match unit {
            Unit::Items(u) => format!("{{spinner}} {{msg}} {{pos}} {u}  {{per_sec}}  {{elapsed}}"),
            Unit::Bytes => "{spinner} {msg} {bytes}  {bytes_per_sec}  {elapsed}".to_string(),
        };
        bar.set_style(style(&template));
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar { bar, unit }
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl node::Meter for Bar {
    fn total(&self, total: u64) {
        let template = match self.unit {
            Unit::Items(u) => {
                format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {u} ({{percent}}%)  ETA {{eta}}")
            }
            Unit::Bytes => {
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({percent}%)  ETA {eta}".to_string()
            }
        };
        self.bar.set_length(total);
        self.bar.set_style(style(&template).progress_chars("=> "));
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
}

impl node::Progress for Bar {
    fn wants_total(&self) -> bool {
        !self.bar.is_hidden()
    }
    fn inputs_total(&self, total: u64) {
        node::Meter::total(self, total);
    }
    fn input_done(&self) {
        self.bar.inc(1);
    }
    fn committing(&self, instances: usize) {
        self.bar
            .set_message(format!("importing (making {instances} instances durable)"));
    }
    fn converting(&self, series: usize) {
        self.bar
            .set_message(format!("converting {series} series to NIfTI"));
    }
}
