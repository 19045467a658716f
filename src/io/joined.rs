//! Columns from one input file, or from a study's files joined by id, aligned on the same
//! persons, for the cost-effectiveness analysis (`ops::cost`). Every value keeps its file and
//! line so that a message can point at it, or say that the person has no row in that file.
//!
//! The join rule (the same as `io::join`'s for `estimate`, see docs/architecture.md): the
//! persons are the ledger's, in ledger order; the ledger's own columns (`id`, `arm`,
//! `probability`, `stratum`) always come from the ledger; every other column from the first
//! file that has it, in the order participants, outcome files (as `[data]` lists them), costs,
//! and the ledger last.

use crate::error::{Error, Location, Result, nearest};
use crate::io::join::{LEDGER_ARM, LEDGER_ID, LEDGER_PROBABILITY, LEDGER_STRATUM};
use crate::io::manifest::{FileHash, file_hash, spec_hash};
use crate::io::source::{InputFile, StudyInputs};
use crate::io::table::{ColumnRequest, Table};
use crate::spec::Study;
use std::collections::HashMap;

/// The columns that always come from the ledger.
const LEDGER_OWN: [&str; 4] = [LEDGER_ID, LEDGER_ARM, LEDGER_PROBABILITY, LEDGER_STRATUM];

/// Columns from one or several files, aligned on the same persons.
pub struct Joined {
    tables: Vec<Table>,
    /// Column name → table holding it.
    owner: HashMap<String, usize>,
    /// Per table, per person: the table's row (None when the person has no row there).
    rows: Vec<Vec<Option<usize>>>,
    n: usize,
    /// The files read, with their hashes (for the manifest).
    inputs: Vec<FileHash>,
    /// The persons' ids when joined from a study (to name a person missing from a file).
    ids: Option<Vec<String>>,
}

impl Joined {
    /// Every person is one row of `input`.
    pub fn single(input: &InputFile, requests: &[ColumnRequest]) -> Result<Joined> {
        let table = input.table(requests)?;
        let n = table.n_rows();
        Ok(Joined {
            owner: requests.iter().map(|r| (r.name.clone(), 0)).collect(),
            tables: vec![table],
            rows: vec![(0..n).map(Some).collect()],
            n,
            inputs: vec![file_hash(input)],
            ids: None,
        })
    }

    /// Join the study's ledger (`id`, `arm`, `stratum`) with its participants, outcome and cost
    /// files by id, keeping the ledger's persons in ledger order. Each requested column is taken
    /// from the first file that has it (ledger, participants, outcomes in order, costs). A
    /// person without a row in an outcome file has a missing outcome; without a row in the
    /// costs file, missing costs.
    pub fn study(
        study: &Study,
        inputs: &StudyInputs,
        requests: &[ColumnRequest],
    ) -> Result<Joined> {
        let data = &study.spec.data;
        let ledger = inputs.ledger.as_ref().ok_or_else(|| {
            Error::spec(
                study.key_location("data.ledger"),
                "no ledger; run `lotta assign` first, or use --data with --treatment",
            )
        })?;
        let mut files: Vec<(&InputFile, String)> = vec![(ledger, "id".to_string())];
        for input in inputs
            .participants
            .iter()
            .chain(inputs.outcomes.iter())
            .chain(inputs.costs.iter())
        {
            files.push((input, data.id.clone()));
        }
        let mut headers = Vec::new();
        for (input, _) in &files {
            headers.push(input.headers()?);
        }
        // Assign each requested column to its file by the join rule (module notes).
        let mut per_file: Vec<Vec<ColumnRequest>> = vec![Vec::new(); files.len()];
        let mut owner = HashMap::new();
        for r in requests {
            let ledger_owned =
                LEDGER_OWN.contains(&r.name.as_str()) && headers[0].contains(&r.name);
            let found = if ledger_owned {
                Some(0)
            } else {
                (1..files.len())
                    .chain(std::iter::once(0))
                    .find(|&f| headers[f].contains(&r.name))
            };
            match found {
                Some(f) => {
                    owner.insert(r.name.clone(), f);
                    per_file[f].push(r.clone());
                }
                None => {
                    let all: Vec<&str> = headers.iter().flatten().map(String::as_str).collect();
                    let names: Vec<String> = files
                        .iter()
                        .map(|f| f.0.path().display().to_string())
                        .collect();
                    let mut e = Error::data(
                        Location::default().with_field(&r.name),
                        format!("no column `{}` in any of {}", r.name, names.join(", ")),
                    );
                    if let Some(s) = nearest(&r.name, all.iter().copied()) {
                        e = e.with_hint(format!("did you mean `{s}`?"));
                    }
                    return Err(e);
                }
            }
        }
        let mut tables = Vec::new();
        let mut ids_per_file = Vec::new();
        for (f, (input, id)) in files.iter().enumerate() {
            let mut req = vec![ColumnRequest::text(id.clone())];
            req.extend(per_file[f].iter().filter(|r| r.name != *id).cloned());
            let table = input.table(&req)?;
            ids_per_file.push(table.text(id)?.to_vec());
            tables.push(table);
        }
        let ledger_ids = ids_per_file[0].clone();
        let mut rows = Vec::new();
        for (f, ids) in ids_per_file.iter().enumerate() {
            let mut index: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                if let Some(first) = index.insert(id.as_str(), i) {
                    return Err(Error::data(
                        tables[f].location(i, &files[f].1),
                        format!(
                            "id `{id}` appears twice (also line {})",
                            tables[f].line(first)
                        ),
                    ));
                }
            }
            rows.push(
                ledger_ids
                    .iter()
                    .map(|id| index.get(id.as_str()).copied())
                    .collect(),
            );
        }
        Ok(Joined {
            n: ledger_ids.len(),
            ids: Some(ledger_ids.clone()),
            tables,
            owner,
            rows,
            inputs: std::iter::once(spec_hash(study))
                .chain(files.iter().map(|f| file_hash(f.0)))
                .collect(),
        })
    }

    /// The number of persons.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The files read, with their hashes (for the manifest): the spec first when joined from a
    /// study, then each file in join order.
    pub fn inputs(&self) -> &[FileHash] {
        &self.inputs
    }

    /// Column `name` as text, one value per person ("" when the person has no row there).
    pub fn text(&self, name: &str) -> Result<Vec<String>> {
        let t = self.owner.get(name).copied().unwrap_or(0);
        let values = self.tables[t].text(name)?;
        Ok(self.rows[t]
            .iter()
            .map(|r| r.and_then(|i| values.get(i).cloned()).unwrap_or_default())
            .collect())
    }

    /// Column `name` as numbers, one value per person (NaN when missing or without a row).
    pub fn number(&self, name: &str) -> Result<Vec<f64>> {
        let t = self.owner.get(name).copied().unwrap_or(0);
        let values = self.tables[t].number(name)?;
        Ok(self.rows[t]
            .iter()
            .map(|r| r.and_then(|i| values.get(i).copied()).unwrap_or(f64::NAN))
            .collect())
    }

    /// " for person `<id>`, who has no row in this file" when person `i` has no row in the file
    /// holding `name`, else "".
    pub fn absent(&self, name: &str, i: usize) -> String {
        let t = self.owner.get(name).copied().unwrap_or(0);
        let present = self.rows[t].get(i).copied().flatten().is_some();
        match (&self.ids, present) {
            (Some(ids), false) => format!(
                " for person `{}`, who has no row in this file",
                ids.get(i).map_or("?", String::as_str)
            ),
            _ => String::new(),
        }
    }

    /// Where person `i`'s value of `name` is (the file and line, or the file when absent).
    pub fn location(&self, name: &str, i: usize) -> Location {
        let t = self.owner.get(name).copied().unwrap_or(0);
        match self.rows[t].get(i).copied().flatten() {
            Some(row) => self.tables[t].location(row, name),
            None => Location::file(self.tables[t].path()).with_field(name),
        }
    }

    /// Each value of the id column `id` is present and appears once (one file given with
    /// `--id`; a study's files are checked as they are joined).
    pub fn check_unique_ids(&self, id: &str) -> Result<()> {
        let ids = self.text(id)?;
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (i, v) in ids.iter().enumerate() {
            if v.is_empty() {
                return Err(Error::data(self.location(id, i), "empty id"));
            }
            if let Some(first) = seen.insert(v.as_str(), i) {
                let line = self.location(id, first).line.unwrap_or(0);
                return Err(Error::data(
                    self.location(id, i),
                    format!("id `{v}` appears twice (also line {line})"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn input(text: &str) -> InputFile {
        InputFile::from_bytes(Path::new("d.csv"), text.as_bytes().to_vec())
    }

    #[test]
    fn one_file_reads_every_person_and_names_duplicate_ids_by_line() {
        let file = input("id,y\na,1\nb,\na,0\n");
        let joined = Joined::single(
            &file,
            &[
                ColumnRequest::text("id"),
                ColumnRequest::optional_number("y"),
            ],
        )
        .unwrap();
        assert_eq!(joined.len(), 3);
        assert_eq!(joined.text("id").unwrap(), ["a", "b", "a"]);
        let y = joined.number("y").unwrap();
        assert_eq!(y[0], 1.0);
        assert!(y[1].is_nan());
        assert_eq!(joined.absent("y", 1), "");
        assert_eq!(joined.inputs().len(), 1);
        let err = joined.check_unique_ids("id").unwrap_err().to_string();
        assert!(
            err.contains("line 4") && err.contains("appears twice (also line 2)"),
            "{err}"
        );
    }
}
