# Reference for the provisional estimator of power by simulation (lotta::power::diagnose::
# estimate_itt): estimatr::lm_robust(y ~ d, se_type = "HC2"), df = n - 2.
# Run from the repository root:  Rscript tests/reference/power/hc2.R
suppressMessages(library(estimatr))
set.seed(20190401)
n <- 157
d <- as.numeric(runif(n) < 2 / 3)
y <- as.numeric(runif(n) < 0.35 + 0.09 * d)
write.csv(data.frame(y, d), "tests/reference/power/hc2_data.csv", row.names = FALSE)
fit <- lm_robust(y ~ d, se_type = "HC2")
out <- data.frame(estimate = sprintf("%.17g", coef(fit)[["d"]]),
                  std_error = sprintf("%.17g", fit$std.error[["d"]]),
                  df = fit$df[["d"]])
write.csv(out, "tests/reference/power/hc2_expected.csv", row.names = FALSE)
print(out)
