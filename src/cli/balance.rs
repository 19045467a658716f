//! `lotta balance` (to be written).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<i32> {
    anyhow::bail!("`lotta balance` is not implemented yet")
}
