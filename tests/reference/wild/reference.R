# Reference values for lotta's wild cluster bootstrap (src/estimate/wild.rs), CV3 standard
# errors (src/estimate/vcov.rs) and cluster diagnostics (src/estimate/clusters.rs).
#
# Independent implementations, written from the published formulas:
# - Wild cluster bootstrap: Roodman, MacKinnon, Nielsen & Webb (2019), "Fast and wild",
#   Stata Journal 19(1); MacKinnon, Nielsen & Webb (2023), "Cluster-robust inference: a guide
#   to empirical practice", J. Econometrics 232(2). The CR1 t statistic
#   (G/(G-1)·(N-1)/(N-k)), restricted (WCR) or unrestricted (WCU) residuals, bootstrap clusters
#   = the clustering variable, p = share of |t*| > |t| (two-sided symmetric, as boottest and
#   fwildclusterboot's `mean(abs(t_stat) < abs(t_boot))`), ties |t*| = |t| (1e-9 relative plus absolute)
#   not counted; Rademacher weights with 2^G <= B: all 2^G sign vectors, identity included.
#   `naive_*` refits the bootstrap regression for every draw (lm.fit, the sandwich by hand);
#   `fast_*` is the closed form of every draw's t*(beta0) in the null value, vectorized over the
#   draws, used for the Monte Carlo runs (B = 99,999) and the test inversion. The script checks
#   that both agree on the enumerated cases. fwildclusterboot is not installable for R 4.2 here;
#   Python's wildboottest cross-checks the enumerated p-values (cross_check.py).
# - Confidence interval: {beta0 : p(beta0) > alpha}, each end by the search lotta documents in
#   `WildBootstrap::interval`: from the estimate, step outward by the CR1 Wald half-width
#   qt(1 - alpha/2, G - 1)·se, doubling until p <= alpha, then bisect to 1e-8·se.
# - CV3 = (G-1)/G Σ_g (b_(g) - b)(b_(g) - b)' by refitting without each cluster (MNW 2023,
#   summclust), checked against clubSandwich's CR3 and sandwich::vcovCL(type = "HC3"): CR3 and
#   vcovCL's HC3 (with its default cadjust) equal the jackknife sum Σ_g (b_(g) - b)(b_(g) - b)';
#   CV3 = (G-1)/G times it = vcovCL(type = "HC3", cadjust = FALSE).
# - Cluster diagnostics (MacKinnon, Nielsen & Webb 2023b, summclust): size, leverage
#   tr(X_g (X'X)^-1 X_g'), partial leverage of z (share of the residualized z'z in cluster g),
#   b_(g); G*(rho) = G / (1 + Γ) with Γ = mean((γ_g - mean γ)^2) / mean(γ)^2 and
#   γ_g = a' X_g' Ω_g(rho) X_g a, a = (X'X)^-1 e_z (Carter, Schnepel & Steigerwald 2017).
#
# Run from this folder: Rscript reference.R  (writes data_g8.csv, data_g6.csv, data_g5.csv,
# wild.csv, cv3.csv, diagnostics.csv, gstar.csv).

suppressPackageStartupMessages({
  library(sandwich)
  library(clubSandwich)
})
options(digits = 17)
source("wild.R")  # the bootstrap itself (also used by benches/wild.sh)

make_data <- function(G, sizes, treated, effect, seed) {
  set.seed(seed)
  cl <- rep(sprintf("m%02d", seq_len(G)), sizes)
  z <- rep(as.integer(seq_len(G) %in% treated), sizes)
  x <- round(rnorm(length(cl)), 3)
  u_cluster <- rep(rnorm(G, sd = 0.5), sizes)
  y <- round(1 + effect * z + 0.5 * x + u_cluster + rnorm(length(cl)), 3)
  data.frame(id = seq_along(cl), cluster = cl, z = z, x = x, y = y)
}

datasets <- list(
  g8 = make_data(8, c(12, 15, 9, 20, 11, 14, 16, 10), c(1, 3, 6, 8), 0.4, 8),
  g6 = make_data(6, c(14, 9, 18, 12, 10, 15), c(2, 3, 5), 0.2, 6),
  g5 = make_data(5, c(10, 25, 12, 8, 14), c(2, 4), 0.1, 5)
)
for (name in names(datasets)) {
  write.csv(datasets[[name]], sprintf("data_%s.csv", name), row.names = FALSE, quote = FALSE)
}

# The design of each estimator, z in column 2.
design <- function(d, estimator) {
  if (estimator == "ols") {
    cbind(1, z = d$z, x = d$x)
  } else { # lin: z, centred x, z × centred x
    xc <- d$x - mean(d$x)
    cbind(1, z = d$z, x_c = xc, zx = d$z * xc)
  }
}

 1) / 2)
    },
    normal = rnorm(n))
  matrix(v, G, B)
}

wild_rows <- list()
add <- function(...) wild_rows[[length(wild_rows) + 1]] <<- data.frame(...)
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (estimator in c("ols", "lin")) {
    X <- design(d, estimator); j <- 2
    G <- length(unique(d$cluster))
    V <- sign_vectors(G)
    for (null in c("impose", "free")) {
      impose <- null == "impose"
      s <- fast_setup(X, d$y, d$cluster, j, V, impose)
      nv <- naive_t(X, d$y, d$cluster, j, 0, V, impose)
      p_naive <- p_of(nv$t, nv$tstar)
      p_fast <- fast_p(s, 0)
      stopifnot(p_naive == p_fast)
      ci <- invert(function(b0) fast_p(s, b0), s$coef, s$se, G)
      # The naive bootstrap rejects exactly outside the fast interval's ends.
      for (side in 1:2) {
        inner <- s$coef + (ci[side] - s$coef) * (1 - 1e-6)
        outer <- s$coef + (ci[side] - s$coef) * (1 + 1e-6)
        pin <- { r <- naive_t(X, d$y, d$cluster, j, inner, V, impose); p_of(r$t, r$tstar) }
        pout <- { r <- naive_t(X, d$y, d$cluster, j, outer, V, impose); p_of(r$t, r$tstar) }
        stopifnot(pin > 0.05, pout <= 0.05)
      }
      # Ties counted (|t*| >= |t|): what an implementation gets when rounding lets the identity
      # draw and its negation count (for cross_check.py).
      p_ties <- sum(abs(nv$tstar) >= abs(nv$t) * (1 - TIE)) / length(nv$tstar)
      add(data = name, estimator = estimator, weights = "rademacher", null = null,
          draws = 2^G, enumerated = TRUE, estimate = s$coef, se_cr1 = s$se,
          p_value = p_fast, conf_low = ci[1], conf_high = ci[2], p_value_with_ties = p_ties)
    }
  }
}

# Monte Carlo: Webb, Mammen and normal weights with B = 99,999 on the 8-cluster data (WCR), and
# the Monte Carlo spread of the p-value (sd over 20 independent runs of R's generator, which
# sets the test's tolerance).
B <- 99999
d <- datasets$g8
for (estimator in c("ols", "lin")) {
  X <- design(d, estimator); G <- 8
  for (kind in c("webb", "mammen", "normal")) {
    set.seed(2019)
    s <- fast_setup(X, d$y, d$cluster, 2, random_weights(kind, G, B), TRUE)
    p <- fast_p(s, 0)
    ci <- invert(function(b0) fast_p(s, b0), s$coef, s$se, G)
    add(data = "g8", estimator = estimator, weights = kind, null = "impose",
        draws = B, enumerated = FALSE, estimate = s$coef, se_cr1 = s$se,
        p_value = p, conf_low = ci[1], conf_high = ci[2], p_value_with_ties = NA)
  }
}
# The Monte Carlo spread (sd over 10 independent runs) of the p-value and the interval's ends
# with B = 99,999 Webb, Mammen and normal draws, for the tolerance of the comparison with lotta's own
# draws (tests/wild_reference.rs allows 4 sd of the difference of two independent runs).
spread <- list()
for (kind in c("webb", "mammen", "normal")) {
  X <- design(d, "ols")
  runs <- t(sapply(1:10, function(r) {
    set.seed(100 + r)
    s <- fast_setup(X, d$y, d$cluster, 2, random_weights(kind, 8, B), TRUE)
    c(fast_p(s, 0), invert(function(b0) fast_p(s, b0), s$coef, s$se, 8))
  }))
  spread[[kind]] <- data.frame(weights = kind, sd_p_value = sd(runs[, 1]),
                               sd_conf_low = sd(runs[, 2]), sd_conf_high = sd(runs[, 3]))
}
write.csv(do.call(rbind, spread), "mc_spread.csv", row.names = FALSE, quote = FALSE)

wild <- do.call(rbind, wild_rows)
write.csv(wild, "wild.csv", row.names = FALSE, quote = FALSE)

# CV3, diagnostics and G*.
cv3_rows <- list(); diag_rows <- list(); gstar_rows <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (estimator in c("ols", "lin")) {
    X <- design(d, estimator); j <- 2
    fit <- lm.fit(X, d$y); b <- fit$coefficients
    groups <- split(seq_len(nrow(X)), d$cluster)
    G <- length(groups)
    shifts <- sapply(groups, function(r) lm.fit(X[-r, , drop = FALSE], d$y[-r])$coefficients - b)
    cv3 <- (G - 1) / G * shifts %*% t(shifts)
    m <- lm(d$y ~ X - 1)
    cr3 <- as.matrix(vcovCR(m, cluster = d$cluster, type = "CR3"))
    hc3 <- vcovCL(m, cluster = d$cluster, type = "HC3", cadjust = FALSE)
    hc3_adj <- vcovCL(m, cluster = d$cluster, type = "HC3")
    # CR3 and vcovCL's default HC3 are the jackknife sum itself; vcovCL without its cluster
    # adjustment G/(G-1) is CV3.
    stopifnot(max(abs(cv3 - (G - 1) / G * cr3)) < 1e-12,
              max(abs(cv3 - hc3)) < 1e-12,
              max(abs(cv3 - (G - 1) / G * hc3_adj)) < 1e-12)
    cv3_rows[[length(cv3_rows) + 1]] <- data.frame(
      data = name, estimator = estimator, estimate = unname(b[j]),
      std_error = sqrt(cv3[j, j]), df = G - 1,
      clubsandwich_cr3 = sqrt(cr3[j, j]), vcovcl_hc3 = sqrt(hc3_adj[j, j]))
    A <- solve(crossprod(X)); a <- A[, j]
    gamma0 <- sapply(groups, function(r) { v <- X[r, , drop = FALSE] %*% a; sum(v^2) })
    gamma1 <- sapply(groups, function(r) { v <- X[r, , drop = FALSE] %*% a; sum(v)^2 })
    gstar <- function(g) length(g) / (1 + mean((g - mean(g))^2) / mean(g)^2)
    for (i in seq_along(groups)) {
      r <- groups[[i]]; Xg <- X[r, , drop = FALSE]
      diag_rows[[length(diag_rows) + 1]] <- data.frame(
        data = name, estimator = estimator, cluster = names(groups)[i], n = length(r),
        leverage = sum(diag(Xg %*% A %*% t(Xg))),
        partial_leverage = gamma0[i] / A[j, j],
        estimate_without = unname(b[j] + shifts[j, i]))
    }
    gstar_rows[[length(gstar_rows) + 1]] <- data.frame(
      data = name, estimator = estimator, effective_clusters_0 = gstar(gamma0),
      effective_clusters_1 = gstar(gamma1))
  }
}
write.csv(do.call(rbind, cv3_rows), "cv3.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, diag_rows), "diagnostics.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, gstar_rows), "gstar.csv", row.names = FALSE, quote = FALSE)
print(wild)
