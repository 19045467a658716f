//! The report's language: English (the default) or Swedish, as a Swedish evaluator writes a
//! report: decimal comma, a space between thousands, a true minus sign, "procentenheter", "kr".
//! The report is built in English; [`Language::translate`] then renders every heading, sentence,
//! caption, table header and figure text through the phrase table [`SWEDISH`], and every number
//! in them with Swedish separators. The tidy CSV/JSON tables are never translated (they are for
//! machines: a decimal point and English column names).
//!
//! To translate a new sentence, add its English template and its Swedish text to [`SWEDISH`]:
//! `{}` stands for a part that varies (a number, a label, another phrase), matched in order and
//! itself translated. Text without an entry stays English, so a new section is never lost, only
//! untranslated.

use serde::{Deserialize, Serialize};

/// The language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Sv,
}

/// How amounts of money are written in a Swedish report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Currency {
    /// "38 600 kr" (the default in Swedish).
    #[default]
    Kr,
    /// "38 600 SEK".
    Sek,
}

impl Language {
    /// `en` or `sv` (also `english`, `svenska`, `swedish`); None otherwise.
    pub fn parse(word: &str) -> Option<Language> {
        match word.trim().to_lowercase().as_str() {
            "en" | "english" | "engelska" => Some(Language::En),
            "sv" | "swedish" | "svenska" | "se" => Some(Language::Sv),
            _ => None,
        }
    }

    /// The BCP 47 code, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Sv => "sv",
        }
    }

    /// A sentence, heading, caption or label of the report in this language.
    pub fn translate(self, text: &str, currency: Currency) -> String {
        match self {
            Language::En => text.to_string(),
            Language::Sv => {
                let swedish = swedish(text)
                    .or_else(|| swedish_clauses(text))
                    .unwrap_or_else(|| text.to_string());
                let swedish = match currency {
                    Currency::Kr => swedish.replace(" SEK", " kr"),
                    Currency::Sek => swedish,
                };
                swedish_numbers(&swedish)
            }
        }
    }

    /// A number as a table cell shows it (`formatted` in English, e.g. `-12345.6789`): thousands
    /// grouped by a narrow space from five digits on, a true minus sign, and in Swedish a
    /// decimal comma.
    pub fn number_cell(self, formatted: &str) -> String {
        let (sign, rest) = match formatted.strip_prefix('-') {
            Some(r) => ("−", r),
            None => ("", formatted),
        };
        let (int, frac) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        if !int.chars().all(|c| c.is_ascii_digit()) || int.is_empty() {
            return formatted.to_string();
        }
        let mut out = String::from(sign);
        out.push_str(&group_thousands(int));
        if let Some(f) = frac {
            out.push(match self {
                Language::En => '.',
                Language::Sv => ',',
            });
            out.push_str(f);
        }
        if out == "−0"
            || out
                .trim_start_matches('−')
                .chars()
                .all(|c| "0.,".contains(c))
        {
            return out.trim_start_matches('−').to_string();
        }
        out
    }
}

/// `12345678` as `12 345 678` (narrow no-break spaces) from four digits on, as the report's
/// text writes amounts (`figures::thousands`), so a number looks the same in a sentence and in a
/// table (Språkrådet, *Svenska skrivregler*: in tables four-digit numbers are spaced too, so
/// that the digits line up).
pub fn group_thousands(digits: &str) -> String {
    if digits.len() < 4 {
        return digits.to_string();
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// Whether `c` next to a digit makes it part of a word, a name or another number (`x2`,
/// `_90`, `0.1.0`, `3,5`, `tables/x.csv`).
fn is_number_glue(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | ',' | '_' | '-' | '/' | '\u{202f}' | '\u{a0}')
}

/// Numbers in running Swedish text: a decimal point between digits becomes a comma (`0.034` →
/// `0,034`, `+7.1` → `+7,1`), but not in version numbers or file names (`0.1.0`, `tables/x.csv`),
/// and a space goes before a per cent sign (`95%` → `95 %`).
fn swedish_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut grouped: Vec<(usize, usize, String)> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let digit_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|d| d.is_ascii_digit())
        };
        if c == '.' && digit_at(i.checked_sub(1)) && digit_at(Some(i + 1)) {
            // The number this point is in: no other point in it (a version), no letters after.
            let start = chars[..i]
                .iter()
                .rposition(|d| !(d.is_ascii_digit() || *d == '.'))
                .map_or(0, |p| p + 1);
            let mut end = chars[i + 1..]
                .iter()
                .position(|d| !(d.is_ascii_digit() || *d == '.'))
                .map_or(chars.len(), |p| i + 1 + p);
            // A full stop after the number ends the sentence, not the number (`< 0.1.`).
            while end > i + 1
                && chars[end - 1] == '.'
                && chars.get(end).is_none_or(|d| d.is_whitespace())
            {
                end -= 1;
            }
            let points = chars[start..end].iter().filter(|d| **d == '.').count();
            let letter_after = chars.get(end).is_some_and(|d| d.is_alphabetic());
            if points == 1 && !letter_after {
                out.push(',');
                continue;
            }
        }
        // An amount of five to seven digits standing alone (`36099 SEK` in a note) is grouped
        // like the amounts written by the report itself; longer runs (seeds, dates such as
        // 20190401) and four-digit runs (years) stay as they are, as do digits in words, file
        // names, versions and decimals.
        if c.is_ascii_digit() && (i == 0 || !is_number_glue(chars[i - 1])) {
            let end = chars[i..]
                .iter()
                .position(|d| !d.is_ascii_digit())
                .map_or(chars.len(), |p| i + p);
            let free_after = chars.get(end).is_none_or(|d| !is_number_glue(*d))
                || (matches!(chars.get(end), Some('.' | ','))
                    && chars.get(end + 1).is_none_or(|d| !d.is_ascii_digit()));
            if (5..=7).contains(&(end - i)) && free_after {
                let digits: String = chars[i..end].iter().collect();
                grouped.push((i, end, group_thousands(&digits)));
            }
        }
        if let Some((_, end, text)) = grouped.last()
            && i < *end
        {
            if i + 1 == *end {
                out.push_str(text);
            }
            continue;
        }
        if c == '%' && i > 0 && chars[i - 1].is_ascii_digit() {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// A text without an entry of its own whose clauses are joined by "; " (the notes of the tidy
/// tables, which list what applies): each clause by the phrase table.
fn swedish_clauses(text: &str) -> Option<String> {
    if !text.contains("; ") {
        return None;
    }
    let clauses: Vec<String> = text
        .split("; ")
        .map(|c| swedish(c).unwrap_or_else(|| c.to_string()))
        .collect();
    Some(clauses.join("; "))
}

/// The Swedish of `text` by the phrase table: an exact entry, else the first template whose
/// literal parts match, its `{}` parts translated in turn.
fn swedish(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    for (english, target) in SWEDISH {
        if !english.contains("{}") {
            if *english == trimmed {
                return Some((*target).to_string());
            }
            continue;
        }
        if let Some(parts) = match_template(english, trimmed) {
            let mut out = String::new();
            let mut parts = parts.into_iter();
            let mut pieces = target.split("{}").peekable();
            while let Some(piece) = pieces.next() {
                out.push_str(piece);
                if pieces.peek().is_some() {
                    let part = parts.next().unwrap_or_default();
                    out.push_str(&swedish(&part).unwrap_or(part));
                }
            }
            return Some(out);
        }
    }
    None
}

/// The parts of `text` that the `{}` of `template` stand for, when its literal parts match
/// (each `{}` non-empty, the shortest that lets the rest match).
fn match_template(template: &str, text: &str) -> Option<Vec<String>> {
    let literals: Vec<&str> = template.split("{}").collect();
    let rest = text.strip_prefix(literals[0])?;
    fn go(rest: &str, literals: &[&str], parts: &mut Vec<String>) -> bool {
        let Some((literal, more)) = literals.split_first() else {
            return rest.is_empty();
        };
        if more.is_empty() && literal.is_empty() {
            // The template ends in `{}`: it takes the rest.
            if rest.is_empty() {
                return false;
            }
            parts.push(rest.to_string());
            return true;
        }
        // Each part holds at least one character (the first may be a multi-byte minus sign).
        let mut from = rest.chars().next().map_or(1, char::len_utf8);
        while from <= rest.len() {
            let Some(found) = rest.get(from..).and_then(|r| r.find(literal)) else {
                return false;
            };
            let at = from + found;
            parts.push(rest[..at].to_string());
            if go(&rest[at + literal.len()..], more, parts) {
                return true;
            }
            parts.pop();
            from = at + 1;
            while !rest.is_char_boundary(from) && from < rest.len() {
                from += 1;
            }
        }
        false
    }
    let mut parts = Vec::new();
    go(rest, &literals[1..], &mut parts).then_some(parts)
}

/// English → Swedish, as a Swedish evaluator writes it. Entries with `{}` are templates; the
/// first that matches wins, so a more specific template goes before a more general one.
pub const SWEDISH: &[(&str, &str)] = &[
    // Sections.
    ("Summary", "Sammanfattning"),
    // The report's remaining sentences, captions, figure texts and table headers (issue 16).
    ("at least {}%", "minst {}%"),
    ("at most {}%", "högst {}%"),
    (
        "Cost per additional person {} ({}): {} SEK ({}), the incremental cost of {} SEK per person offered divided by {}.",
        "Kostnad per ytterligare person {} ({}): {} SEK ({}), dvs. merkostnaden på {} SEK per erbjuden person delad med {}.",
    ),
    (
        "Cost per additional person {} ({}): not given as a number, because {}.",
        "Kostnad per ytterligare person {} ({}): anges inte som ett tal, eftersom {}.",
    ),
    (
        "gross, programme costs only",
        "brutto, enbart programmets kostnader",
    ),
    (
        "net, after benefit offsets",
        "netto, efter minskade utgifter för ersättningar",
    ),
    (
        "{}% CI {} to {} SEK, Fieller",
        "{}% KI {} till {} SEK, Fiellers metod",
    ),
    (
        "{}% CI {} to {} SEK, bootstrap",
        "{}% KI {} till {} SEK, bootstrap",
    ),
    (
        "{}% CI {} to {} SEK, delta method",
        "{}% KI {} till {} SEK, deltametoden",
    ),
    (
        "the effect above, {} percentage points",
        "effekten ovan, {} procentenheter",
    ),
    (
        "{} percentage points, the unadjusted difference in means (the adjusted effect above is {})",
        "{} procentenheter, den ojusterade skillnaden i medelvärden (den justerade effekten ovan är {})",
    ),
    (
        "the difference in means, {} percentage points",
        "skillnaden i medelvärden, {} procentenheter",
    ),
    (
        "the cost analysis has no effect to divide by",
        "kostnadsanalysen har ingen effekt att dela med",
    ),
    (
        "the effect is exactly zero (no additional person)",
        "effekten är exakt noll (ingen ytterligare person)",
    ),
    (
        "the {}% interval of the effect, {} to {} percentage points (bootstrap), includes zero: the programme may have added no one",
        "effektens {}-procentiga intervall, {} till {} procentenheter (bootstrap), innehåller noll: programmet kan ha lett till att ingen fler kom i arbete",
    ),
    (
        "the {}% interval of the effect ({} percentage points) includes zero: the programme may have added no one",
        "effektens {}-procentiga intervall ({} procentenheter) innehåller noll: programmet kan ha lett till att ingen fler kom i arbete",
    ),
    (
        "the offer lowered the share ({} percentage points): the ratio would be a cost per person lost",
        "erbjudandet sänkte andelen ({} procentenheter): kvoten skulle bli en kostnad per förlorad person",
    ),
    (
        "the programme costs less ({} SEK per person offered) and adds persons ({} percentage points): it dominates, and a negative ratio has no meaning as a price",
        "programmet kostar mindre ({} SEK per erbjuden person) och ger fler i arbete ({} procentenheter): det dominerar, och en negativ kvot saknar mening som pris",
    ),
    (
        "the cost table gives no ratio (see its note)",
        "kostnadstabellen anger ingen kvot (se dess anmärkning)",
    ),
    (
        "Participant flow from randomization to analysis (CONSORT). Counts below the masking threshold are shown as <k.",
        "Deltagarflödet från randomisering till analys (CONSORT). Antal under gränsen för röjandeskydd visas som <k.",
    ),
    (
        "Arms: {} (ratio {}), {} (ratio {}; comparison arm).",
        "Grupper: {} (vikt {}) och {} (vikt {}; jämförelsegrupp).",
    ),
    ("Arms: {}.", "Grupper: {}."),
    (
        "{} (ratio {}; comparison arm)",
        "{} (vikt {}; jämförelsegrupp)",
    ),
    ("{} (ratio {})", "{} (vikt {})"),
    (
        "Strata: none (one stratum).",
        "Strata: inga (ett enda stratum).",
    ),
    (
        "Strata: {} (their combinations).",
        "Strata: {} (alla kombinationer av dem).",
    ),
    (
        "Clusters: all members of a `{}` share an arm.",
        "Kluster: alla i samma `{}` hamnar i samma grupp.",
    ),
    (
        "Assignment: {}; rolling enrolment in batches that never change earlier assignments (docs/randomization.md).",
        "Tilldelning: {}; löpande inskrivning i omgångar som aldrig ändrar tidigare tilldelningar (docs/randomization.md).",
    ),
    (
        "permuted blocks of {} within strata, sizes drawn at random",
        "permuterade block om {} personer inom strata, med slumpvis dragen blockstorlek",
    ),
    (
        "permuted blocks within strata",
        "permuterade block inom strata",
    ),
    (
        "complete randomization within strata (exact counts)",
        "fullständig randomisering inom strata (exakta antal)",
    ),
    (
        "Seed: {}. The ledger was re-derived from the seed and the design and its hash chain checked before the analysis.",
        "Slumpfrö: {}. Tilldelningsloggen återskapades från slumpfröet och designen, och dess hashkedja kontrollerades före analysen.",
    ),
    (
        "Baseline characteristics by arm. Differences are treatment minus control; the standardized difference divides by the pooled standard deviation. {}",
        "Bakgrundsvariabler per grupp. Skillnaderna är programgruppen minus kontrollgruppen; den standardiserade skillnaden är skillnaden delad med den poolade standardavvikelsen. {}",
    ),
    (
        "P-values test each difference; the joint test regresses assignment on all covariates (F test, as Stata's iebaltab).",
        "P-värdena testar varje skillnad; det gemensamma testet regresserar tilldelningen på alla bakgrundsvariabler (F-test, som Statas iebaltab).",
    ),
    (
        "Arms were assigned by cluster, so inference is clustered (up to {} clusters per comparison; the joint test's `clusters` column): p-values test each difference with CR2 standard errors and Bell–McCaffrey degrees of freedom, and the joint test regresses assignment on all covariates with a cluster-robust Wald test (CR2, F(q, G − 1), clubSandwich's Naive-F).",
        "Grupperna tilldelades per kluster, så inferensen är klustrad (upp till {} kluster per jämförelse; det gemensamma testets kolumn `clusters`): p-värdena testar varje skillnad med CR2-medelfel och Bell–McCaffreys frihetsgrader, och det gemensamma testet regresserar tilldelningen på alla bakgrundsvariabler med ett klusterrobust Waldtest (CR2, F(q, G − 1), clubSandwichs Naive-F).",
    ),
    (
        "Standardized differences in baseline characteristics, overall and by subgroup. The shaded band marks |difference| < 0.1.",
        "Standardiserade skillnader i bakgrundsvariabler, totalt och per delgrupp. Det skuggade bandet markerar |skillnad| < 0.1.",
    ),
    (
        "Baseline balance, all participants (by subgroup in tables/balance.csv)",
        "Balans vid randomiseringen, alla deltagare (per delgrupp i tables/balance.csv)",
    ),
    (
        "Joint test of balance (assignment regressed on all covariates)",
        "Gemensamt balanstest (tilldelningen regresserad på alla bakgrundsvariabler)",
    ),
    (
        "Intention-to-treat effects of being offered the programme on the share {} at each horizon, for everyone and by subgroup, and the difference between subgroups from the interaction model. Effects are differences in shares (0.08 = 8 percentage points).",
        "Effekter av att erbjudas programmet (intention to treat) på andelen {} vid varje tidpunkt, för alla och per delgrupp, och skillnaden mellan delgrupperna från interaktionsmodellen. Effekterna är skillnader i andelar (0.08 = 8 procentenheter).",
    ),
    (
        "Effect of the offer with 95% confidence intervals, by horizon and subgroup (percentage points).",
        "Effekt av erbjudandet med 95% konfidensintervall, per tidpunkt och delgrupp (procentenheter).",
    ),
    (
        "Share {} by arm and days since randomization, with 95% confidence intervals.",
        "Andel {} per grupp och dagar sedan randomiseringen, med 95% konfidensintervall.",
    ),
    (
        "Share {} by arm and days since randomization, with 95% confidence intervals (clustered: CR2 with Bell–McCaffrey degrees of freedom; clusters per arm in tables/shares.csv).",
        "Andel {} per grupp och dagar sedan randomiseringen, med 95% konfidensintervall (klustrade: CR2 med Bell–McCaffreys frihetsgrader; kluster per grupp i tables/shares.csv).",
    ),
    (
        "The effect of actually taking part, estimated by two-stage least squares with the random offer as instrument for participation (one-sided non-compliance: controls could not take part). It is the intention-to-treat effect divided by the difference in take-up, and applies to those who take part when offered.",
        "Effekten av att faktiskt delta, skattad med tvåstegsminstakvadratmetoden med det slumpade erbjudandet som instrument för deltagande (ensidig bristande följsamhet: kontrollgruppen kunde inte delta). Den är effekten av erbjudandet delad med skillnaden i deltagande och gäller dem som deltar när de erbjuds.",
    ),
    (
        "Effect of participation (2SLS, offer as instrument)",
        "Effekten av att delta (2SLS, erbjudandet som instrument)",
    ),
    (
        "Time from randomization to the first job (the exit `{}`). Persons who left by another route (other exits, such as studies or moving away) or whose follow-up ended without a job are censored in the Kaplan–Meier curves, which therefore describe the hazard of a job among those still present; the stacked cumulative incidence below accounts for the other exits. The curves show the Kaplan–Meier share with a job by arm (1 − S), with 95% confidence bands and the numbers still without a job and under follow-up (at risk) under the axis. The table gives the restricted mean time without a job up to τ: its difference between arms is the number of days without a job the programme saved within τ, with the log-rank test of equal hazards (and its randomization p-value when computed).",
        "Tid från randomiseringen till det första arbetet (avslutet `{}`). Personer som lämnade på annat sätt (andra avslut, som studier eller flytt) eller vars uppföljning slutade utan arbete är censurerade i Kaplan–Meier-kurvorna, som därför beskriver risken att få arbete bland dem som finns kvar; den staplade kumulativa incidensen nedan tar hänsyn till de andra avsluten. Kurvorna visar Kaplan–Meier-andelen med arbete per grupp (1 − S), med 95% konfidensband och antalet som ännu är utan arbete och under uppföljning (i risk) under axeln. Tabellen ger den begränsade genomsnittliga tiden utan arbete fram till τ: skillnaden mellan grupperna är antalet dagar utan arbete som programmet sparade inom τ, med log-rank-testet av lika risker (och dess randomiserings-p-värde när det beräknats).",
    ),
    (
        "Time from randomization to the first day in work or studies. Persons who moved away or whose follow-up ended without a job are censored. The curves show the Kaplan–Meier share with a job by arm (1 − S), with 95% confidence bands and the numbers still without a job and under follow-up (at risk) under the axis. The table gives the restricted mean time without a job up to τ: its difference between arms is the number of days without a job the programme saved within τ, with the log-rank test of equal hazards (and its randomization p-value when computed).",
        "Tid från randomiseringen till den första dagen i arbete eller studier. Personer som flyttade eller vars uppföljning slutade utan arbete är censurerade. Kurvorna visar Kaplan–Meier-andelen med arbete per grupp (1 − S), med 95% konfidensband och antalet som ännu är utan arbete och under uppföljning (i risk) under axeln. Tabellen ger den begränsade genomsnittliga tiden utan arbete fram till τ: skillnaden mellan grupperna är antalet dagar utan arbete som programmet sparade inom τ, med log-rank-testet av lika risker (och dess randomiserings-p-värde när det beräknats).",
    ),
    (
        "Share with a job by days since randomization (Kaplan–Meier), by arm, with 95% confidence bands; numbers at risk under each panel.",
        "Andel med arbete efter dagar sedan randomiseringen (Kaplan–Meier), per grupp, med 95% konfidensband; antal i risk under varje panel.",
    ),
    (
        "Competing exits by days since randomization: the cumulative incidence of each kind of exit (Aalen–Johansen, as cmprsk::cuminc), stacked, by arm (rows) and subgroup (columns). The top of the stack is the share who left by any route.",
        "Konkurrerande avslut efter dagar sedan randomiseringen: den kumulativa incidensen för varje slags avslut (Aalen–Johansen, som cmprsk::cuminc), staplade, per grupp (rader) och delgrupp (kolumner). Toppen av stapeln är andelen som lämnat på något sätt.",
    ),
    (
        "Days without a job saved within τ (restricted mean survival time), with the log-rank test",
        "Sparade dagar utan arbete inom τ (begränsad genomsnittlig överlevnadstid, RMST), med log-rank-test",
    ),
    ("Missing outcomes by arm", "Saknade utfall per grupp"),
    (
        "Costs per person by arm (SEK), the incremental cost, the additional persons {} per 100 offered, and their ratio, the cost per additional person, with delta-method, Fieller and bootstrap intervals. The net perspective adds benefit offsets (e.g. income support paid) to the costs.",
        "Kostnader per person och grupp (i SEK), merkostnaden, antalet ytterligare personer {} per 100 erbjudna, och kvoten mellan dem, kostnaden per ytterligare person, med intervall enligt deltametoden, Fiellers metod och bootstrap. Nettoperspektivet räknar även in förändrade utgifter för ersättningar (t.ex. utbetalt försörjningsstöd) i kostnaderna.",
    ),
    (
        "Cost per additional month with a job: the incremental cost over the months with a job the programme added within {} days, from the restricted mean time without a job (RMST, a month = 30.4375 days). Delta-method interval with the covariance of cost and RMST from their influence functions, and Fieller's interval.",
        "Kostnad per ytterligare månad i arbete: merkostnaden delad med de månader i arbete som programmet gav inom {} dagar, från den begränsade genomsnittliga tiden utan arbete (RMST, en månad = 30.4375 dagar). Intervall enligt deltametoden med kovariansen mellan kostnad och RMST från deras influensfunktioner, och Fiellers intervall.",
    ),
    (
        "Cost per additional month with a job (SEK)",
        "Kostnad per ytterligare månad i arbete (i SEK)",
    ),
    (
        "Benefit offsets: units per person by arm, their value, the net cost per additional person and the break-even value per unit",
        "Minskade utgifter för ersättningar: enheter per person och grupp, deras värde, nettokostnaden per ytterligare person och det värde per enhet där programmet går jämnt ut",
    ),
    (
        "Comparison with alternative programmes' cost per additional person",
        "Jämförelse med andra insatsers kostnad per ytterligare person",
    ),
    (
        "Cost-effectiveness plane: bootstrap replicates of the incremental effect and cost per 100 persons offered, with the share of replicates in each quadrant.",
        "Kostnadseffektivitetsplanet: bootstrapreplikat av merkostnaden och effekten per 100 erbjudna personer, med andelen replikat i varje kvadrant.",
    ),
    (
        "Probability that the programme is cost-effective at each willingness to pay per additional person {}.",
        "Sannolikheten att programmet är kostnadseffektivt vid varje betalningsvilja per ytterligare person {}.",
    ),
    (
        "Every file of this folder is regenerated byte for byte by `lotta run` from the inputs below (SHA-256) and the seed.",
        "Varje fil i den här mappen återskapas byte för byte av `lotta run` från indatafilerna nedan (SHA-256) och slumpfröet.",
    ),
    (
        "Intention-to-treat effects: {}.",
        "Effekter av erbjudandet (intention to treat): {}.",
    ),
    (
        "Lin (2013): OLS fully interacted with centred covariates (estimatr's lm_lin)",
        "Lin (2013): OLS fullt interagerad med centrerade bakgrundsvariabler (estimatrs lm_lin)",
    ),
    (
        "OLS with covariates (lm_robust)",
        "OLS med bakgrundsvariabler (lm_robust)",
    ),
    (
        "OLS with strata fixed effects",
        "OLS med fixa effekter för strata",
    ),
    (
        "difference in means (estimatr's difference_in_means)",
        "skillnad i medelvärden (estimatrs difference_in_means)",
    ),
    (
        "Covariates: {} (text columns as indicators, first level as reference).",
        "Bakgrundsvariabler: {} (textkolumner som indikatorer, första nivån som referens).",
    ),
    (
        "Standard errors: {} (HC2: MacKinnon & White 1985, estimatr's default; CR2: Bell & McCaffrey 2002 with Pustejovsky & Tipton 2018 df; CV3: the cluster jackknife, (G − 1)/G times the sum of squared leave-one-cluster-out shifts, MacKinnon, Nielsen & Webb 2023, with G − 1 df); t intervals with the residual df.",
        "Medelfel: {} (HC2: MacKinnon & White 1985, standard i estimatr; CR2: Bell & McCaffrey 2002 med frihetsgrader enligt Pustejovsky & Tipton 2018; CV3: klusterjackknife, (G − 1)/G gånger summan av de kvadrerade förändringarna när ett kluster i taget utelämnas, MacKinnon, Nielsen & Webb 2023, med G − 1 frihetsgrader); t-intervall med residualens frihetsgrader.",
    ),
    (
        "Wild cluster bootstrap of every regression row, {} draws by cluster on the CR1 t statistic: {}; {}; two-sided symmetric p-value and an interval by test inversion (Roodman, MacKinnon, Nielsen & Webb 2019; the conventions of boottest and fwildclusterboot).",
        "Vild klusterbootstrap för varje regressionsrad, {} dragningar av kluster på CR1-t-statistikan: {}; {}; tvåsidigt symmetriskt p-värde och ett intervall genom testinvertering (Roodman, MacKinnon, Nielsen & Webb 2019; samma konventioner som boottest och fwildclusterboot).",
    ),
    (
        "restricted (the null of no effect imposed, WCR)",
        "restrikterad (nollhypotesen om ingen effekt pålagd, WCR)",
    ),
    ("unrestricted (WCU)", "orestrikterad (WCU)"),
    (
        "Rademacher weights (every one of the 2^G sign vectors enumerated, deterministically, when 2^G is at most the number of draws)",
        "Rademachervikter (alla 2^G teckenvektorer uppräknade, deterministiskt, när 2^G inte är fler än antalet dragningar)",
    ),
    ("Webb's six-point weights", "Webbs sexpunktsvikter"),
    ("Mammen's two-point weights", "Mammens tvåpunktsvikter"),
    ("standard normal weights", "standardnormalfördelade vikter"),
    (
        "{}: {} percentage points ({}). Cluster-robust (CR2), unreliable with so few clusters: {}.",
        "{}: {} procentenheter ({}). Klusterrobust (CR2), opålitligt med så få kluster: {}.",
    ),
    (
        "{}: {} percentage points ({}); only {} clusters, so this cluster-robust result is unreliable: ask for randomization inference (`ri_draws`) or the wild cluster bootstrap (`wild_bootstrap`).",
        "{}: {} procentenheter ({}); bara {} kluster, så det klusterrobusta resultatet är opålitligt: begär randomiseringsinferens (`ri_draws`) eller vild klusterbootstrap (`wild_bootstrap`).",
    ),
    (
        "exact randomization inference over all {} possible assignments of the {} clusters: p = {}; {}",
        "exakt randomiseringsinferens över alla {} möjliga tilldelningar av de {} klustren: p = {}; {}",
    ),
    (
        "exact randomization inference over all {} possible assignments of the {} clusters: p = {}",
        "exakt randomiseringsinferens över alla {} möjliga tilldelningar av de {} klustren: p = {}",
    ),
    ("{}, smallest attainable p {}", "{}, minsta möjliga p {}"),
    (
        "wild cluster bootstrap with {} clusters: p {}; {}",
        "vild klusterbootstrap med {} kluster: p {}; {}",
    ),
    (
        "wild cluster bootstrap with {} clusters: p {}",
        "vild klusterbootstrap med {} kluster: p {}",
    ),
    (
        "randomization inference ({} draws) with {} clusters: p {}; {}",
        "randomiseringsinferens ({} dragningar) med {} kluster: p {}; {}",
    ),
    (
        "randomization inference ({} draws) with {} clusters: p {}",
        "randomiseringsinferens ({} dragningar) med {} kluster: p {}",
    ),
    ("95% CI {} to {}; p {}", "95% KI {} till {}; p {}"),
    (
        "95% interval unbounded (too few assignments to reject any effect)",
        "95% intervall obegränsat (för få möjliga tilldelningar för att förkasta någon effekt)",
    ),
    ("95% interval {} to {}", "95% intervall {} till {}"),
    ("unbounded", "obegränsat"),
    (
        "clustered: intervals use t with G − 1 = {} degrees of freedom and cluster-robust (CR1) variances ({} clusters)",
        "klustrat: intervallen bygger på t-fördelningen med G − 1 = {} frihetsgrader och klusterrobusta (CR1) varianser ({} kluster)",
    ),
    (
        "bootstrap: a stratum's arm holds a single cluster (matched pairs of clusters), so the strata (pairs) are resampled as units",
        "bootstrap: varje grupp i ett stratum har ett enda kluster (matchade par av kluster), så strata (paren) dras om som enheter",
    ),
    (
        "Standard errors: {} (HC2: MacKinnon & White 1985, estimatr's default; CR2: Bell & McCaffrey 2002 with Pustejovsky & Tipton 2018 df); t intervals with the residual df.",
        "Medelfel: {} (HC2: MacKinnon & White 1985, standard i estimatr; CR2: Bell & McCaffrey 2002 med frihetsgrader enligt Pustejovsky & Tipton 2018); t-intervall med residualens frihetsgrader.",
    ),
    (
        "Subgroups by `{}` (each variable separately; `a*b` is the crossing of a and b); the difference between subgroups from the model with treatment × subgroup interactions, against the reference level named second in each difference (the first level unless the study chooses one); the joint test that all subgroup effects are equal (`<variable>: joint`) is the Wald F test of those interactions with the same robust variance, df_num = levels − 1 and denominator df n − k (G − 1 with clusters; car::linearHypothesis, clubSandwich's Naive-F), and with randomization inference its p-value from the same draws (the statistic b'V⁻¹b with the observed V).",
        "Delgrupper efter `{}` (varje variabel för sig; `a*b` är korsningen av a och b); skillnaden mellan delgrupper från modellen med interaktioner mellan behandling och delgrupp, mot den referensnivå som nämns sist i varje skillnad (den första nivån om inte studien väljer en annan); det gemensamma testet av att alla delgruppers effekter är lika (`<variabel>: gemensamt test`) är Walds F-test av interaktionerna med samma robusta varians, df_num = nivåer − 1 och nämnarens frihetsgrader n − k (G − 1 med kluster; car::linearHypothesis, clubSandwichs Naive-F), och med randomiseringsinferens dess p-värde från samma dragningar (statistikan b'V⁻¹b med den observerade V).",
    ),
    (
        "Effect of participation (`{}`): two-stage least squares with the offer as instrument (estimatr's iv_robust), same SE type; first-stage F reported.",
        "Effekten av att delta (`{}`): tvåstegsminstakvadratmetoden med erbjudandet som instrument (estimatrs iv_robust), samma typ av medelfel; F-värdet i första steget redovisas.",
    ),
    (
        "Randomization inference: {} re-runs of the study's own assignment procedure from its ledger (strata, blocks, batches), every estimate of the whole model recomputed under each; two-sided p = share of draws with {} (ri2, ritest); interval for a constant effect by test inversion (Rosenbaum 2002).",
        "Randomiseringsinferens: {} omkörningar av studiens egen tilldelning utifrån tilldelningsloggen (strata, block, omgångar), med varje skattning i hela modellen beräknad på nytt i varje omkörning; tvåsidigt p = andelen dragningar med {} (ri2, ritest); intervall för en konstant effekt genom testinvertering (Rosenbaum 2002).",
    ),
    (
        "Randomization inference: {} re-runs of the study's own assignment procedure from its ledger (strata, blocks, batches), every estimate of the whole model recomputed under each; two-sided p = share of draws with {} (ri2, ritest); interval for a constant effect by test inversion (Rosenbaum 2002).{}",
        "Randomiseringsinferens: {} omkörningar av studiens egen tilldelning utifrån tilldelningsloggen (strata, block, omgångar), med varje skattning i hela modellen beräknad på nytt i varje omkörning; tvåsidigt p = andelen dragningar med {} (ri2, ritest); intervall för en konstant effekt genom testinvertering (Rosenbaum 2002). {}",
    ),
    (
        "|estimate| ≥ |observed|",
        "|skattning| ≥ |observerad skattning|",
    ),
    (
        "When the design has at most {} distinct assignments (clusters, strata, matched pairs: a product of binomial coefficients), all of them are listed instead and the p-value is exact, k/N, with the smallest attainable p-value reported (Fisher 1935; Imbens & Rubin 2015, ch. 5); an interval the test cannot bound is reported as unbounded.",
        "När designen har högst {} möjliga tilldelningar (kluster, strata, matchade par: en produkt av binomialkoefficienter) räknas i stället alla upp och p-värdet är exakt, k/N, och det minsta möjliga p-värdet redovisas (Fisher 1935; Imbens & Rubin 2015, kap. 5); ett intervall som testet inte kan begränsa redovisas som obegränsat.",
    ),
    (
        "Multiple testing: {} adjusted p-values across outcomes × subgroups, the intention-to-treat rows and the 2SLS rows as two families.",
        "Multipel testning: p-värden justerade med {} över utfall × delgrupper, med raderna för erbjudandet och för deltagandet (2SLS) som två familjer.",
    ),
    (
        "Multiple testing: {} adjusted p-values across outcomes × subgroups.",
        "Multipel testning: p-värden justerade med {} över utfall × delgrupper.",
    ),
    (
        "Missing outcomes: complete cases, with attrition by arm and a test of differential attrition (HC2 difference in missing rates, and Fisher's exact test of arm × missing, as R's fisher.test).",
        "Saknade utfall: fullständiga fall, med bortfall per grupp och test av skillnad i bortfall (skillnaden i andel saknade med HC2-medelfel, och Fishers exakta test av grupp × saknat utfall, som R:s fisher.test).",
    ),
    (
        "Cost-effectiveness: incremental cost over incremental effect (cost per additional person); delta-method and Fieller (1954) intervals (Willan & O'Brien 1996), and a nonparametric bootstrap ({} replicates, resampled within arms and strata, percentile intervals); net monetary benefit and acceptability curve (Fenwick, Claxton & Sculpher 2001).",
        "Kostnadseffektivitet: merkostnaden delad med effekten (kostnad per ytterligare person); intervall enligt deltametoden och Fieller (1954) (Willan & O'Brien 1996), och en icke-parametrisk bootstrap ({} replikat, dragna inom grupper och strata, percentilintervall); monetär nettonytta och acceptanskurva (Fenwick, Claxton & Sculpher 2001).",
    ),
    (
        "Cost-effectiveness: incremental cost over incremental effect (cost per additional person); delta-method and Fieller (1954) intervals (Willan & O'Brien 1996); net monetary benefit and acceptability curve (Fenwick, Claxton & Sculpher 2001).",
        "Kostnadseffektivitet: merkostnaden delad med effekten (kostnad per ytterligare person); intervall enligt deltametoden och Fieller (1954) (Willan & O'Brien 1996); monetär nettonytta och acceptanskurva (Fenwick, Claxton & Sculpher 2001).",
    ),
    (
        "Time to event: `{}` from randomization ({}), overall and by `{}`. Kaplan–Meier with Greenwood SE and log-scale {}% intervals (survival::survfit); log-rank test (survdiff, rho = 0); restricted mean survival time to {} with survRM2's variance, its difference (days without the event saved) and ratio between arms (Uno et al. 2014); Cox hazard ratio with Efron ties and {} SE (coxph).",
        "Tid till händelse: `{}` från randomiseringen ({}), totalt och per `{}`. Kaplan–Meier med Greenwoods medelfel och {}-procentiga intervall på logskala (survival::survfit); log-rank-test (survdiff, rho = 0); begränsad genomsnittlig överlevnadstid (RMST) till {} med survRM2:s varians, dess skillnad (sparade dagar utan händelsen) och kvot mellan grupperna (Uno m.fl. 2014); Cox hazardkvot med Efrons hantering av lika tider och {} medelfel (coxph).",
    ),
    (
        "Time to event: `{}` from randomization ({}). Kaplan–Meier with Greenwood SE and log-scale {}% intervals (survival::survfit); log-rank test (survdiff, rho = 0); restricted mean survival time to {} with survRM2's variance, its difference (days without the event saved) and ratio between arms (Uno et al. 2014); Cox hazard ratio with Efron ties and {} SE (coxph).",
        "Tid till händelse: `{}` från randomiseringen ({}). Kaplan–Meier med Greenwoods medelfel och {}-procentiga intervall på logskala (survival::survfit); log-rank-test (survdiff, rho = 0); begränsad genomsnittlig överlevnadstid (RMST) till {} med survRM2:s varians, dess skillnad (sparade dagar utan händelsen) och kvot mellan grupperna (Uno m.fl. 2014); Cox hazardkvot med Efrons hantering av lika tider och {} medelfel (coxph).",
    ),
    (
        "the event is the exit `{}` in `{}`; other exits censor the Kaplan–Meier curves and compete in the cumulative incidence",
        "händelsen är avslutet `{}` i `{}`; andra avslut censurerar Kaplan–Meier-kurvorna och konkurrerar i den kumulativa incidensen",
    ),
    ("robust", "robusta"),
    ("cluster-robust (by `{}`)", "klusterrobusta (per `{}`)"),
    (
        "Competing exits: Aalen–Johansen cumulative incidence of every exit with cmprsk::cuminc's variance, and Gray's (1988) test.",
        "Konkurrerande avslut: Aalen–Johansens kumulativa incidens för varje avslut med variansen från cmprsk::cuminc, och Grays (1988) test.",
    ),
    (
        "Randomization inference for the log-rank statistic and the RMST difference: {} re-runs of the study's own assignment from its ledger.",
        "Randomiseringsinferens för log-rank-statistikan och RMST-skillnaden: {} omkörningar av studiens egen tilldelning utifrån tilldelningsloggen.",
    ),
    (
        "Attrition bounds: Lee (2009) trimming bounds on the effect among the always observed, the trimmed mean keeping exactly the untrimmed share (the boundary observation weighted fractionally, so ties give the sharp bound); tightened within cells where the table names them (Lee 2009, section 3.3); delta-method SEs (Lee 2009, Proposition 3; with cells, the weights' estimation included; docs/bounds.md) and Imbens & Manski (2004) intervals; the cost per additional success at each bound divides the incremental cost per person offered by the bound.",
        "Gränser vid bortfall: Lees (2009) trimningsgränser för effekten bland dem som alltid observeras, där det trimmade medelvärdet behåller exakt den otrimmade andelen (gränsobservationen viktas med en bråkdel, så att lika värden ger den skarpa gränsen); skärpta inom celler där tabellen anger dem (Lee 2009, avsnitt 3.3); medelfel enligt deltametoden (Lee 2009, Proposition 3; med celler inklusive skattningen av vikterna; docs/bounds.md) och intervall enligt Imbens & Manski (2004); kostnaden per ytterligare lyckat utfall vid varje gräns är merkostnaden per erbjuden person delad med gränsen.",
    ),
    (
        "Disclosure control: a count of fewer persons than the masking threshold (and, unless the study says otherwise, a zero) is shown as <k, with the statistics of those persons left empty; a count from which a masked one would follow by adding or subtracting published counts, in any table, is shown as x (at least k), with the shares or means that would give it (docs/disclosure-control.md). No personal identifier appears in the report.",
        "Röjandekontroll: ett antal som är mindre än skyddsgränsen (och, om inte studien anger annat, en nolla) visas som <k, och statistiken för de personerna lämnas tom; ett antal ur vilket ett skyddat antal skulle kunna räknas fram genom att lägga ihop eller dra ifrån publicerade antal, i vilken tabell som helst, visas som x (minst k), liksom de andelar eller medelvärden som skulle avslöja det (docs/disclosure-control.md). Inga personuppgifter som kan identifiera någon finns i rapporten.",
    ),
    (
        "the {}% Fieller interval is {} to {} SEK per additional job",
        "Fiellers {}-procentiga intervall är {} till {} SEK per ytterligare person i arbete",
    ),
    (
        "the {}% Fieller interval is {} to {} SEK per additional month with a job",
        "Fiellers {}-procentiga intervall är {} till {} SEK per ytterligare månad i arbete",
    ),
    (
        "the {}% Fieller set is the whole line: the data are consistent with any cost per {}",
        "Fiellers {}-procentiga mängd är hela tallinjen: data är förenliga med vilken kostnad per {} som helst",
    ),
    (
        "the Fieller set cannot be computed",
        "Fiellers mängd kan inte beräknas",
    ),
    (
        "net benefit per person offered: {} at {} SEK a month, {}",
        "nettonytta per erbjuden person: {} på {} SEK per månad, {}",
    ),
    (
        "effects counted over the {} measured months",
        "effekter räknade under de {} uppmätta månaderna",
    ),
    (
        "the last measured effect carried forward to month {}",
        "den senast uppmätta effekten förlängd till månad {}",
    ),
    (
        "the last measured effect falling linearly to zero at month {}",
        "den senast uppmätta effekten avtagande linjärt till noll vid månad {}",
    ),
    (
        "discounted monthly at {}% a year",
        "diskonterat månadsvis med {}% per år",
    ),
    (
        "costs spread over {} months",
        "kostnaderna fördelade över {} månader",
    ),
    ("costs at the start", "kostnaderna vid starten"),
    (
        "net benefit: on the gross row (the valued outcome includes any benefit components)",
        "nettonytta: på bruttoraden (det värderade utfallet innehåller redan eventuella nyttokomponenter)",
    ),
    (
        "the programme pays for itself if one unit of `{}` is worth {} SEK",
        "programmet betalar sig om en enhet `{}` är värd {} SEK",
    ),
    (
        "these intervals treat persons as independent",
        "intervallen behandlar personerna som oberoende",
    ),
    (
        "no bootstrap (use --bootstrap N --seed S)",
        "ingen bootstrap (använd --bootstrap N --seed S)",
    ),
    (
        "variances are cluster-robust",
        "varianserna är klusterrobusta",
    ),
    ("clusters resampled whole", "hela kluster dras om"),
    (
        "Effect of the offer on being {}",
        "Effekt av erbjudandet på andelen {}",
    ),
    (
        "Effect of the offer on being {} (only {} clusters: cluster-robust CIs unreliable)",
        "Effekt av erbjudandet på andelen {} (bara {} kluster: klusterrobusta KI opålitliga)",
    ),
    (
        "95% {} interval; grey: CR2; {} clusters",
        "95% intervall från {}; grått: CR2; {} kluster",
    ),
    (
        "randomization or wild bootstrap",
        "randomisering eller vild bootstrap",
    ),
    ("randomization", "randomisering"),
    ("wild bootstrap", "vild bootstrap"),
    (
        "Difference {} − {} (percentage points, {})",
        "Skillnad {} − {} (procentenheter, {})",
    ),
    ("95% CI", "95% KI"),
    (
        "Share {} after randomization, by arm",
        "Andel {} efter randomiseringen, per grupp",
    ),
    ("Share with a job (%)", "Andel med arbete (%)"),
    ("Competing exits, by arm", "Konkurrerande avslut, per grupp"),
    ("Share who left (%)", "Andel som lämnat (%)"),
    ("Participant flow", "Deltagarflöde"),
    ("{} persons", "{} personer"),
    ("took part: {}", "deltog: {}"),
    ("no programme offered", "inget program erbjudet"),
    (
        "Cost-effectiveness plane (bootstrap)",
        "Kostnadseffektivitetsplanet (bootstrap)",
    ),
    (
        "Additional persons {} per 100 offered",
        "Ytterligare personer {} per 100 erbjudna",
    ),
    (
        "Incremental cost per 100 offered (SEK)",
        "Merkostnad per 100 erbjudna (i SEK)",
    ),
    ("More effective, costlier: {}%", "Effektivare, dyrare: {}%"),
    (
        "Less effective, costlier: {}%",
        "Mindre effektivt, dyrare: {}%",
    ),
    (
        "Less effective, cheaper: {}%",
        "Mindre effektivt, billigare: {}%",
    ),
    (
        "More effective, cheaper: {}%",
        "Effektivare, billigare: {}%",
    ),
    ("More effective, costlier", "Effektivare, dyrare"),
    ("Less effective, costlier", "Mindre effektivt, dyrare"),
    ("Less effective, cheaper", "Mindre effektivt, billigare"),
    ("More effective, cheaper", "Effektivare, billigare"),
    (
        "Cost-effectiveness acceptability curve",
        "Acceptanskurva för kostnadseffektivitet",
    ),
    (
        "Willingness to pay per additional person {} (SEK)",
        "Betalningsvilja per ytterligare person {} (i SEK)",
    ),
    ("Subgroup", "Delgrupp"),
    ("Arm", "Grupp"),
    ("Horizon", "Tidpunkt"),
    ("Effect (percentage points)", "Effekt (procentenheter)"),
    ("95% CI lower", "95% KI, nedre"),
    ("95% CI upper", "95% KI, övre"),
    ("95% CI lower (%)", "95% KI, nedre (%)"),
    ("95% CI upper (%)", "95% KI, övre (%)"),
    ("CR2 lower", "CR2, nedre"),
    ("CR2 upper", "CR2, övre"),
    ("Any exit (%)", "Något avslut (%)"),
    ("Total (%)", "Totalt (%)"),
    ("Assigned", "Tilldelade"),
    ("Took part", "Deltog"),
    ("Covariate", "Bakgrundsvariabel"),
    ("Standardized difference", "Standardiserad skillnad"),
    ("Result", "Resultat"),
    ("Point estimate", "Punktskattning"),
    (
        "Share of bootstrap replicates (%)",
        "Andel av bootstrapreplikaten (%)",
    ),
    ("Parameter", "Parameter"),
    (
        "Net benefit at the low setting",
        "Nettonytta vid det låga värdet",
    ),
    (
        "Net benefit at the high setting",
        "Nettonytta vid det höga värdet",
    ),
    ("Net benefit in the base case", "Nettonytta i grundfallet"),
    ("Target (%)", "Mål (%)"),
    ("unbounded", "obegränsat"),
    ("control", "Kontrollgrupp"),
    ("f_statistic", "F"),
    ("df1", "Frihetsgrader (täljare)"),
    ("df2", "Frihetsgrader (nämnare)"),
    ("part", "Del"),
    ("tau", "τ (dagar)"),
    ("days_saved", "Sparade dagar utan arbete"),
    ("hazard_ratio", "Hazardkvot"),
    ("p_value_logrank", "p-värde (log-rank)"),
    ("p_value_logrank_ri", "p-värde (log-rank, RI)"),
    ("cells", "Celler"),
    ("n_observed_treated", "Observerade erbjudna"),
    ("n_observed_control", "Observerade kontroller"),
    ("trimmed_arm", "Trimmad grupp"),
    ("trim_share", "Trimmad andel"),
    ("lower", "Nedre gräns"),
    ("upper", "Övre gräns"),
    ("cost_per_success_low", "Kostnad per lyckat utfall, nedre"),
    ("cost_per_success_high", "Kostnad per lyckat utfall, övre"),
    ("delta_low", "Deltametoden, nedre"),
    ("delta_high", "Deltametoden, övre"),
    ("offset", "Ersättning"),
    ("sek_per_unit", "Kronor per enhet"),
    ("mean_units_treated", "Enheter per erbjuden"),
    ("mean_units_control", "Enheter per kontroll"),
    ("delta_units", "Skillnad i enheter"),
    ("delta_value", "Skillnad i värde"),
    ("net_incremental_cost", "Merkostnad, netto"),
    ("net_icer", "Kostnad per ytterligare person, netto"),
    ("break_even_sek_per_unit", "Jämnt ut vid kronor per enhet"),
    ("alternative", "Alternativ"),
    (
        "alternative_cost_per_job",
        "Alternativets kostnad per person i arbete",
    ),
    ("prob_cheaper_normal", "Sannolikhet billigare (normal)"),
    ("prob_cheaper_boot", "Sannolikhet billigare (bootstrap)"),
    (
        "statistics masked (disclosure control)",
        "skyddade uppgifter (röjandekontroll)",
    ),
    ("Design and participant flow", "Design och deltagarflöde"),
    ("Baseline balance", "Balans vid randomiseringen"),
    (
        "Effects over horizons, by subgroup",
        "Effekter över tid och per delgrupp",
    ),
    ("Effect of participation", "Effekten av att delta"),
    ("Time to first job", "Tid till första arbete"),
    (
        "Costs and cost-effectiveness",
        "Kostnader och kostnadseffektivitet",
    ),
    ("Costs", "Kostnader"),
    ("Missing outcomes (attrition)", "Bortfall i utfallen"),
    ("Methods", "Metod"),
    ("Reproducibility", "Reproducerbarhet"),
    ("Attrition", "Bortfall"),
    (
        "Outcomes missing by arm and horizon, with a test of differential attrition (the difference in missing rates with HC2 SE, and Fisher's exact test for small counts). Effects are estimated on complete cases.",
        "Saknade utfall per grupp och tidpunkt, med test av skillnad i bortfall (skillnaden i andel saknade med HC2-standardfel, och Fishers exakta test för små antal). Effekterna skattas på fullständiga fall.",
    ),
    ("Attrition bounds", "Gränser för effekten vid bortfall"),
    (
        "Bounds on the effect among the always observed",
        "Gränser för effekten bland dem som alltid observeras",
    ),
    (
        "Where an outcome is observed only for some, Lee (2009) bounds trim the arm observed more often by the share it is observed more often, from the top for the lower bound and from the bottom for the upper bound: the effect among those who would be observed in either arm lies between them, whatever the reason for the missing outcomes, if the offer only ever makes an outcome observed (or only ever makes it missing). The interval covers the effect with 95% probability (Imbens & Manski 2004).",
        "Där ett utfall bara observeras för vissa trimmar Lees (2009) gränser den grupp som observeras oftare med den andel den observeras oftare, uppifrån för den nedre gränsen och nedifrån för den övre: effekten bland dem som skulle observeras i båda grupperna ligger mellan gränserna, oavsett varför utfall saknas, om erbjudandet bara kan göra att ett utfall observeras (eller bara att det saknas). Intervallet täcker effekten med 95 procents sannolikhet (Imbens & Manski 2004).",
    ),
    ("Multiple testing", "Multipel testning"),
    (
        "Adjusted p-values by family",
        "Justerade p-värden per familj",
    ),
    (
        "The hypotheses of each declared family (its outcomes, horizons and subgroups), adjusted together. Romano–Wolf and Westfall–Young step-down p-values control the chance of any false rejection in the family; they reuse the randomization draws of the study's own design, so they allow for the dependence between the tests. Anderson's sharpened q-value controls the expected share of false rejections among the rejections.",
        "Hypoteserna i varje angiven familj (dess utfall, tidpunkter och grupper) justerade tillsammans. Romano–Wolfs och Westfall–Youngs stegvisa p-värden begränsar risken för något felaktigt förkastande i familjen; de återanvänder randomiseringsdragningarna från studiens egen design och tar därför hänsyn till beroendet mellan testen. Andersons skärpta q-värde begränsar den förväntade andelen felaktiga förkastanden bland förkastandena.",
    ),
    ("Cost-effectiveness", "Kostnadseffektivitet"),
    ("Participant flow by arm", "Deltagarflöde per grupp"),
    (
        "Intention-to-treat effects",
        "Effekter av erbjudandet (intention to treat)",
    ),
    ("assigned", "Tilldelade"),
    ("took_part", "Deltog"),
    ("followed_up", "Följda"),
    ("lost", "Bortfall"),
    ("analysed", "Analyserade"),
    ("horizon_days", "Dagar efter randomisering"),
    ("Pre-specified analyses", "Förregistrerade analyser"),
    // Summary.
    (
        "Effect of the offer on the share {} at {} (intention to treat):",
        "Effekt av erbjudandet på andelen {} efter {} (intention to treat):",
    ),
    (
        "Effect of the offer on the share {} for {} (intention to treat):",
        "Effekt av erbjudandet på andelen {} för {} (intention to treat):",
    ),
    (
        "{}: {} percentage points (95% CI {} to {}; p {}).",
        "{}: {} procentenheter (95% KI {} till {}; p {}).",
    ),
    (
        "Cost per additional person {} ({}): {} SEK ({}), for an effect of {} percentage points (difference in means).",
        "Kostnad per ytterligare person {} ({}): {} SEK ({}), vid en effekt på {} procentenheter (skillnad i medelvärden).",
    ),
    (
        "Cost per additional person {} ({}): not a meaningful number ({}).",
        "Kostnad per ytterligare person {} ({}): inget meningsfullt tal ({}).",
    ),
    (
        "gross, programme costs only",
        "brutto, enbart programmets kostnader",
    ),
    ("net of offsets", "netto efter besparingar"),
    ("95% CI {} to {} SEK", "95% KI {} till {} SEK"),
    ("no interval", "inget intervall"),
    ("the effect is not positive", "effekten är inte positiv"),
    (
        "No effect estimates were computed.",
        "Inga effekter skattades.",
    ),
    ("in work or studies", "i arbete eller studier"),
    ("at {}", "efter {}"),
    ("{} days", "{} dagar"),
    ("Share of group (%)", "Andel av gruppen (%)"),
    ("1 day", "1 dag"),
    ("{} at {}, by kind", "{} efter {}, per typ av aktivitet"),
    ("{} for {}, by kind", "{} för {}, per typ av aktivitet"),
    (
        "The primary outcome split by kind of activity, by arm and subgroup.",
        "Det primära utfallet uppdelat efter typ av aktivitet, per grupp och delgrupp.",
    ),
    (
        "The primary outcome by kind, by arm and subgroup",
        "Det primära utfallet efter typ av aktivitet, per grupp och delgrupp",
    ),
    ("All", "Alla"),
    ("Women", "Kvinnor"),
    ("Men", "Män"),
    // Figures: titles, axes, legends.
    ("Randomized", "Randomiserade"),
    ("Assigned to {}", "Tilldelade {}"),
    ("Followed up at {}", "Följda efter {}"),
    ("Lost to follow-up", "Bortfall"),
    (
        "Analysed (intention to treat)",
        "Analyserade (intention to treat)",
    ),
    (
        "Standardized difference (treatment − control, pooled SD)",
        "Standardiserad skillnad (behandling − kontroll, poolad SD)",
    ),
    (
        "Probability cost-effective",
        "Sannolikhet att vara kostnadseffektiv",
    ),
    ("More effective, costlier", "Effektivare, dyrare"),
    ("Less effective, costlier", "Mindre effektiv, dyrare"),
    ("Less effective, cheaper", "Mindre effektiv, billigare"),
    ("More effective, cheaper", "Effektivare, billigare"),
    (
        "Stacked cumulative incidence (Aalen–Johansen)",
        "Staplad kumulativ incidens (Aalen–Johansen)",
    ),
    ("Number at risk", "Antal i risk"),
    (
        "Bands: 95% confidence intervals (Kaplan–Meier, log scale)",
        "Band: 95% konfidensintervall (Kaplan–Meier, log-skala)",
    ),
    ("Days since randomization", "Dagar sedan randomiseringen"),
    (
        "Bars: 95% confidence intervals",
        "Streck: 95% konfidensintervall",
    ),
    ("Percentage points", "Procentenheter"),
    ("Effect at {}", "Effekt efter {}"),
    (
        "Time to first job, by arm",
        "Tid till första arbete, per grupp",
    ),
    // Does it pay? (src/report/benefit.rs): the headline, in its variants, most specific first.
    ("Does it pay?", "Lönar det sig?"),
    (
        "Valuing a month in work at {} SEK ({}) and discounting at {}% a year, the programme's net benefit over the {} measured months is {} SEK per person offered (95% interval {} to {}) and {} SEK per participant (the difference divided by the difference in take-up).",
        "Med en månad i arbete värderad till {} SEK ({}) och en diskonteringsränta på {}% per år är programmets nettonytta under de {} uppmätta månaderna {} SEK per erbjuden person (95% intervall {} till {}) och {} SEK per deltagare (skillnaden delad med skillnaden i deltagande).",
    ),
    (
        "Valuing a month in work at {} SEK ({}) and discounting at {}% a year, the programme's net benefit over the {} measured months is {} SEK per person offered (95% interval {} to {}).",
        "Med en månad i arbete värderad till {} SEK ({}) och en diskonteringsränta på {}% per år är programmets nettonytta under de {} uppmätta månaderna {} SEK per erbjuden person (95% intervall {} till {}).",
    ),
    (
        "Valuing a month in work at {} SEK ({}) and discounting at {}% a year, the programme's net benefit over the {} measured months is {} SEK per person offered and {} SEK per participant (the difference divided by the difference in take-up).",
        "Med en månad i arbete värderad till {} SEK ({}) och en diskonteringsränta på {}% per år är programmets nettonytta under de {} uppmätta månaderna {} SEK per erbjuden person och {} SEK per deltagare (skillnaden delad med skillnaden i deltagande).",
    ),
    (
        "Valuing a month in work at {} SEK ({}) and discounting at {}% a year, the programme's net benefit over the {} measured months is {} SEK per person offered.",
        "Med en månad i arbete värderad till {} SEK ({}) och en diskonteringsränta på {}% per år är programmets nettonytta under de {} uppmätta månaderna {} SEK per erbjuden person.",
    ),
    (
        "Per participant, the delta-method 95% interval is {} to {} SEK and Fieller's {} to {} SEK.",
        "Per deltagare är deltametodens 95% intervall {} till {} SEK och Fiellers {} till {} SEK.",
    ),
    (
        "Per participant, Fieller's 95% set is unbounded: every value up to {} SEK and every value from {} SEK on, because the difference in take-up does not differ significantly from zero.",
        "Per deltagare är Fiellers 95% konfidensmängd obegränsad: alla värden upp till {} SEK och alla värden från {} SEK, eftersom skillnaden i deltagande inte skiljer sig signifikant från noll.",
    ),
    (
        "Per participant, Fieller's 95% set is the whole line: the difference in take-up does not differ significantly from zero, so the data are consistent with any net benefit per participant.",
        "Per deltagare är Fiellers 95% konfidensmängd hela tallinjen: skillnaden i deltagande skiljer sig inte signifikant från noll, så data är förenliga med vilken nettonytta per deltagare som helst.",
    ),
    (
        "Per participant, the delta-method 95% interval is {} to {} SEK.",
        "Per deltagare är deltametodens 95% intervall {} till {} SEK.",
    ),
    (
        "Each krona of incremental cost returns {} kronor of valued work (Fieller 95% interval {} to {}).",
        "Nytta–kostnadskvoten är {}: varje krona i merkostnad ger så många kronor i värderat arbete (Fieller, 95% intervall {} till {}).",
    ),
    (
        "Each krona of incremental cost returns {} kronor of valued work.",
        "Nytta–kostnadskvoten är {}: varje krona i merkostnad ger så många kronor i värderat arbete.",
    ),
    (
        "It breaks even after {} months (bootstrap 95% interval from {} to beyond the measured months).",
        "Programmet är återbetalt efter {} månader (bootstrap, 95% intervall från {} till bortom de uppmätta månaderna).",
    ),
    (
        "It breaks even after {} months (bootstrap 95% interval {} to {}).",
        "Programmet är återbetalt efter {} månader (bootstrap, 95% intervall {} till {}).",
    ),
    (
        "Given the month in which it breaks even, the delta-method 95% interval of the break-even horizon is {} to {} months and Fieller's {} to {} months.",
        "Givet den månad då programmet blir återbetalt är deltametodens 95% intervall för återbetalningstiden {} till {} månader och Fiellers {} till {} månader.",
    ),
    (
        "Given the month in which it breaks even, the delta-method 95% interval of the break-even horizon is {} to {} months.",
        "Givet den månad då programmet blir återbetalt är deltametodens 95% intervall för återbetalningstiden {} till {} månader.",
    ),
    (
        "Inverting the test of a zero net benefit at every horizon, the 95% confidence set of the break-even horizon is {} to {} months, without assuming the month in which it breaks even.",
        "Om testet av en nettonytta på noll inverteras vid varje tidshorisont är 95% konfidensmängden för återbetalningstiden {} till {} månader, utan antagande om i vilken månad programmet blir återbetalt.",
    ),
    (
        "Inverting the test of a zero net benefit at every horizon, the 95% confidence set of the break-even horizon runs from {} months to beyond the {} measured months, without assuming the month in which it breaks even.",
        "Om testet av en nettonytta på noll inverteras vid varje tidshorisont sträcker sig 95% konfidensmängden för återbetalningstiden från {} månader till bortom de {} uppmätta månaderna, utan antagande om i vilken månad programmet blir återbetalt.",
    ),
    (
        "At every horizon within the {} measured months the net benefit differs significantly from zero, so no horizon within them is consistent with breaking even.",
        "Vid varje tidshorisont inom de {} uppmätta månaderna skiljer sig nettonyttan signifikant från noll, så ingen horisont inom dem är förenlig med att programmet blir återbetalt.",
    ),
    (
        "The net benefit is significantly positive (its lower 95% limit above zero) from {} months on.",
        "Nettonyttan är signifikant positiv (dess nedre 95% gräns över noll) från {} månader och framåt.",
    ),
    (
        "Cost–benefit: the months in work gained per person offered over the {} measured months, valued at {} SEK a month ({}; after Meyer 1995) and discounted monthly at {}% a year ({}), costs at the same rate (Drummond et al. 2015, §4.2.4; J-PAL 2016), less the discounted incremental cost: the net benefit (net present value; Boardman et al. 2018, ch. 1) with {} intervals, per participant over the difference in take-up (Angrist, Imbens & Rubin 1996) with delta-method and Fieller (1954) intervals, the benefit–cost ratio with Fieller's set (Willan & O'Brien 1996), and the break-even horizon with delta-method and Fieller intervals within its month and a confidence set by inverting the test of a zero net benefit at every horizon (Casella & Berger 2002, §9.2.1). {}",
        "Kostnads–nyttoanalys: de vunna månaderna i arbete per erbjuden person under de {} uppmätta månaderna, värderade till {} SEK per månad ({}; efter Meyer 1995) och diskonterade månadsvis med {}% per år ({}), kostnaderna med samma ränta (Drummond m.fl. 2015, §4.2.4; J-PAL 2016), minus den diskonterade merkostnaden: nettonyttan (nettonuvärde; Boardman m.fl. 2018, kap. 1) med intervall enligt {}, per deltagare delad med skillnaden i deltagande (Angrist, Imbens & Rubin 1996) med intervall enligt deltametoden och Fieller (1954), nytta–kostnadskvoten med Fiellers konfidensmängd (Willan & O'Brien 1996), och återbetalningstiden med intervall enligt deltametoden och Fieller inom dess månad samt en konfidensmängd genom att testet av en nettonytta på noll inverteras vid varje tidshorisont (Casella & Berger 2002, §9.2.1). {}",
    ),
    (
        "delta-method and bootstrap percentile (costs and outcomes drawn jointly)",
        "deltametoden och bootstrap med percentiler (kostnader och utfall dragna gemensamt)",
    ),
    ("delta-method", "deltametoden"),
    (
        "{}% to {}% a year in the sensitivity analysis",
        "{}% till {}% per år i känslighetsanalysen",
    ),
    ("no other rate", "ingen annan ränta"),
    (
        "No effect is assumed after the measured months; the sensitivity table carries the last effect forward, or lets it fall linearly to zero, to month {}, as a stated assumption.",
        "Ingen effekt antas efter de uppmätta månaderna; känslighetstabellen förlänger den senaste effekten, eller låter den avta linjärt till noll, till månad {}, som ett uttalat antagande.",
    ),
    (
        "No effect is assumed after the measured months.",
        "Ingen effekt antas efter de uppmätta månaderna.",
    ),
    (
        "It breaks even after {} months.",
        "Programmet är återbetalt efter {} månader.",
    ),
    (
        "It does not break even within the {} measured months.",
        "Programmet betalar sig inte inom de {} uppmätta månaderna.",
    ),
    (
        "Effects were measured for {} months only; if the last measured effect lasted to month {}, the net benefit would be {} SEK per person offered (an assumption, shown with the others in the sensitivity table).",
        "Effekterna mättes bara under {} månader; om den senast uppmätta effekten varade till månad {} skulle nettonyttan bli {} SEK per erbjuden person (ett antagande, som redovisas med de övriga i känslighetstabellen).",
    ),
    (
        "The programme arm's total cost divided by the number who took part is {} SEK a participant, but this charges the participants with the costs of those offered who did not take part: those who took part cost {} SEK on average, those offered who did not {} SEK.",
        "Programgruppens totala kostnad delad med antalet som deltog är {} SEK per deltagare, men då belastas deltagarna med kostnaderna för de erbjudna som inte deltog: de som deltog kostade i genomsnitt {} SEK, de erbjudna som inte deltog {} SEK.",
    ),
    (
        "The programme arm's total cost divided by the number who took part is {} SEK a participant, but this charges the participants with the costs of those offered who did not take part: those who took part cost {} SEK on average.",
        "Programgruppens totala kostnad delad med antalet som deltog är {} SEK per deltagare, men då belastas deltagarna med kostnaderna för de erbjudna som inte deltog: de som deltog kostade i genomsnitt {} SEK.",
    ),
    (
        "Net benefit per person offered (SEK): months in work gained, valued and discounted, less the discounted incremental cost",
        "Nettonytta per erbjuden person (i SEK): vunna månader i arbete, värderade och diskonterade, minus den diskonterade merkostnaden",
    ),
    (
        "Sensitivity of the net benefit (SEK) to the discount rate and to extrapolating the effect beyond the measured months, and the probabilistic sensitivity analysis",
        "Nettonyttans (i SEK) känslighet för diskonteringsräntan och för att effekten förlängs bortom de uppmätta månaderna, samt den probabilistiska känslighetsanalysen",
    ),
    (
        "The programme against procured services priced by track and results, for the programme's own participants (SEK per participant)",
        "Programmet jämfört med upphandlade tjänster prissatta efter spår och resultat, för programmets egna deltagare (i SEK per deltagare)",
    ),
    (
        "One-way sensitivity of the net benefit",
        "Envägs känslighetsanalys av nettonyttan",
    ),
    (
        "Net benefit per person offered (SEK)",
        "Nettonytta per erbjuden person (i SEK)",
    ),
    (
        "Tornado diagram: the net benefit per person offered with each uncertain input at its low (blue) and high (orange) setting, the others at base; the black line is the base case, the grey line zero.",
        "Tornadodiagram: nettonyttan per erbjuden person med varje osäker parameter på sitt låga (blått) och höga (orange) värde och de övriga på grundantagandet; den svarta linjen är grundfallet, den grå noll.",
    ),
    (
        "Acceptability of the net benefit",
        "Acceptanskurva för nettonyttan",
    ),
    (
        "Value of a month in work (SEK)",
        "Värdet av en månad i arbete (i SEK)",
    ),
    (
        "Probability of a positive net benefit",
        "Sannolikhet för positiv nettonytta",
    ),
    (
        "Acceptability curve of the net benefit: the probability that the net benefit per person offered is positive (bootstrap; normal approximation without it) at each value of a month in work, from nothing to twice the headline value; the value of a month in work plays the part of the willingness to pay (Drummond et al. 2015, ch. 8; Glick et al. 2014, ch. 9).",
        "Acceptanskurva för nettonyttan: sannolikheten att nettonyttan per erbjuden person är positiv (bootstrap; normalapproximation utan den) vid varje värde av en månad i arbete, från noll till dubbla grundvärdet; värdet av en månad i arbete har betalningsviljans roll (Drummond m.fl. 2015, kap. 8; Glick m.fl. 2014, kap. 9).",
    ),
    ("low setting", "lågt värde"),
    ("high setting", "högt värde"),
    (
        "value of a month in work ({})",
        "värdet av en månad i arbete ({})",
    ),
    (
        "discount rate ({}% – {}% a year)",
        "diskonteringsränta ({}% – {}% per år)",
    ),
    ("cost per participant ({})", "kostnad per deltagare ({})"),
    (
        "effect after the measured months (to month {} / {})",
        "effekt efter de uppmätta månaderna (till månad {} / {})",
    ),
    (
        "wage cost incl. employer fees",
        "lönekostnad inkl. arbetsgivaravgifter",
    ),
    ("sum of the components", "summa av delarna"),
    ("deterministic", "deterministisk"),
    ("probabilistic", "probabilistisk"),
    ("measured months only", "bara de uppmätta månaderna"),
    ("last effect carried forward", "den sista effekten består"),
    (
        "last effect decaying linearly to zero",
        "den sista effekten avtar linjärt till noll",
    ),
    (
        "all tracks (the participants' mix)",
        "alla spår (deltagarnas fördelning)",
    ),
    // Table headers (the tidy tables' column names).
    ("outcome", "Utfall"),
    ("subgroup", "Delgrupp"),
    ("estimate", "Skattning"),
    ("std_error", "Medelfel"),
    ("conf_low", "KI nedre"),
    ("conf_high", "KI övre"),
    ("p_value", "p-värde"),
    ("p_value_fisher", "p-värde (Fishers exakta test)"),
    ("p_value_adjusted", "p-värde (justerat)"),
    ("p_value_ri", "p-värde (RI)"),
    ("family", "Familj"),
    ("p_value_romano_wolf", "p-värde (Romano–Wolf)"),
    ("p_value_westfall_young", "p-värde (Westfall–Young)"),
    ("q_value_anderson", "q-värde (Anderson)"),
    ("ri_conf_low", "RI-KI nedre"),
    ("ri_conf_high", "RI-KI övre"),
    ("first_stage_f", "F (första steget)"),
    ("n_treated", "Antal erbjudna"),
    ("n_control", "Antal kontroller"),
    ("mean_treated", "Medel erbjudna"),
    ("mean_control", "Medel kontroller"),
    ("prespecified", "Förregistrerad"),
    ("covariate", "Bakgrundsvariabel"),
    ("level", "Nivå"),
    ("arm", "Grupp"),
    ("mean_arm", "Medel i gruppen"),
    ("difference", "Skillnad"),
    ("smd", "Standardiserad skillnad"),
    ("n_arm", "Antal i gruppen"),
    ("perspective", "Perspektiv"),
    ("mean_cost_treated", "Kostnad per erbjuden"),
    ("mean_cost_control", "Kostnad per kontroll"),
    ("incremental_cost", "Merkostnad"),
    ("additional_per_100", "Fler i arbete per 100"),
    ("icer", "Kostnad per ytterligare person i arbete"),
    ("icer_se", "Medelfel (kostnad per person)"),
    ("fieller_low", "Fieller nedre"),
    ("fieller_high", "Fieller övre"),
    ("boot_low", "Bootstrap nedre"),
    ("boot_high", "Bootstrap övre"),
    ("valuation", "Värdering"),
    ("sek_per_month", "Kronor per månad"),
    ("months_gained", "Vunna månader i arbete"),
    ("benefit", "Nytta"),
    ("net_benefit", "Nettonytta"),
    ("net_benefit_low", "Nettonytta, nedre"),
    ("net_benefit_high", "Nettonytta, övre"),
    ("net_benefit_per_participant", "Nettonytta per deltagare"),
    ("benefit_cost_ratio", "Nytta–kostnadskvot"),
    ("break_even_months", "Återbetald efter (månader)"),
    ("break_even_se", "Återbetalningstid, SE"),
    ("break_even_low", "Återbetalningstid, nedre"),
    ("break_even_high", "Återbetalningstid, övre"),
    ("break_even_fieller_low", "Återbetalningstid, Fieller nedre"),
    ("break_even_fieller_high", "Återbetalningstid, Fieller övre"),
    ("analysis", "Analys"),
    ("extrapolation", "Efter uppmätta månader"),
    ("horizon_months", "Horisont (månader)"),
    ("discount_rate", "Diskonteringsränta"),
    ("prob_positive", "Sannolikhet för positiv nettonytta"),
    ("comparator", "Jämförelse"),
    ("track", "Spår"),
    (
        "programme_cost_per_participant",
        "Programmets kostnad per deltagare",
    ),
    ("in_work_share", "Andel i arbete"),
    ("fee", "Avgift"),
    ("price_per_participant", "Pris per deltagare"),
    ("note", "Anmärkning"),
    ("n", "Antal"),
    ("n_missing", "Antal saknade"),
    ("rate_missing", "Andel saknade"),
    ("share", "Andel"),
    ("stage", "Steg"),
    ("term", "Term"),
    ("estimator", "Skattningsmetod"),
    ("setting", "Inställning"),
    ("planned", "Enligt planen"),
    ("now", "Nu"),
    ("frozen_in_version", "Låst i version"),
    ("frozen_at", "Låst"),
    ("version", "Version"),
    ("outcome_data_existed", "Utfallsdata fanns"),
    ("persons_assigned", "Lottade personer"),
    ("is_the_plan", "Gällande plan"),
    ("not frozen", "inte låst"),
    // Table cells.
    ("gross", "brutto"),
    ("net", "netto"),
    ("yes", "ja"),
    ("no", "nej"),
    // Targets (indicators with targets, text outcomes, monitoring).
    // The pre-analysis plan.
    (
        "The pre-analysis plan is version {} of the study's plan record, frozen {} with lotta {} (plan SHA-256 {}), {}. Results marked pre-specified answer a hypothesis of that plan and were computed as it says; every other result is exploratory.",
        "Analysplanen är version {} av studiens planregister, låst {} med lotta {} (planens SHA-256 {}), {}. Resultat märkta som förregistrerade besvarar en hypotes i planen och är beräknade så som den säger; alla andra resultat är explorativa.",
    ),
    (
        "after outcome data existed (their hashes are in the record), so it does not guard against choices made after seeing them",
        "efter att utfallsdata fanns (deras hashvärden står i registret), så den skyddar inte mot val som gjorts efter att de setts",
    ),
    (
        "before any outcome data existed",
        "innan några utfallsdata fanns",
    ),
    (
        "No result was computed as the plan says (see the deviations below).",
        "Inget resultat är beräknat så som planen säger (se avvikelserna nedan).",
    ),
    (
        "Pre-specified hypotheses and their results (term: the arm for intention-to-treat effects, the participation column for 2SLS)",
        "Förregistrerade hypoteser och deras resultat (term: gruppen för effekten av erbjudandet, deltagandekolumnen för 2SLS)",
    ),
    (
        "{} further effect rows are exploratory (not in the plan, or computed otherwise than planned); they are marked in the effects table.",
        "{} ytterligare effektrader är explorativa (inte med i planen, eller beräknade på annat sätt än planerat); de är märkta i effekttabellen.",
    ),
    (
        "Deviations from the pre-analysis plan: the planned and the actual setting, and the plan version that recorded the change (\"not frozen\": changed after the last version)",
        "Avvikelser från analysplanen: den planerade och den faktiska inställningen, och den version av planen som registrerade ändringen (\"inte låst\": ändrad efter den senaste versionen)",
    ),
    (
        "Deviations from the plan: none. Every setting of this analysis is the plan's.",
        "Avvikelser från planen: inga. Varje inställning i analysen är planens.",
    ),
    (
        "Versions of the plan record (each version's lotta and plan hash in tables/plan_versions.csv)",
        "Versioner av planregistret (varje versions lotta och planens hashvärde i tables/plan_versions.csv)",
    ),
    ("Targets", "Mål"),
    (
        "Indicators with targets: shares with exact Clopper–Pearson (1934) intervals and one-sided exact binomial tests against each target (binom.test); with clusters also the CR2 one-sample mean with Bell–McCaffrey df (lm_robust(y ~ 1, clusters)); text outcomes by arm with Pearson's chi-square test without continuity correction and Fisher's exact test by complete enumeration of the tables with the observed margins (Freeman & Halton 1951) (docs/targets.md).",
        "Indikatorer med mål: andelar med exakta Clopper–Pearson-intervall (1934) och ensidiga exakta binomialtest mot varje mål (binom.test); med kluster även det klusterrobusta medelvärdet med CR2 och Bell–McCaffreys frihetsgrader (lm_robust(y ~ 1, clusters)); textutfall per grupp med Pearsons chi2-test utan kontinuitetskorrektion och Fishers exakta test genom fullständig uppräkning av tabellerna med de observerade marginalerna (Freeman & Halton 1951) (docs/targets.md).",
    ),
    (
        "Each indicator is the share of persons with the outcome among those with it observed, by arm and subgroup, with its exact (Clopper–Pearson) {}% confidence interval. Against a target, the one-sided exact binomial test gives p (met), for a share beyond the target in its direction, and p (missed), for a share short of it; a target is met or missed significantly when the whole interval lies on one side of it.",
        "Varje indikator är andelen personer med utfallet bland dem där det är observerat, per grupp och delgrupp, med sitt exakta (Clopper–Pearson) {}-procentiga konfidensintervall. Mot ett mål ger det ensidiga exakta binomialtestet p (nått), för en andel bortom målet i dess riktning, och p (missat), för en andel som inte når det; ett mål är signifikant nått eller missat när hela intervallet ligger på ena sidan om det.",
    ),
    (
        "Persons of a cluster are not independent: the columns marked CR2 give the cluster-robust share (CR2 standard error with Bell–McCaffrey degrees of freedom) and its one-sided t tests against the target.",
        "Personer i samma kluster är inte oberoende: kolumnerna märkta CR2 ger den klusterrobusta andelen (CR2-medelfel med Bell–McCaffreys frihetsgrader) och dess ensidiga t-test mot målet.",
    ),
    ("{}: target {}.", "{}: mål {}."),
    ("{} (no target).", "{} (inget mål)."),
    ("at least {}%", "minst {}%"),
    ("at most {}%", "högst {}%"),
    (
        "{}: {}% (95% CI {} to {}%), target {} (p met {}, p missed {}).",
        "{}: {}% (95% KI {} till {}%), målet {} (p nått {}, p missat {}).",
    ),
    (
        "{}: {}% (95% CI {} to {}%).",
        "{}: {}% (95% KI {} till {}%).",
    ),
    (
        "{}: not shown (masked or empty).",
        "{}: visas inte (skyddad eller tom).",
    ),
    ("met (significant)", "nått (signifikant)"),
    ("met (not significant)", "nått (ej signifikant)"),
    ("missed (significant)", "missat (signifikant)"),
    ("missed (not significant)", "missat (ej signifikant)"),
    (
        "{}: share by subgroup and arm with exact 95% confidence intervals; the dashed line is the target ({}).",
        "{}: andel per delgrupp och grupp med exakta 95-procentiga konfidensintervall; den streckade linjen är målet ({}).",
    ),
    ("Share (%)", "Andel (%)"),
    ("Target: {}", "Mål: {}"),
    ("masked", "skyddad"),
    (
        "Indicators against their targets (shares with exact Clopper–Pearson intervals; one-sided exact binomial tests)",
        "Indikatorer mot sina mål (andelar med exakta Clopper–Pearson-intervall; ensidiga exakta binomialtest)",
    ),
    (
        "Text outcomes by arm: the number and share of each category among the persons of the arm with one. The tests compare the distribution over categories between the arms: Pearson's chi-square test (without continuity correction) and Fisher's exact test, which is exact for small counts.",
        "Textutfall per grupp: antal och andel i varje kategori bland gruppens personer med en kategori. Testen jämför fördelningen över kategorierna mellan grupperna: Pearsons chi2-test (utan kontinuitetskorrektion) och Fishers exakta test, som är exakt även för små antal.",
    ),
    ("Text outcomes by arm", "Textutfall per grupp"),
    (
        "Tests of text outcome by arm",
        "Test av textutfall mot grupp",
    ),
    (
        "Monitoring: persons per arm in each subgroup cell",
        "Uppföljning: personer per grupp i varje delgrupp",
    ),
    ("n_yes", "Med utfallet"),
    ("clusters", "Kluster"),
    ("target", "Mål"),
    ("assessment", "Bedömning"),
    ("p_value_shortfall", "p (missat)"),
    ("category", "Kategori"),
    ("chi_square", "Chi2"),
    ("p_value_chi_square", "p (chi2)"),
    ("p_value_fisher", "p (Fisher)"),
    ("label", "Indikator"),
    ("conf_low_cr2", "KI nedre (CR2)"),
    ("conf_high_cr2", "KI övre (CR2)"),
    ("p_value_cr2", "p (CR2)"),
    ("p_value_shortfall_cr2", "p (missat, CR2)"),
    (
        "empty cell: no person with the outcome observed",
        "tom cell: ingen person med observerat utfall",
    ),
    (
        "test masked: its table has masked counts (disclosure control)",
        "testet skyddat: dess tabell har skyddade antal (röjandekontroll)",
    ), // General templates last: they match much, so every specific entry goes before them.
    ("{} or {}", "{} eller {}"),
    ("{}: joint", "{}: gemensamt test"),
    ("{} ({} to {})", "{} ({} till {})"),
    ("{} (unbounded)", "{} (obegränsat)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_translate_their_parts_and_numbers() {
        let sv = |t: &str| Language::Sv.translate(t, Currency::Kr);
        assert_eq!(sv("Summary"), "Sammanfattning");
        assert_eq!(
            sv(
                "Effect of the offer on the share in work or studies at 540 days (intention to treat):"
            ),
            "Effekt av erbjudandet på andelen i arbete eller studier efter 540 dagar (intention to treat):"
        );
        assert_eq!(
            sv("Women: +7.1 percentage points (95% CI 2.0 to 12.2; p = 0.006)."),
            "Kvinnor: +7,1 procentenheter (95\u{a0}% KI 2,0 till 12,2; p = 0,006)."
        );
        assert_eq!(
            sv(
                "Cost per additional person in work or studies (net of offsets): 154\u{202f}000 SEK (95% CI 88\u{202f}896 to 259\u{202f}676 SEK), for an effect of +7.1 percentage points (difference in means)."
            ),
            "Kostnad per ytterligare person i arbete eller studier (netto efter besparingar): 154\u{202f}000 kr (95\u{a0}% KI 88\u{202f}896 till 259\u{202f}676 kr), vid en effekt på +7,1 procentenheter (skillnad i medelvärden)."
        );
        assert_eq!(
            Language::Sv.translate("Cost: 10 SEK.", Currency::Sek),
            "Cost: 10 SEK."
        );
        assert_eq!(sv("|difference| < 0.1."), "|difference| < 0,1.");
        // Amounts in notes are grouped like the report's own; years, seeds and names are not.
        assert_eq!(
            sv("worth 36099 SEK in 2019, seed 20190401, file x12345.csv"),
            "worth 36\u{202f}099 kr in 2019, seed 20190401, file x12345.csv"
        );
        // Versions and file names keep their points; unknown text stays as it is.
        assert_eq!(
            sv("lotta 0.1.0 wrote tables/x2.5.csv"),
            "lotta 0.1.0 wrote tables/x2.5.csv"
        );
        assert_eq!(Language::En.translate("Summary", Currency::Kr), "Summary");
    }

    #[test]
    fn few_cluster_sentences_read_in_swedish() {
        let sv = |t: &str| Language::Sv.translate(t, Currency::Kr);
        assert_eq!(
            sv(
                "Women: +7.6 percentage points (wild cluster bootstrap with 16 clusters: p < 0.001; 95% interval 4.4 to 11.2). Cluster-robust (CR2), unreliable with so few clusters: 95% CI 4.3 to 10.9; p < 0.001."
            ),
            "Kvinnor: +7,6 procentenheter (vild klusterbootstrap med 16 kluster: p < 0,001; 95\u{a0}% intervall 4,4 till 11,2). Klusterrobust (CR2), opålitligt med så få kluster: 95\u{a0}% KI 4,3 till 10,9; p < 0,001."
        );
        assert_eq!(
            sv(
                "All: +9.0 percentage points (exact randomization inference over all 70 possible assignments of the 8 clusters: p = 2/70 = 0.029, smallest attainable p 0.029; 95% interval unbounded (too few assignments to reject any effect)). Cluster-robust (CR2), unreliable with so few clusters: 95% CI 1.0 to 17.0; p = 0.031."
            ),
            "Alla: +9,0 procentenheter (exakt randomiseringsinferens över alla 70 möjliga tilldelningar av de 8 klustren: p = 2/70 = 0,029, minsta möjliga p 0,029; 95\u{a0}% intervall obegränsat (för få möjliga tilldelningar för att förkasta någon effekt)). Klusterrobust (CR2), opålitligt med så få kluster: 95\u{a0}% KI 1,0 till 17,0; p = 0,031."
        );
        assert_eq!(
            sv(
                "Men: +6.9 percentage points (randomization inference (1000 draws) with 6 clusters: p = 0.120; 95% interval unbounded to 12.5). Cluster-robust (CR2), unreliable with so few clusters: 95% CI 2.5 to 11.4; p = 0.005."
            ),
            "Män: +6,9 procentenheter (randomiseringsinferens (1000 dragningar) med 6 kluster: p = 0,120; 95\u{a0}% intervall obegränsat till 12,5). Klusterrobust (CR2), opålitligt med så få kluster: 95\u{a0}% KI 2,5 till 11,4; p = 0,005."
        );
        assert_eq!(
            sv(
                "All: +7.1 percentage points (95% CI 4.6 to 9.5; p < 0.001); only 16 clusters, so this cluster-robust result is unreliable: ask for randomization inference (`ri_draws`) or the wild cluster bootstrap (`wild_bootstrap`)."
            ),
            "Alla: +7,1 procentenheter (95\u{a0}% KI 4,6 till 9,5; p < 0,001); bara 16 kluster, så det klusterrobusta resultatet är opålitligt: begär randomiseringsinferens (`ri_draws`) eller vild klusterbootstrap (`wild_bootstrap`)."
        );
        assert_eq!(
            sv(
                "Wild cluster bootstrap of every regression row, 999 draws by cluster on the CR1 t statistic: unrestricted (WCU); Webb's six-point weights; two-sided symmetric p-value and an interval by test inversion (Roodman, MacKinnon, Nielsen & Webb 2019; the conventions of boottest and fwildclusterboot)."
            ),
            "Vild klusterbootstrap för varje regressionsrad, 999 dragningar av kluster på CR1-t-statistikan: orestrikterad (WCU); Webbs sexpunktsvikter; tvåsidigt symmetriskt p-värde och ett intervall genom testinvertering (Roodman, MacKinnon, Nielsen & Webb 2019; samma konventioner som boottest och fwildclusterboot)."
        );
        assert_eq!(
            sv(
                "Difference MD1 − Standard (percentage points, 95% wild bootstrap interval; grey: CR2; 16 clusters)"
            ),
            "Skillnad MD1 − Standard (procentenheter, 95\u{a0}% intervall från vild bootstrap; grått: CR2; 16 kluster)"
        );
    }

    #[test]
    fn does_it_pay_reads_in_swedish() {
        let sv = |t: &str| Language::Sv.translate(t, Currency::Kr);
        assert_eq!(sv("Does it pay?"), "Lönar det sig?");
        assert_eq!(
            sv(
                "Valuing a month in work at 31\u{202f}541 SEK (wage cost incl. employer fees) and discounting at 3.0% a year, the programme's net benefit over the 18 measured months is 14\u{202f}820 SEK per person offered (95% interval 5678 to 23\u{202f}962) and 17\u{202f}309 SEK per participant (the difference divided by the difference in take-up)."
            ),
            "Med en månad i arbete värderad till 31\u{202f}541 kr (lönekostnad inkl. arbetsgivaravgifter) och en diskonteringsränta på 3,0\u{a0}% per år är programmets nettonytta under de 18 uppmätta månaderna 14\u{202f}820 kr per erbjuden person (95\u{a0}% intervall 5678 till 23\u{202f}962) och 17\u{202f}309 kr per deltagare (skillnaden delad med skillnaden i deltagande)."
        );
        assert_eq!(
            sv("It breaks even after 10.8 months (bootstrap 95% interval 8.4 to 14.6)."),
            "Programmet är återbetalt efter 10,8 månader (bootstrap, 95\u{a0}% intervall 8,4 till 14,6)."
        );
        assert_eq!(
            sv(
                "The programme arm's total cost divided by the number who took part is 43\u{202f}178 SEK a participant, but this charges the participants with the costs of those offered who did not take part: those who took part cost 39\u{202f}128 SEK on average."
            ),
            "Programgruppens totala kostnad delad med antalet som deltog är 43\u{202f}178 kr per deltagare, men då belastas deltagarna med kostnaderna för de erbjudna som inte deltog: de som deltog kostade i genomsnitt 39\u{202f}128 kr."
        );
        assert_eq!(
            sv("discount rate (0% – 5% a year)"),
            "diskonteringsränta (0\u{a0}% – 5\u{a0}% per år)"
        );
    }

    #[test]
    fn table_numbers_group_thousands_and_use_the_language_decimal_mark() {
        assert_eq!(
            Language::Sv.number_cell("-12345.6789"),
            "−12\u{202f}345,6789"
        );
        assert_eq!(Language::En.number_cell("154000"), "154\u{202f}000");
        assert_eq!(Language::En.number_cell("5400"), "5\u{202f}400");
        assert_eq!(Language::En.number_cell("540"), "540");
        assert_eq!(Language::Sv.number_cell("-0.0000"), "0,0000");
        assert_eq!(Language::Sv.number_cell("<0.001"), "<0.001");
        assert_eq!(Language::parse("svenska"), Some(Language::Sv));
        assert_eq!(Language::parse("fi"), None);
    }
}
