# Reference values for lotta's exact randomization inference (src/design/enumerate.rs,
# src/estimate/inference.rs; issue 14).
#
# An independent full enumeration: for a cluster-randomized trial, every assignment of the
# observed numbers of treated clusters within each stratum (no strata: all clusters; matched
# pairs: one of each pair; the 5-cluster design's strata are a pair and a triple) is listed with
# combn, the statistic is recomputed under each, and
#   k = #{assignments r : |T_r| >= |T_obs| - 1e-10 * max(1, |T_obs|)},  N = #assignments,
# the two-sided exact p-value k/N with ties counted as extreme (ri2's and ritest's convention;
# the observed assignment is one of the N).
# Statistics: the coefficient of z in y ~ z (the difference in person means), and the
# studentized statistic t = coefficient / SE with the CR2 cluster-robust SE of
# estimatr::lm_robust(y ~ z, clusters = cluster) recomputed under every assignment
# (MacKinnon & Webb 2020, J. Econometrics 218(2)).
# The smallest attainable p-value is the share of assignments whose |T| ties the largest.
#
# Run from this folder: Rscript exact.R  (writes data_g8.csv, data_g6.csv, data_g5.csv, exact.csv)
suppressMessages(library(estimatr))

set.seed(20260114)
make_data <- function(G, pairs, treated) {
  sizes <- 6 + (seq_len(G) * 7) %% 9
  cluster <- rep(sprintf("m%02d", seq_len(G)), sizes)
  pair <- rep(pairs, sizes)
  z <- rep(as.integer(seq_len(G) %in% treated), sizes)
  shock <- rnorm(G, sd = 0.6)
  x <- round(rnorm(length(cluster)), 3)
  y <- round(1 + 0.1 * z + shock[match(cluster, sprintf("m%02d", seq_len(G)))] + 0.5 * x +
               rnorm(length(cluster)), 3)
  data.frame(id = seq_along(cluster), cluster, pair, z, x, y)
}
designs <- list(
  g8 = make_data(8, rep(c("p1", "p2", "p3", "p4"), each = 2), c(1, 3, 5, 8)),
  g6 = make_data(6, rep(c("p1", "p2", "p3"), each = 2), c(2, 3, 5)),
  g5 = make_data(5, c("p1", "p1", "p2", "p2", "p2"), c(1, 4))
)

statistics <- function(d, zc) {
  d$z <- as.integer(d$cluster %in% zc)
  fit <- lm_robust(y ~ z, data = d, clusters = cluster, se_type = "CR2")
  c(coefficient = unname(coef(fit)["z"]), studentized = unname(coef(fit)["z"] / fit$std.error["z"]))
}

# All sets of treated clusters with the observed count per stratum (strata = NULL: one stratum).
assignments <- function(d, by_pair) {
  cl <- unique(d[, c("cluster", "pair", "z")])
  groups <- if (by_pair) split(cl, cl$pair) else list(all = cl)
  choices <- lapply(groups, function(g) {
    k <- sum(g$z)
    combn(g$cluster, k, simplify = FALSE)
  })
  grid <- expand.grid(lapply(choices, seq_along))
  lapply(seq_len(nrow(grid)), function(i)
    unlist(mapply(function(ch, j) ch[[j]], choices, grid[i, ], SIMPLIFY = FALSE)))
}

out <- list()
for (name in names(designs)) {
  d <- designs[[name]]
  write.csv(d, sprintf("data_%s.csv", name), row.names = FALSE, quote = FALSE)
  observed <- statistics(d, unique(d$cluster[d$z == 1]))
  for (by_pair in c(FALSE, TRUE)) {
    all <- assignments(d, by_pair)
    stats <- t(sapply(all, function(zc) statistics(d, zc)))
    for (s in c("coefficient", "studentized")) {
      tol <- 1e-10 * max(1, abs(observed[s]))
      k <- sum(abs(stats[, s]) >= abs(observed[s]) - tol)
      top <- max(abs(stats[, s]))
      k_min <- sum(abs(stats[, s]) >= top - 1e-10 * max(1, top))
      out[[length(out) + 1]] <- data.frame(
        data = name, pairs = by_pair, statistic = s, clusters = length(unique(d$cluster)),
        k = k, N = length(all), k_min = k_min,
        observed = sprintf("%.15g", observed[s]))
    }
  }
}
res <- do.call(rbind, out)
write.csv(res, "exact.csv", row.names = FALSE, quote = FALSE)
print(res)
