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
                let swedish = swedish(text).unwrap_or_else(|| text.to_string());
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

/// `12345678` as `12 345 678` (narrow no-break spaces) from five digits on; four digits stay
/// together (`2019`, `5400`), as Swedish and English style guides both allow.
pub fn group_thousands(digits: &str) -> String {
    if digits.len() < 5 {
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

/// Numbers in running Swedish text: a decimal point between digits becomes a comma (`0.034` →
/// `0,034`, `+7.1` → `+7,1`), but not in version numbers or file names (`0.1.0`, `tables/x.csv`),
/// and a space goes before a per cent sign (`95%` → `95 %`).
fn swedish_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
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
            let end = chars[i + 1..]
                .iter()
                .position(|d| !(d.is_ascii_digit() || *d == '.'))
                .map_or(chars.len(), |p| i + 1 + p);
            let points = chars[start..end].iter().filter(|d| **d == '.').count();
            let letter_after = chars.get(end).is_some_and(|d| d.is_alphabetic());
            if points == 1 && !letter_after {
                out.push(',');
                continue;
            }
        }
        if c == '%' && i > 0 && chars[i - 1].is_ascii_digit() {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
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
    (
        "statistics masked (disclosure control)",
        "skyddade uppgifter (röjandekontroll)",
    ),
    ("Design and participant flow", "Design och deltagarflöde"),
    ("Baseline balance", "Balans vid randomiseringen"),
    (
        "Effects over horizons, by subgroup",
        "Effekter över tid och per grupp",
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
        "Det primära utfallet uppdelat efter typ av aktivitet, per grupp och undergrupp.",
    ),
    (
        "The primary outcome by kind, by arm and subgroup",
        "Det primära utfallet efter typ av aktivitet, per grupp och undergrupp",
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
    ("subgroup", "Grupp"),
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
    // Table cells.
    ("gross", "brutto"),
    ("net", "netto"),
    ("yes", "ja"),
    ("no", "nej"),
    // Targets (indicators with targets, text outcomes, monitoring).
    ("Targets", "Mål"),
    (
        "Indicators with targets: shares with exact Clopper–Pearson (1934) intervals and one-sided exact binomial tests against each target (binom.test); with clusters also the CR2 one-sample mean with Bell–McCaffrey df (lm_robust(y ~ 1, clusters)); text outcomes by arm with Pearson's chi-square test without continuity correction and Fisher's exact test by complete enumeration of the tables with the observed margins (Freeman & Halton 1951) (docs/targets.md).",
        "Indikatorer med mål: andelar med exakta Clopper–Pearson-intervall (1934) och ensidiga exakta binomialtest mot varje mål (binom.test); med kluster även det klusterrobusta medelvärdet med CR2 och Bell–McCaffreys frihetsgrader (lm_robust(y ~ 1, clusters)); textutfall per grupp med Pearsons chi2-test utan kontinuitetskorrektion och Fishers exakta test genom fullständig uppräkning av tabellerna med de observerade marginalerna (Freeman & Halton 1951) (docs/targets.md).",
    ),
    (
        "Each indicator is the share of persons with the outcome among those with it observed, by arm and subgroup, with its exact (Clopper–Pearson) {}% confidence interval. Against a target, the one-sided exact binomial test gives p (met), for a share beyond the target in its direction, and p (missed), for a share short of it; a target is met or missed significantly when the whole interval lies on one side of it.",
        "Varje indikator är andelen personer med utfallet bland dem där det är observerat, per grupp och undergrupp, med sitt exakta (Clopper–Pearson) {}-procentiga konfidensintervall. Mot ett mål ger det ensidiga exakta binomialtestet p (nått), för en andel bortom målet i dess riktning, och p (missat), för en andel som inte når det; ett mål är signifikant nått eller missat när hela intervallet ligger på ena sidan om det.",
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
        "{}: andel per undergrupp och grupp med exakta 95-procentiga konfidensintervall; den streckade linjen är målet ({}).",
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
        "Uppföljning: personer per grupp i varje undergrupp",
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
    ),
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
        // Versions and file names keep their points; unknown text stays as it is.
        assert_eq!(
            sv("lotta 0.1.0 wrote tables/x2.5.csv"),
            "lotta 0.1.0 wrote tables/x2.5.csv"
        );
        assert_eq!(Language::En.translate("Summary", Currency::Kr), "Summary");
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
        assert_eq!(Language::En.number_cell("5400"), "5400");
        assert_eq!(Language::Sv.number_cell("-0.0000"), "0,0000");
        assert_eq!(Language::Sv.number_cell("<0.001"), "<0.001");
        assert_eq!(Language::parse("svenska"), Some(Language::Sv));
        assert_eq!(Language::parse("fi"), None);
    }
}
