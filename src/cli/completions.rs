//! `lotta completions SHELL` and `lotta man`: tab completion for bash, zsh, fish and PowerShell
//! (clap_complete), and the manual page of lotta and every subcommand (clap_mangen), both made
//! from the same command-line definition as `--help`, so they never disagree with it.

use clap::CommandFactory;
use std::io::Write;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta completions bash > ~/.local/share/bash-completion/completions/lotta
  lotta completions zsh > ~/.zfunc/_lotta        # with fpath+=(~/.zfunc) in ~/.zshrc
  lotta completions powershell >> $PROFILE")]
pub struct Args {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  lotta man > lotta.1 && man ./lotta.1
  lotta man --out man1       # lotta.1 and lotta-<command>.1 for every command")]
pub struct ManArgs {
    /// A folder to write lotta.1 and one page per subcommand into [default: lotta.1 on stdout].
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut command = super::Cli::command();
    clap_complete::generate(args.shell, &mut command, "lotta", &mut std::io::stdout());
    Ok(0)
}

pub fn man(args: ManArgs) -> anyhow::Result<i32> {
    let command = super::Cli::command();
    match args.out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            std::io::stdout().write_all(&page)?;
        }
        Some(folder) => {
            std::fs::create_dir_all(&folder)?;
            let mut written = 0;
            for (name, cmd) in std::iter::once(("lotta".to_string(), command.clone())).chain(
                command
                    .get_subcommands()
                    .map(|c| (format!("lotta-{}", c.get_name()), c.clone())),
            ) {
                let path = folder.join(format!("{name}.1"));
                if path.exists() && !std::fs::read(&path)?.starts_with(b".ie") {
                    anyhow::bail!(
                        "{} exists and is not a page lotta wrote; choose another --out",
                        path.display()
                    );
                }
                let mut page = Vec::new();
                // The page's title is `lotta-<command>`; clap keeps command names as static text
                // (a few bytes, for a command that ends right after).
                let title: &'static str = Box::leak(name.clone().into_boxed_str());
                clap_mangen::Man::new(cmd.name(title)).render(&mut page)?;
                lotta::io::write_atomic(&path, &page)?;
                written += 1;
            }
            eprintln!("wrote {written} manual pages to {}", folder.display());
        }
    }
    Ok(0)
}
