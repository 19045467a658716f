//! The one id join: a study's assignment ledger with its participants, outcome and cost files,
//! aligned on the same persons. `estimate` ([`crate::io::analysis_data`]) and `cost`
//! (`ops::cost`) both read their columns through it, so a column comes from the same file and a
//! person is analysed or not by the same rule everywhere.
//!
//! The rule (docs/architecture.md):
//! - the persons are the ledger's rows that have an arm, in ledger order (a misfit the design
//!   left unassigned is in no comparison);
//! - the ledger's own columns (`id`, `arm`, `probability`, `stratum`) come from the ledger; every
//!   other column from the first file that has it, in the order participants, outcome files (as
//!   `[data]` lists them), costs, and the ledger last;
//! - only files that hold a requested column are read; in each, an id may appear once;
//! - an id in an outcome or cost file must be in the ledger (outcomes are only analysed for
//!   assigned persons); the participants file may hold persons not (yet) assigned;
//! - a person without a row in an outcome or cost file has missing values there; the
//!   participants file, when it supplies a column, must have every assigned person.

use crate::error::{Error, Location, Result, nearest};
use crate::io::manifest::{FileHash, file_hash};
use crate::io::source::InputFile;
use crate::io::table::{ColumnRequest, Table};
use std::collections::HashMap;

pub use crate::design::ledger::{LEDGER_ARM, LEDGER_ID, LEDGER_PROBABILITY, LEDGER_STRATUM};

/// The columns that always come from the ledger when it has them.
const LEDGER_OWN: [&str; 4] = [LEDGER_ID, LEDGER_ARM, LEDGER_PROBABILITY, LEDGER_STRATUM];

/// The files of a study, in join order.
#[derive(Clone, Copy)]
pub struct StudyFiles<'a> {
    pub ledger: &'a InputFile,
    pub participants: Option<&'a InputFile>,
    pub outcomes: &'a [InputFile],
    pub costs: Option<&'a InputFile>,
    /// The id column of the participants, outcome and cost files (`[data] id`).
    pub id: &'a str,
}

/// How one file's columns are read: the file, the column names to read, and those of them the
/// join needs as text (ids, arms, strata). The caller decides every other column's type.
pub type ReadColumns<'r> = dyn Fn(&InputFile, &[String], &[String]) -> Result<Table> + 'r;

/// Reading by [`ColumnRequest`]s: each name read as requested, the join's own columns as text.
pub fn by_requests(
    requests: &[ColumnRequest],
) -> impl Fn(&InputFile, &[String], &[String]) -> Result<Table> + '_ {
    move |input, names, text| {
        let columns: Vec<ColumnRequest> = names
            .iter()
            .map(|name| {
                if text.contains(name) {
                    ColumnRequest::text(name.clone())
                } else {
                    requests
                        .iter()
                        .find(|r| &r.name == name)
                        .cloned()
                        .unwrap_or_else(|| ColumnRequest::text(name.clone()))
                }
            })
            .collect();
        input.table(&columns)
    }
}

/// Columns from one or several files, aligned on the same persons.
pub struct Joined {
    tables: Vec<Table>,
    /// Column name → table holding it.
    owner: HashMap<String, usize>,
    /// Per table, per person: the table's row (None when the person has no row there).
    rows: Vec<Vec<Option<usize>>>,
    n: usize,
    /// The files read, with their hashes, in join order (for the manifest).
    inputs: Vec<FileHash>,
    /// The persons' ids when joined from a study (to name a person missing from a file).
    ids: Option<Vec<String>>,
    /// For the user: persons the join left out, and why.
    notes: Vec<String>,
}

/// One file of the join and the id column it is matched on.
struct Member<'a> {
    input: &'a InputFile,
    id: &'a str,
    role: Role,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Ledger,
    Participants,
    Outcomes,
    Costs,
}

impl Joined {
    /// Every person is one row of `input` (an ad hoc file).
    /// The `requests`' columns of a study's files, joined by id.
    pub fn study_columns(files: StudyFiles<'_>, requests: &[ColumnRequest]) -> Result<Joined> {
        let names: Vec<String> = requests.iter().map(|r| r.name.clone()).collect();
        Joined::study(files, &names, &by_requests(requests))
    }

    /// The `requests`' columns of one data file.
    pub fn file_columns(input: &InputFile, requests: &[ColumnRequest]) -> Result<Joined> {
        let names: Vec<String> = requests.iter().map(|r| r.name.clone()).collect();
        Joined::single(input, &names, &by_requests(requests))
    }

    pub fn single(input: &InputFile, names: &[String], read: &ReadColumns<'_>) -> Result<Joined> {
        let table = read(input, names, &[])?;
        let n = table.n_rows();
        Ok(Joined {
            owner: names.iter().map(|r| (r.clone(), 0)).collect(),
            tables: vec![table],
            rows: vec![(0..n).map(Some).collect()],
            n,
            inputs: vec![file_hash(input)],
            ids: None,
            notes: Vec::new(),
        })
    }

    /// Join a study's files by id (module notes), reading `names` (each once) with `read`.
    pub fn study(
        files: StudyFiles<'_>,
        names: &[String],
        read: &ReadColumns<'_>,
    ) -> Result<Joined> {
        let mut members = vec![Member {
            input: files.ledger,
            id: LEDGER_ID,
            role: Role::Ledger,
        }];
        let others = files
            .participants
            .map(|p| (p, Role::Participants))
            .into_iter()
            .chain(files.outcomes.iter().map(|o| (o, Role::Outcomes)))
            .chain(files.costs.map(|c| (c, Role::Costs)));
        for (input, role) in others {
            members.push(Member {
                input,
                id: files.id,
                role,
            });
        }
        let headers: Vec<Vec<String>> = members
            .iter()
            .map(|m| m.input.headers())
            .collect::<Result<_>>()?;
        for name in [LEDGER_ID, LEDGER_ARM] {
            check_header(files.ledger, &headers[0], name)?;
        }
        let owner = owners(&members, &headers, names)?;

        // The ledger: its own columns as text (the probability as the caller asks).
        let ledger_text: Vec<String> = [LEDGER_ID, LEDGER_ARM, LEDGER_STRATUM]
            .iter()
            .filter(|c| headers[0].iter().any(|h| h == *c))
            .map(|c| c.to_string())
            .collect();
        let mut ledger_names = vec![LEDGER_ID.to_string(), LEDGER_ARM.to_string()];
        for name in owned_by(&owner, names, 0) {
            if !ledger_names.contains(&name) {
                ledger_names.push(name);
            }
        }
        let ledger = read(files.ledger, &ledger_names, &ledger_text)?;
        let all_ids = ledger.text(LEDGER_ID)?;
        let arms = ledger.text(LEDGER_ARM)?;
        let mut in_ledger: HashMap<&str, usize> = HashMap::with_capacity(all_ids.len());
        for (r, value) in all_ids.iter().enumerate() {
            if in_ledger.insert(value.as_str(), r).is_some() {
                return Err(Error::ledger(
                    ledger.location(r, LEDGER_ID),
                    format!("id `{value}` appears twice in the ledger"),
                ));
            }
        }
        let kept: Vec<usize> = (0..all_ids.len())
            .filter(|&r| !arms[r].trim().is_empty())
            .collect();
        let position: HashMap<&str, usize> = kept
            .iter()
            .enumerate()
            .map(|(i, &r)| (all_ids[r].as_str(), i))
            .collect();
        let mut notes = Vec::new();
        if kept.len() < all_ids.len() {
            notes.push(format!(
                "{} of {} people in the ledger were left unassigned by the design (misfits) and are not analysed",
                all_ids.len() - kept.len(),
                all_ids.len()
            ));
        }

        let mut tables = Vec::new();
        let mut rows = Vec::new();
        let mut table_of_member = vec![None; members.len()];
        let mut inputs = vec![file_hash(files.ledger)];
        for (m, member) in members.iter().enumerate().skip(1) {
            let mut columns = vec![member.id.to_string()];
            columns.extend(owned_by(&owner, names, m).filter(|c| c != member.id));
            if columns.len() == 1 {
                continue; // supplies nothing requested: not read
            }
            check_header(member.input, &headers[m], member.id)?;
            let table = read(member.input, &columns, &columns[..1])?;
            let mut person_rows = vec![None; kept.len()];
            let mut first_line: HashMap<&str, usize> = HashMap::new();
            let ids = table.text(member.id)?;
            for (r, value) in ids.iter().enumerate() {
                if let Some(first) = first_line.insert(value.as_str(), r) {
                    return Err(Error::data(
                        table.location(r, member.id),
                        format!(
                            "id `{value}` appears twice (also line {})",
                            table.line(first)
                        ),
                    ));
                }
                match position.get(value.as_str()) {
                    Some(&i) => person_rows[i] = Some(r),
                    // Not (yet) assigned, or left unassigned by the design: not analysed.
                    None if member.role == Role::Participants => {}
                    None if in_ledger.contains_key(value.as_str()) => {}
                    None => {
                        return Err(Error::data(
                            table.location(r, member.id),
                            format!(
                                "id `{value}` is not in the assignment ledger {}",
                                files.ledger.path().display()
                            ),
                        )
                        .with_hint(
                            "outcomes and costs can only be analysed for assigned people; check the id or the ledger",
                        ));
                    }
                }
            }
            if member.role == Role::Participants
                && let Some(i) = person_rows.iter().position(Option::is_none)
            {
                return Err(Error::ledger(
                    ledger.location(kept[i], LEDGER_ID),
                    format!(
                        "id `{}` is in the ledger but not in {}",
                        all_ids[kept[i]],
                        member.input.path().display()
                    ),
                )
                .with_hint("the participants file must list everyone assigned"));
            }
            table_of_member[m] = Some(tables.len() + 1);
            inputs.push(file_hash(member.input));
            tables.push(table);
            rows.push(person_rows);
        }
        let ids: Vec<String> = kept.iter().map(|&r| all_ids[r].clone()).collect();
        let ledger_rows: Vec<Option<usize>> = kept.iter().map(|&r| Some(r)).collect();
        tables.insert(0, ledger);
        rows.insert(0, ledger_rows);
        let owner = owner
            .into_iter()
            .map(|(name, m)| {
                (
                    name,
                    if m == 0 {
                        0
                    } else {
                        table_of_member[m].unwrap_or(0)
                    },
                )
            })
            .collect();
        Ok(Joined {
            n: ids.len(),
            ids: Some(ids),
            tables,
            owner,
            rows,
            inputs,
            notes,
        })
    }

    /// The number of persons.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The files read, with their hashes (for the manifest), in join order.
    pub fn inputs(&self) -> &[FileHash] {
        &self.inputs
    }

    /// The persons' ids (a study's join; None for a single file).
    pub fn ids(&self) -> Option<&[String]> {
        self.ids.as_deref()
    }

    /// Notes for the user: persons the join left out, and why.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    fn owner_of(&self, name: &str) -> usize {
        self.owner.get(name).copied().unwrap_or(0)
    }

    /// The table holding column `name`, and each person's row in it.
    pub fn column(&self, name: &str) -> (&Table, &[Option<usize>]) {
        let t = self.owner_of(name);
        (&self.tables[t], &self.rows[t])
    }

    /// Take column `name` out as numbers in person order, when its file has one row per person
    /// in order (a single file): a million-row column is then moved, not copied.
    pub fn take_number(&mut self, name: &str) -> Option<Vec<f64>> {
        if self.ids.is_some() {
            return None;
        }
        let t = self.owner_of(name);
        self.tables[t].take_number(name)
    }

    /// Column `name` as text, one value per person ("" when the person has no row there).
    pub fn text(&self, name: &str) -> Result<Vec<String>> {
        let (table, rows) = self.column(name);
        let values = table.text(name)?;
        Ok(rows
            .iter()
            .map(|r| r.and_then(|i| values.get(i).cloned()).unwrap_or_default())
            .collect())
    }

    /// Column `name` as borrowed text, one value per person ("" when the person has no row
    /// there): [`Joined::text`] without a copy of every cell (a million persons: a million
    /// strings fewer to allocate).
    pub fn text_refs(&self, name: &str) -> Result<Vec<&str>> {
        let column = self.text_column(name)?;
        Ok((0..self.n).map(|i| column.get(i)).collect())
    }

    /// Column `name` as text read in place: [`Joined::text_refs`] without the vector (a caller
    /// that codes the values as it goes keeps no 16 bytes per person).
    /// A column read as categories ([`ColumnRequest::category`]) is read through its codes.
    pub fn text_column(&self, name: &str) -> Result<PersonColumn<'_, String>> {
        let (table, rows) = self.column(name);
        Ok(match table.categories(name) {
            Some((levels, codes)) => PersonColumn {
                values: levels,
                codes: Some(codes),
                rows,
            },
            None => PersonColumn {
                values: table.text(name)?,
                codes: None,
                rows,
            },
        })
    }

    /// Column `name` as numbers, one value per person (NaN when missing or without a row).
    pub fn number(&self, name: &str) -> Result<Vec<f64>> {
        let column = self.number_column(name)?;
        Ok((0..self.n).map(|i| column.number(i)).collect())
    }

    /// Column `name` as numbers read in place ([`Joined::number`] without the vector).
    pub fn number_column(&self, name: &str) -> Result<PersonColumn<'_, f64>> {
        let (table, rows) = self.column(name);
        Ok(PersonColumn {
            values: table.number(name)?,
            codes: None,
            rows,
        })
    }

    /// Person `i`'s row in the file holding `name` (None: no row there).
    pub fn row(&self, name: &str, i: usize) -> Option<usize> {
        self.column(name).1.get(i).copied().flatten()
    }

    /// " for person `<id>`, who has no row in this file" when person `i` has no row in the file
    /// holding `name`, else "".
    pub fn absent(&self, name: &str, i: usize) -> String {
        match (&self.ids, self.row(name, i)) {
            (Some(ids), None) => format!(
                " for person `{}`, who has no row in this file",
                ids.get(i).map_or("?", String::as_str)
            ),
            _ => String::new(),
        }
    }

    /// Where person `i`'s value of `name` is (the file and line, or the file when absent).
    pub fn location(&self, name: &str, i: usize) -> Location {
        let (table, _) = self.column(name);
        match self.row(name, i) {
            Some(row) => table.location(row, name),
            None => Location::file(table.path()).with_field(name),
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

/// The member holding each requested column, by the join rule (module notes).
fn owners(
    members: &[Member<'_>],
    headers: &[Vec<String>],
    names: &[String],
) -> Result<HashMap<String, usize>> {
    let mut owner = HashMap::new();
    for name in names {
        let has = |m: usize| headers[m].iter().any(|h| h == name);
        let found = if LEDGER_OWN.contains(&name.as_str()) && has(0) {
            Some(0)
        } else {
            (1..members.len())
                .chain(std::iter::once(0))
                .find(|&m| has(m))
        };
        let Some(m) = found else {
            let files: Vec<String> = members[1..]
                .iter()
                .map(|m| m.input.path().display().to_string())
                .collect();
            let place = if files.is_empty() {
                "the ledger".to_string()
            } else {
                format!("{} or the ledger", files.join(", "))
            };
            let first = members.get(1).unwrap_or(&members[0]).input.path();
            let mut err = Error::data(
                Location::file(first).with_line(1),
                format!("no column `{name}` in {place}"),
            );
            if let Some(s) = nearest(name, headers.iter().flatten().map(String::as_str)) {
                err = err.with_hint(format!("did you mean `{s}`?"));
            }
            return Err(err);
        };
        owner.insert(name.clone(), m);
    }
    Ok(owner)
}

/// The requested names member `m` supplies, in request order.
fn owned_by<'a>(
    owner: &'a HashMap<String, usize>,
    names: &'a [String],
    m: usize,
) -> impl Iterator<Item = String> + 'a {
    let mut seen: Vec<&str> = Vec::new();
    names
        .iter()
        .filter(move |n| {
            let fresh = !seen.contains(&n.as_str());
            seen.push(n.as_str());
            fresh && owner.get(n.as_str()) == Some(&m)
        })
        .cloned()
}

/// One column of the joined persons, read in place: person `i`'s value in the file's row of
/// that person, without a vector of every person's value.
#[derive(Debug, Clone, Copy)]
pub struct PersonColumn<'a, T> {
    values: &'a [T],
    /// A category column: each row's code into `values`, its levels (a missing cell's code,
    /// `table::MISSING_CODE`, names no level and reads as "").
    codes: Option<&'a [u32]>,
    rows: &'a [Option<usize>],
}

impl<'a> PersonColumn<'a, String> {
    /// Person `i`'s text ("" when the person has no row in the column's file).
    pub fn get(&self, i: usize) -> &'a str {
        let row = self.rows.get(i).copied().flatten();
        let value = match self.codes {
            Some(codes) => row
                .and_then(|r| codes.get(r))
                .and_then(|&c| self.values.get(c as usize)),
            None => row.and_then(|r| self.values.get(r)),
        };
        value.map_or("", String::as_str)
    }
}

impl PersonColumn<'_, f64> {
    /// Person `i`'s number (NaN when missing or when the person has no row in the file).
    pub fn number(&self, i: usize) -> f64 {
        self.rows
            .get(i)
            .copied()
            .flatten()
            .and_then(|r| self.values.get(r).copied())
            .unwrap_or(f64::NAN)
    }
}

/// A header without column `name`: an error on line 1 listing the header.
pub fn check_header(input: &InputFile, headers: &[String], name: &str) -> Result<()> {
    if headers.iter().any(|h| h == name) {
        return Ok(());
    }
    let mut err = Error::data(
        Location::file(input.path()).with_line(1),
        format!("no column `{name}`; the header has: {}", headers.join(", ")),
    );
    if let Some(s) = nearest(name, headers.iter().map(String::as_str)) {
        err = err.with_hint(format!("did you mean `{s}`?"));
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn input(name: &str, text: &str) -> InputFile {
        InputFile::from_bytes(Path::new(name), text.as_bytes().to_vec())
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn as_numbers(requests: &[&str]) -> Vec<ColumnRequest> {
        requests
            .iter()
            .map(|n| ColumnRequest::optional_number(*n))
            .collect()
    }

    #[test]
    fn one_file_reads_every_person_and_names_duplicate_ids_by_line() {
        let file = input("d.csv", "id,y\na,1\nb,\na,0\n");
        let requests = vec![
            ColumnRequest::text("id"),
            ColumnRequest::optional_number("y"),
        ];
        let joined = Joined::single(&file, &names(&["id", "y"]), &by_requests(&requests)).unwrap();
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

    const LEDGER: &str = "id,arm,stratum\np1,control,s\np2,treat,s\np3,,s\np4,treat,s\n";

    /// The ledger and outcome files only, matched on `pid`.
    fn with_outcomes<'a>(ledger: &'a InputFile, outcomes: &'a [InputFile]) -> StudyFiles<'a> {
        StudyFiles {
            ledger,
            participants: None,
            outcomes,
            costs: None,
            id: "pid",
        }
    }

    #[test]
    fn a_study_is_the_ledgers_assigned_persons_with_each_column_from_its_first_file() {
        let ledger = input("ledger.csv", LEDGER);
        // `age` is in both participants and outcomes: the participants' value wins; `y` only in
        // outcomes; `stratum` in participants too, but the ledger's own column wins.
        let participants = input(
            "participants.csv",
            "pid,age,stratum\np1,30,x\np2,40,x\np3,50,x\np4,60,x\np9,70,x\n",
        );
        let outcomes = [input("outcomes.csv", "pid,y,age\np2,1,99\np1,0,99\n")];
        let files = StudyFiles {
            ledger: &ledger,
            participants: Some(&participants),
            outcomes: &outcomes,
            costs: None,
            id: "pid",
        };
        let requests = as_numbers(&["age", "y"]);
        let joined = Joined::study(
            files,
            &names(&["age", "y", "stratum", "arm"]),
            &by_requests(&requests),
        )
        .unwrap();
        assert_eq!(joined.ids().unwrap(), ["p1", "p2", "p4"]);
        assert_eq!(joined.number("age").unwrap(), [30.0, 40.0, 60.0]);
        let y = joined.number("y").unwrap();
        assert_eq!(&y[..2], [0.0, 1.0]);
        assert!(y[2].is_nan());
        assert!(joined.absent("y", 2).contains("`p4`"));
        assert_eq!(joined.text("stratum").unwrap(), ["s", "s", "s"]);
        assert_eq!(joined.text("arm").unwrap(), ["control", "treat", "treat"]);
        assert_eq!(joined.notes().len(), 1, "{:?}", joined.notes());
        assert_eq!(joined.inputs().len(), 3);
    }

    #[test]
    fn an_outcome_or_cost_id_missing_from_the_ledger_is_refused_by_line() {
        let ledger = input("ledger.csv", LEDGER);
        for role in ["outcomes", "costs"] {
            let file = [input("other.csv", "pid,y\np1,1\nzz,2\n")];
            let files = StudyFiles {
                ledger: &ledger,
                participants: None,
                outcomes: if role == "outcomes" { &file } else { &[] },
                costs: (role == "costs").then(|| &file[0]),
                id: "pid",
            };
            let requests = as_numbers(&["y"]);
            let err = Joined::study(files, &names(&["y"]), &by_requests(&requests))
                .err()
                .unwrap()
                .to_string();
            assert!(
                err.contains("other.csv") && err.contains("line 3") && err.contains("`zz`"),
                "{role}: {err}"
            );
        }
    }

    #[test]
    fn a_person_left_unassigned_may_have_outcomes_but_an_assigned_one_needs_a_participants_row() {
        let ledger = input("ledger.csv", LEDGER);
        let outcomes = [input("outcomes.csv", "pid,y\np3,1\n")];
        let files = with_outcomes(&ledger, &outcomes);
        let requests = as_numbers(&["y", "age"]);
        assert!(Joined::study(files, &names(&["y"]), &by_requests(&requests)).is_ok());
        let participants = input("participants.csv", "pid,age\np1,30\np2,40\n");
        let files = StudyFiles {
            participants: Some(&participants),
            ..files
        };
        let err = Joined::study(files, &names(&["age"]), &by_requests(&requests))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("`p4` is in the ledger but not in participants.csv"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_column_names_every_file_and_the_nearest_header() {
        let ledger = input("ledger.csv", LEDGER);
        let outcomes = [input("outcomes.csv", "pid,employed_12m\np1,1\n")];
        let files = with_outcomes(&ledger, &outcomes);
        let err = Joined::study(files, &names(&["employed_12"]), &by_requests(&[]))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("no column `employed_12` in outcomes.csv or the ledger")
                && err.contains("did you mean `employed_12m`?"),
            "{err}"
        );
    }
}
