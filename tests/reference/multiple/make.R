# Reference values for issue 15's multiple testing: Romano–Wolf step-down and Westfall–Young
# free step-down minP p-values on the randomization draws lotta made, and Anderson's (2008)
# sharpened q-values (exactly, and by Anderson's published 0.001-grid procedure).
#
# Run from the repository root, in three steps:
#   Rscript tests/reference/multiple/make.R data        # writes d_mult.csv (the data)
#   LOTTA_WRITE_REFERENCE=1 cargo test --test multiple_reference
#                                                      # lotta writes the draws it uses:
#                                                      # draws_<case>_<family>.csv (one row per
#                                                      # draw, one column per hypothesis, the
#                                                      # standardized statistic t* of the draw)
#                                                      # and observed_<case>_<family>.csv
#   Rscript tests/reference/multiple/make.R expected    # writes expected.csv from those files
#
# The draw files are inputs here, not results: what is compared is what R computes from them,
# written independently of lotta from the published algorithms:
#  - Romano & Wolf (2005, Econometrica 73:1237-1282; 2016, Stat. Probab. Lett. 113:38-40), as in
#    Clarke, Romano & Wolf (2020, Stata Journal 20:812-843, `rwolf`): hypotheses ordered by |t|
#    from the largest; p_(k) = #{r : max_{j >= k} |t*_r(j)| >= |t_(k)|} / R, made monotone with a
#    running maximum. The draws are randomization draws under the sharp null, so not centred.
#  - Westfall & Young (1993, Resampling-Based Multiple Testing, Algorithm 2.8, free step-down
#    minP): raw p_j = #{r : |t*_rj| >= |t_j|} / R; each draw's own p*_rj = #{r' : |t*_r'j| >=
#    |t*_rj|} / R; ordered by raw p from the smallest, successive minima q*_r(k) =
#    min_{j >= k} p*_r(j); p~_(k) = #{r : q*_r(k) <= p_(k)} / R, made monotone.
#  - "at least as extreme" is lotta's and ri2's tie rule: |t*| >= |t| - 1e-10 * max(1, |t|).
#  - Anderson (2008, JASA 103:1481-1495), sharpened q-values from the two-stage procedure of
#    Benjamini, Krieger & Yekutieli (2006, Biometrika 93:491-507): q_grid is a line-by-line port
#    of Anderson's Stata code (fdr_sharpened_qvalues.do: q from 1 down by 0.001, the last q at
#    which the hypothesis is rejected); q_exact evaluates the same procedure at every level where
#    its outcome can change (q1 = q/(1+q) in {a_j} and {a_i (m-k)/m}, a_j the BH-adjusted p of
#    rank j without the cap) and takes the smallest that rejects.
options(digits = 17)
out <- "tests/reference/multiple"
step <- commandArgs(trailingOnly = TRUE)[1]

if (identical(step, "data")) {
  set.seed(20261129)
  n <- 240
  gender <- ifelse(runif(n) < 0.45, "F", "M")
  x <- round(rnorm(n), 3)
  z <- sample(rep(0:1, n / 2))
  f <- gender == "F"
  # Effects that differ by horizon and gender (some null), binary outcomes and earnings.
  p90 <- plogis(-1.2 + 0.3 * x + ifelse(f, 0.0, 0.35) * z)
  p180 <- plogis(-0.6 + 0.3 * x + ifelse(f, 0.25, 0.5) * z)
  p540 <- plogis(-0.2 + 0.3 * x + ifelse(f, 0.45, 0.55) * z)
  d <- data.frame(
    id = sprintf("p%03d", 1:n), gender = gender, x = x, z = z,
    y_90 = rbinom(n, 1, p90), y_180 = rbinom(n, 1, p180), y_540 = rbinom(n, 1, p540),
    earnings = round(12000 + 3000 * x + 1500 * z + rnorm(n, 0, 8000))
  )
  write.csv(d, file.path(out, "d_mult.csv"), row.names = FALSE)
  quit(save = "no")
}
stopifnot(identical(step, "expected"))

extreme_threshold <- function(o) { o <- abs(o); o - 1e-10 * pmax(1, o) }

romano_wolf <- function(t, D) {
  m <- length(t); R <- nrow(D)
  ord <- order(-abs(t))                 # largest |t| first (ties: input order; no effect)
  counts <- integer(m)
  for (k in seq_len(m)) {
    maxt <- apply(abs(D[, ord[k:m], drop = FALSE]), 1, max)
    counts[k] <- sum(maxt >= extreme_threshold(t[ord[k]]))
  }
  counts <- cummax(counts)
  p <- numeric(m); p[ord] <- counts / R
  p
}

westfall_young <- function(t, D) {
  m <- length(t); R <- nrow(D)
  A <- abs(D)
  raw <- sapply(seq_len(m), function(j) sum(A[, j] >= extreme_threshold(t[j])))
  own <- sapply(seq_len(m), function(j) sapply(A[, j], function(v) sum(A[, j] >= extreme_threshold(v))))
  own <- matrix(own, nrow = R)
  ord <- order(raw)                     # smallest raw p first
  counts <- integer(m)
  minq <- rep(.Machine$integer.max, R)
  for (k in m:1) {
    minq <- pmin(minq, own[, ord[k]])
    counts[k] <- sum(minq <= raw[ord[k]])
  }
  counts <- cummax(counts)
  p <- numeric(m); p[ord] <- counts / R
  p
}

# The two-stage procedure at level q1 = q/(1+q): how many of the sorted p-values it rejects.
# `slack` admits a comparison that rounding puts one ulp on the wrong side of a boundary.
rejected_two_stage <- function(ps, q1, slack = 1 + 1e-12) {
  m <- length(ps)
  bh <- function(c) { r <- which(ps <= c * seq_len(m) / m * slack); if (length(r)) max(r) else 0 }
  r1 <- bh(q1)
  if (r1 == m) return(m)
  bh(q1 * m / (m - r1))
}

anderson_exact <- function(p) {
  q <- rep(NA_real_, length(p)); ok <- !is.na(p)
  ps <- sort(p[ok]); m <- length(ps); if (m == 0) return(q)
  a <- rev(cummin(rev(m * ps / seq_len(m))))
  cands <- sort(unique(c(a, as.vector(outer(a, (m - 0:m) / m)))))
  cands <- cands[cands > 0]
  qs <- sapply(seq_len(m), function(i) {
    hit <- cands[sapply(cands, function(c) rejected_two_stage(ps, c) >= i)]
    if (!length(hit)) return(1)
    q1 <- min(hit); if (q1 >= 1) 1 else min(1, q1 / (1 - q1))
  })
  rank <- match(p[ok], ps)              # tied p-values share the smallest rank's q (equal)
  q[ok] <- qs[rank]
  q
}

# Anderson's Stata code, line by line (rank by sorted order; q from 1 down by 0.001).
anderson_grid <- function(p) {
  q <- rep(NA_real_, length(p)); ok <- which(!is.na(p))
  ord <- ok[order(p[ok])]; m <- length(ord); rank <- integer(length(p)); rank[ord] <- seq_len(m)
  bky <- rep(1, length(p)); bky[-ok] <- NA
  qval <- 1
  while (qval > 0) {
    qval_adj <- qval / (1 + qval)
    reject1 <- (qval_adj * rank / m >= p) & !is.na(p)
    total1 <- max(c(0, rank[reject1]))
    qval_2st <- if (m - total1 == 0) Inf else qval_adj * (m / (m - total1))
    reject2 <- (qval_2st * rank / m >= p) & !is.na(p)
    total2 <- max(c(0, rank[reject2]))
    bky[!is.na(p) & rank <= total2] <- qval
    qval <- qval - 0.001
  }
  bky
}

rows <- list()
for (f in list.files(out, pattern = "^observed_.*\\.csv$")) {
  key <- sub("^observed_(.*)\\.csv$", "\\1", f)
  obs <- read.csv(file.path(out, f), colClasses = c(hypothesis = "character", outcome = "character", subgroup = "character"))
  D <- as.matrix(read.csv(file.path(out, paste0("draws_", key, ".csv"))))
  stopifnot(ncol(D) == nrow(obs))
  rows[[key]] <- data.frame(
    case = key, outcome = obs$outcome, subgroup = obs$subgroup,
    romano_wolf = romano_wolf(obs$t, D),
    westfall_young = westfall_young(obs$t, D),
    anderson_exact = anderson_exact(obs$p_value),
    anderson_grid = anderson_grid(obs$p_value)
  )
}
expected <- do.call(rbind, rows)
write.csv(expected, file.path(out, "expected.csv"), row.names = FALSE)

# Anderson's q on fixed p-values (ties, NaN, all rejected, none rejected), for the unit check.
fixed <- list(
  a = c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216),
  b = c(0.01, 0.01, 0.02, NA, 0.5, 0.03),
  c = c(0.0001, 0.0002, 0.0003),
  d = c(0.6, 0.7, 0.95),
  e = c(0.04)
)
an <- do.call(rbind, lapply(names(fixed), function(k) data.frame(
  set = k, index = seq_along(fixed[[k]]), p_value = fixed[[k]],
  anderson_exact = anderson_exact(fixed[[k]]), anderson_grid = anderson_grid(fixed[[k]]))))
write.csv(an, file.path(out, "anderson.csv"), row.names = FALSE)
