# Reference values for lotta's indicators with targets (src/targets/, docs/targets.md).
# Run from this folder: Rscript indicators.R   (R 4.2; estimatr, clubSandwich)
# Writes binomial.csv, contingency.csv, clustered_data.csv, clustered.csv.
suppressPackageStartupMessages({
  library(estimatr)
  library(clubSandwich)
})
fmt <- function(x) ifelse(is.na(x), "NA", trimws(formatC(x, digits = 17, format = "g")))

# 1. Exact binomial: one-sided p-values (both directions) and the Clopper-Pearson interval.
cases <- data.frame(
  x = c(0, 6, 10, 37, 130, 3, 1, 412, 2, 999, 0, 45, 17),
  n = c(10, 10, 10, 60, 240, 7, 1, 700, 1000, 1000, 1, 45, 31),
  p = c(0.6, 0.6, 0.6, 0.6, 0.6, 0.25, 0.5, 0.55, 0.001, 0.99, 0.3, 0.9, 0.5),
  level = c(0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.9)
)
rows <- lapply(seq_len(nrow(cases)), function(i) {
  k <- cases[i, ]
  greater <- binom.test(k$x, k$n, k$p, alternative = "greater")$p.value
  less <- binom.test(k$x, k$n, k$p, alternative = "less")$p.value
  ci <- binom.test(k$x, k$n, conf.level = k$level)$conf.int
  c(k$x, k$n, k$p, k$level, greater, less, ci[1], ci[2])
})
out <- do.call(rbind, rows)
colnames(out) <- c("x", "n", "p", "level", "p_greater", "p_less", "conf_low", "conf_high")
write.csv(apply(out, 2, fmt), "binomial.csv", row.names = FALSE, quote = FALSE)

# 2. r x c tables: Pearson chi-square without continuity correction (also 2 x 2) and
# Fisher's exact test. Cells are written row by row separated by spaces, rows by `/`.
tables <- list(
  matrix(c(3, 1, 1, 3), 2, byrow = TRUE),
  matrix(c(12, 5, 9, 7), 2, byrow = TRUE),
  matrix(c(20, 14, 6, 31, 9, 2), 2, byrow = TRUE),
  matrix(c(3, 0, 2, 1, 4, 1, 0, 2, 5, 1, 1, 3), 3, byrow = TRUE),
  matrix(c(40, 31, 12, 9, 70, 35, 30, 11), 2, byrow = TRUE),
  matrix(c(8, 2, 1, 3, 9, 2, 1, 1, 7), 3, byrow = TRUE),
  matrix(c(25, 10, 5, 2, 0, 12, 14, 9, 6, 3), 2, byrow = TRUE)
)
rows <- lapply(tables, function(m) {
  chi <- suppressWarnings(chisq.test(m, correct = FALSE))
  fisher <- fisher.test(m)$p.value
  cells <- paste(apply(m, 1, paste, collapse = " "), collapse = "/")
  data.frame(table = cells, statistic = fmt(unname(chi$statistic)), df = fmt(unname(chi$parameter)),
             p_chisq = fmt(chi$p.value), p_fisher = fmt(fisher))
})
write.csv(do.call(rbind, rows), "contingency.csv", row.names = FALSE, quote = FALSE)

# 3. Cluster-robust share: lm_robust(y ~ 1, clusters, se_type = "CR2") with Bell-McCaffrey df,
# checked against clubSandwich's Satterthwaite df; one-sided t tests against targets.
set.seed(20261129)
g <- rep(1:9, times = c(12, 7, 15, 4, 9, 11, 6, 14, 8))
u <- rnorm(9, 0, 0.8)[g]
y <- as.integer(runif(length(g)) < plogis(0.3 + u))
d <- data.frame(cluster = g, y = y)
write.csv(d, "clustered_data.csv", row.names = FALSE, quote = FALSE)
fit <- lm_robust(y ~ 1, data = d, clusters = cluster, se_type = "CR2")
club <- coef_test(lm(y ~ 1, data = d), vcov = "CR2", cluster = d$cluster, test = "Satterthwaite")
stopifnot(abs(club$df_Satt - fit$df) < 1e-8, abs(club$SE - fit$std.error) < 1e-12)
targets <- c(0.4, 0.5, 0.6, 0.75)
rows <- lapply(targets, function(p0) {
  t <- (fit$coefficients[[1]] - p0) / fit$std.error[[1]]
  c(p0, fit$coefficients[[1]], fit$std.error[[1]], fit$df[[1]], fit$conf.low[[1]],
    fit$conf.high[[1]], pt(t, fit$df[[1]], lower.tail = FALSE), pt(t, fit$df[[1]]))
})
out <- do.call(rbind, rows)
colnames(out) <- c("target", "share", "std_error", "df", "conf_low", "conf_high", "p_greater", "p_less")
write.csv(apply(out, 2, fmt), "clustered.csv", row.names = FALSE, quote = FALSE)

# 4. The chi-square upper tail over a range of df and statistics.
grid <- expand.grid(x = c(0.001, 0.5, 1, 3.84, 10, 40, 150), df = c(1, 2, 3, 6, 12, 40, 200))
grid$p <- pchisq(grid$x, grid$df, lower.tail = FALSE)
write.csv(data.frame(x = fmt(grid$x), df = fmt(grid$df), p = fmt(grid$p)), "pchisq.csv",
          row.names = FALSE, quote = FALSE)
