# Reference for the matched-pair cluster bootstrap of lotta's cost analysis (issue 14): with one
# cluster per arm in each pair (stratum), lotta resamples the pairs as units
# (src/cea/bootstrap.rs, `ResamplingPlan` with `strata_as_units`; Cameron, Gelbach & Miller
# 2008, pairs as clusters). This script recomputes lotta's replicates with R's `boot` from
# lotta's own resampling indices, and the percentile limits with boot.ci(type = "perc").
#
# Three steps, from the repository root:
#   Rscript tests/reference/cost/pairs.R data        # writes pairs_data.csv (6 matched pairs)
#   cargo test --test cost_reference -- --ignored write_pairs_bootstrap_indices
#                                                    # lotta's draws -> pairs_boot_indices.csv
#   Rscript tests/reference/cost/pairs.R reference   # writes pairs_reference.csv
#
# The statistic is computed here on the persons: the resample is the persons of the drawn
# pairs, each pair as often as drawn, and ΔC, ΔE are the differences of the arms' means over
# those persons, ICER = ΔC/ΔE. boot's statistic receives lotta's indices (pair positions in
# sorted order of the pair labels, 1-based here); the boot object's replicates are those values,
# so boot.ci's percentile limits (norm.inter, Davison & Hinkley 1997, eq. 5.8) are of lotta's
# resamples.
suppressMessages(library(boot))
mode <- commandArgs(trailingOnly = TRUE)[1]
dir <- "tests/reference/cost"
if (identical(mode, "data")) {
  set.seed(20261129)
  S <- 6
  rows <- list()
  for (p in seq_len(S)) {
    treated_first <- runif(1) < 0.5
    level <- rnorm(1, 0, 0.08)
    for (k in 1:2) {
      treated <- (k == 1) == treated_first
      m <- sample(15:45, 1)
      municipality <- sprintf("m%02d", 2 * (p - 1) + k)
      cost <- round(if (treated) 9000 + rgamma(m, shape = 4, rate = 4 / 30000)
                    else rgamma(m, shape = 3, rate = 3 / 12000), 2)
      work <- rbinom(m, 1, pmin(0.95, pmax(0.05, 0.35 + level + 0.12 * treated)))
      rows[[length(rows) + 1]] <- data.frame(
        pair = sprintf("p%d", p), municipality = municipality,
        arm = if (treated) "md1" else "standard", cost_sek = cost, work = work)
    }
  }
  d <- do.call(rbind, rows)
  d$id <- sprintf("P%04d", seq_len(nrow(d)))
  d <- d[, c("id", "pair", "municipality", "arm", "cost_sek", "work")]
  write.csv(d, file.path(dir, "pairs_data.csv"), row.names = FALSE, quote = FALSE)
} else if (identical(mode, "reference")) {
  d <- read.csv(file.path(dir, "pairs_data.csv"))
  idx <- as.matrix(read.csv(file.path(dir, "pairs_boot_indices.csv"), header = FALSE)) + 1L
  pairs <- data.frame(pair = sort(unique(d$pair)))
  stopifnot(ncol(idx) == nrow(pairs))
  stat <- function(pp, i) {
    x <- do.call(rbind, lapply(pp$pair[i], function(p) d[d$pair == p, ]))
    t1 <- x$arm == "md1"
    dc <- mean(x$cost_sek[t1]) - mean(x$cost_sek[!t1])
    de <- mean(x$work[t1]) - mean(x$work[!t1])
    c(dc, de, dc / de)
  }
  # A boot object of the pair-level data (its own resamples are replaced by lotta's).
  b <- boot(pairs, stat, R = nrow(idx))
  b$t <- t(apply(idx, 1, function(i) stat(pairs, i)))
  stopifnot(all(is.finite(b$t)))
  perc <- sapply(1:3, function(k) boot.ci(b, conf = 0.95, type = "perc", index = k)$percent[4:5])
  f <- function(x) sprintf("%.17g", x)
  out <- data.frame(replicate = c(seq_len(nrow(idx)), "t0", "perc_low", "perc_high"),
                    cost = f(c(b$t[, 1], b$t0[1], perc[, 1])),
                    effect = f(c(b$t[, 2], b$t0[2], perc[, 2])),
                    icer = f(c(b$t[, 3], b$t0[3], perc[, 3])))
  write.csv(out, file.path(dir, "pairs_reference.csv"), row.names = FALSE, quote = FALSE)
} else {
  stop("usage: Rscript tests/reference/cost/pairs.R data|reference")
}
