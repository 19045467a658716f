# Reference values for tests/lin2013.rs: Lin (2013), "Agnostic notes on regression adjustments
# to experimental data: Reexamining Freedman's critique", Annals of Applied Statistics 7(1),
# 295-318, Table 2 (men in the SFSP arm of the STAR experiment against the rest, first-year GPA),
# with the same specifications as estimatr's own replication
# (tests/testthat/test-replicate-lin2013.R): no adjustment, OLS adjusted for high-school GPA,
# and Lin's interacted estimator, each under HC0 (the "classic sandwich" of Lin's table) and,
# beyond the table, HC1-HC3; plus difference_in_means (Welch), lotta's `dim`.
# Run from the repository root:  Rscript tests/reference/lin2013/make.R
# Writes tests/reference/lin2013/data.csv (the columns used, as shipped with estimatr) and
# tests/reference/lin2013/expected.csv.
suppressMessages(library(estimatr))
options(digits = 17)
out <- "tests/reference/lin2013"
num <- function(x) sprintf("%.17g", x)

data("alo_star_men", package = "estimatr")
d <- alo_star_men[, c("GPA_year1", "sfsp", "gpa0")]
write.csv(data.frame(GPA_year1 = num(d$GPA_year1), sfsp = num(d$sfsp), gpa0 = num(d$gpa0)),
          file.path(out, "data.csv"), row.names = FALSE, quote = FALSE)

rows <- list()
add <- function(spec, estimator, se, fit) {
  t <- tidy(fit)
  t <- t[t$term == "sfsp", ]
  rows[[length(rows) + 1]] <<- data.frame(
    spec = spec, estimator = estimator, se = se,
    estimate = num(t$estimate), std_error = num(t$std.error), statistic = num(t$statistic),
    df = num(t$df), p_value = num(t$p.value), conf_low = num(t$conf.low),
    conf_high = num(t$conf.high))
}
for (se in c("HC0", "HC1", "HC2", "HC3")) {
  add("unadjusted", "ols", se, lm_robust(GPA_year1 ~ sfsp, data = d, se_type = se))
  add("usual", "ols", se, lm_robust(GPA_year1 ~ sfsp + gpa0, data = d, se_type = se))
  add("interacted", "lin", se, lm_lin(GPA_year1 ~ sfsp, covariates = ~ gpa0, data = d,
                                      se_type = se))
}
add("difference_in_means", "dim", "", difference_in_means(GPA_year1 ~ sfsp, data = d))
write.csv(do.call(rbind, rows), file.path(out, "expected.csv"), row.names = FALSE,
          quote = FALSE)
