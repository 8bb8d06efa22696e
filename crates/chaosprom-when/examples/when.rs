//! Parses one time expression and prints the instant it names.
//!
//! ```text
//! cargo run -p chaosprom-when --example when -- [--now <RFC3339>] -- <expression>
//! ```
//!
//! Prints the instant as RFC 3339 in UTC with full precision and exits 0, or
//! prints the error on stderr and exits 1. Dates without a zone are read in
//! the machine's time zone (`TZ`).

use std::process::ExitCode;

use clap::Parser;
use jiff::{Timestamp, Zoned, tz::TimeZone};

/// Print the instant a time expression names.
#[derive(Debug, Parser)]
#[command(name = "when")]
struct Args {
    /// The instant relative expressions count from (RFC 3339); default: now.
    #[arg(long, value_name = "RFC3339")]
    now: Option<Timestamp>,
    /// The time expression, e.g. "2 minutes ago".
    #[arg(last = true, required = true, value_name = "EXPRESSION")]
    expression: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let now = match args.now {
        Some(t) => t.to_zoned(TimeZone::system()),
        None => Zoned::now(),
    };
    match chaosprom_when::parse_time_at(&args.expression, &now) {
        Ok(t) => {
            println!("{}", chaosprom_when::format_time(t));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
