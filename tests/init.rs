//! A new user's path without reading the source: `lotta init` writes a study folder whose
//! study.toml is commented and valid, the user puts in their data, then `lotta assign` and
//! `lotta run` give a report. `init` never overwrites a file; `run` before `assign` says what to
//! do; completions and the manual page come from the same command line as `--help`.

mod common;

#[test]
fn init_then_data_then_assign_then_run_gives_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::lotta(dir.path(), &["init", "trial"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("lotta assign trial"), "{}", out.stderr);
    let study = dir.path().join("trial");
    let spec = std::fs::read_to_string(study.join("study.toml")).unwrap();
    for section in [
        "[study]",
        "[data]",
        "[design]",
        "[analysis]",
        "[cost]",
        "[report]",
    ] {
        assert!(spec.contains(section), "{section}");
    }

    // Before anyone is assigned, `run` says to assign first.
    let early = common::lotta(dir.path(), &["run", "trial"]);
    assert_eq!(early.code, 1);
    assert!(early.stderr.contains("lotta assign"), "{}", early.stderr);

    // Following the steps too fast: the templates' example rows are refused, and nothing is
    // assigned (the ledger would keep them for good).
    let template = common::lotta(dir.path(), &["assign", "trial"]);
    assert_eq!(template.code, 1, "{}", template.stderr);
    assert!(
        template.stderr.contains("participants.csv")
            && template.stderr.contains("example participants file"),
        "{}",
        template.stderr
    );
    assert!(!study.join("ledger.csv").exists());
    // Every section the new user may need is in the spec, commented where optional, and a
    // commented key shows the true default.
    for section in ["# [survival]", "# [bounds]", "# [power]"] {
        assert!(spec.contains(section), "{section}");
    }
    assert!(spec.contains("# misfits = \"missing\""), "{spec}");

    // The user's data: 90 participants in the template's columns, later their outcomes.
    let mut participants = String::from("person_id,site,gender,age,education_level\n");
    for i in 1..=90 {
        participants.push_str(&format!(
            "P{i:04},{},{},{},{}\n",
            ["North", "South", "East"][i % 3],
            ["F", "M"][(i / 3) % 2],
            20 + (i * 7) % 40,
            ["primary", "secondary", "tertiary"][(i * 5) % 3]
        ));
    }
    std::fs::write(study.join("participants.csv"), participants).unwrap();
    let assign = common::lotta(dir.path(), &["assign", "trial"]);
    assert_eq!(assign.code, 0, "{}", assign.stderr);
    assert!(study.join("ledger.csv").is_file());

    let mut outcomes = String::from("person_id,took_part,employed_180,employed_365\n");
    let mut costs = String::from("person_id,cost_sek\n");
    for i in 1..=90 {
        outcomes.push_str(&format!(
            "P{i:04},{},{},{}\n",
            (i % 4 != 0) as u8,
            (i % 3 == 0) as u8,
            (i % 2 == 0) as u8
        ));
        costs.push_str(&format!("P{i:04},{}\n", 20_000 + (i * 379) % 20_000));
    }
    // `run` with the outcome template still in place says so, naming the file.
    let early = common::lotta(dir.path(), &["run", "trial", "--quiet"]);
    assert_eq!(early.code, 1, "{}", early.stderr);
    assert!(
        early.stderr.contains("outcomes.csv") && early.stderr.contains("example outcomes file"),
        "{}",
        early.stderr
    );
    std::fs::write(study.join("outcomes.csv"), outcomes).unwrap();
    std::fs::write(study.join("costs.csv"), costs).unwrap();
    let run = common::lotta(dir.path(), &["run", "trial", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(dir.path().join("notebooks-out/trial/report.html")).unwrap();
    assert!(html.contains(">Summary</h2>"));

    // A second init keeps every file.
    let again = common::lotta(dir.path(), &["init", "trial"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("kept"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(study.join("study.toml")).unwrap(),
        spec
    );
}

#[test]
fn completions_and_the_manual_page_are_written() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = common::lotta(dir.path(), &["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(out.stdout.contains("estimate"), "{shell}");
    }
    let man = common::lotta(dir.path(), &["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(
        man.stdout.contains(".TH lotta"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
}
