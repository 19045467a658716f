# Reference values for src/estimate/adjust.rs: R's stats::p.adjust (Holm, BH) on fixed vectors,
# including ties, NA and values near 1. Run: Rscript tests/reference/adjust/adjust.R
# Writes tests/reference/adjust/p_adjust.json.
library(jsonlite)
set.seed(20240601)
cases <- list(
  small = c(0.01, 0.04, 0.03, 0.005, 0.2),
  ties = c(0.02, 0.02, 0.02, 0.5, 0.001, 0.001),
  with_na = c(0.03, NA, 0.001, 0.8, NA, 0.049),
  near_one = c(0.9, 0.95, 0.99, 1, 0.4),
  random = round(runif(40)^3, 12)
)
out <- lapply(cases, function(p) list(
  p = p,
  holm = p.adjust(p, "holm"),
  bh = p.adjust(p, "BH")
))
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = FALSE, pretty = TRUE),
           "tests/reference/adjust/p_adjust.json")
