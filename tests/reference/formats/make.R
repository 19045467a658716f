# Stata (format 118, haven's default) and SAS (sas7bdat; haven's write_sas, uncompressed) copies
# of the demo data. Numbers are read as R doubles, so every value is the same binary64 number
# as lotta's CSV reader makes; missing cells (empty) stay missing.
suppressPackageStartupMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]; out <- args[2]
read <- function(name) {
  d <- read.csv(file.path(src, paste0(name, ".csv")), na.strings = c("", "NA"),
                stringsAsFactors = FALSE, check.names = FALSE, encoding = "UTF-8")
  # Text columns: an empty cell is an empty string in Stata and SAS (their missing text).
  for (v in names(d)) if (is.character(d[[v]])) d[[v]][is.na(d[[v]])] <- ""
  d
}
labelled_codes <- function(x, levels) {
  labelled(match(x, levels), setNames(seq_along(levels), levels))
}
for (name in c("participants", "outcomes", "costs")) {
  d <- read(name)
  write_sas_quietly <- function(d, path) suppressWarnings(write_sas(d, path))
  # SAS stores every number in 8 bytes: the split of work or studies at the earlier horizons,
  # which the demo study does not read, is left out to keep the fixture under 1 MB.
  keep <- !grepl("^(subsidized|unsubsidized|studies)_(90|180|365)$", names(d))
  write_sas_quietly(d[keep], file.path(out, paste0(name, ".sas7bdat")))
  if (name == "participants") {
    d$gender <- labelled_codes(d$gender, c("F", "M"))
    d$education_level <- labelled_codes(d$education_level,
                                        c("none", "primary", "secondary", "tertiary"))
  }
  write_dta(d, file.path(out, paste0(name, ".dta")), version = 14)
}
