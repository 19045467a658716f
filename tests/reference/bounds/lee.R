# Reference values for src/estimate/bounds.rs (issue 15, attrition bounds): Lee (2009) trimming
# bounds, tightened within cells, with Imbens & Manski (2004) intervals, implemented here
# independently of lotta from the published formulas.
#
# - Lee, D. S. (2009). Training, wages, and sample selection: estimating sharp bounds on
#   treatment effects. Review of Economic Studies 76(3), 1071-1102. Proposition 1a (the bounds),
#   Proposition 3 (asymptotic variance), section 3.3 (tightening with a discrete covariate: the
#   cell bounds averaged with the always-observed's distribution over cells).
# - Imbens, G. W. & Manski, C. F. (2004). Confidence intervals for partially identified
#   parameters. Econometrica 72(6), 1845-1857: c solves pnorm(c + (UB - LB)/max(se)) - pnorm(-c)
#   = level (uniroot here; lotta bisects).
# - Ties: the trimmed mean keeps exactly (1 - p) m observations, the boundary one with a
#   fractional weight (computed here from order statistics: floor(k) whole values plus the
#   fraction of the next).
# - Standard errors: the delta method, conditional on the numbers assigned per arm and cell,
#   written out below term by term (docs/bounds.md derives it); with one cell it is Lee's
#   Proposition 3. A Monte Carlo check of the SEs (Rscript lee.R --check) draws 2,000 trials from
#   the fixture's data-generating process and compares the SD of the bounds with the mean SE.
# Run from the repository root: Rscript tests/reference/bounds/lee.R
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)

make_data <- function(n, seed) {
  set.seed(seed)
  site <- sample(c("north", "middle", "south"), n, replace = TRUE)
  gender <- sample(c("F", "M"), n, replace = TRUE, prob = c(0.45, 0.55))
  arm <- ifelse(runif(n) < 2 / 3, "md1", "standard")
  treated <- arm == "md1"
  # Employment: the offer only ever helps (monotone); earnings among the employed, whole 100 SEK
  # (ties), the offer raising them by about 1,000 SEK.
  base <- 0.35 + 0.10 * (gender == "M") + 0.05 * (site == "south")
  u <- runif(n)
  employed <- as.integer(u < base + 0.08 * treated)
  earnings <- ifelse(employed == 1,
                     round(exp(rnorm(n, log(18000) + 0.1 * (gender == "M"), 0.35)) / 100) * 100 +
                       1000 * treated, NA)
  # A survey answer (0/1) with non-response, answered less often in the offered arm.
  answered <- runif(n) < 0.85 - 0.07 * treated
  satisfied <- ifelse(answered, as.integer(runif(n) < 0.55 + 0.05 * treated), NA)
  data.frame(person_id = sprintf("P%04d", seq_len(n)), site, gender, arm,
             employed, earnings, satisfied, stringsAsFactors = FALSE)
}

trimmed_mean <- function(v, keep, from_top) {
  v <- sort(v, decreasing = from_top)
  m <- length(v); k <- keep * m; whole <- floor(k + 1e-12); frac <- k - whole
  w <- c(rep(1, min(whole, m)), if (whole < m && frac > 1e-12) frac else numeric(0))
  x <- v[seq_along(w)]
  mu <- sum(w * x) / k
  list(mean = mu, var = sum(w * (x - mu)^2) / k, boundary = x[length(x)])
}

lee <- function(y, s, d, cell, level = 0.95) {
  n <- c(sum(!d), sum(d)); m <- c(sum(s & !d), sum(s & d))
  q <- m / n
  t <- if (q[2] >= q[1]) 2 else 1; o <- 3 - t
  share <- 1 - q[o] / q[t]
  arm_is <- function(a) if (a == 2) d else !d
  m_other <- m[o]
  cells <- sort(unique(cell))
  pieces <- list()
  for (x in cells) {
    in_x <- cell == x
    vt <- y[in_x & s & arm_is(t)]; vo <- y[in_x & s & arm_is(o)]
    if (length(vo) == 0) next
    if (length(vt) == 0) stop("cell without the trimmed arm")
    qt <- length(vt) / sum(in_x & arm_is(t)); qo <- length(vo) / sum(in_x & arm_is(o))
    p <- max(0, 1 - qo / qt)
    pieces[[length(pieces) + 1]] <- list(w = length(vo) / m_other, p = p, clipped = 1 - qo / qt < 0,
      mt = length(vt), mo = length(vo), qt = qt, qo = qo,
      omean = mean(vo), ovar = mean((vo - mean(vo))^2),
      bottom = trimmed_mean(vt, 1 - p, FALSE), top = trimmed_mean(vt, 1 - p, TRUE))
  }
  bound <- function(which) {
    D <- sum(sapply(pieces, function(P) P$w * (P[[which]]$mean - P$omean)))
    V <- 0
    for (P in pieces) {
      tm <- P[[which]]; keep <- 1 - P$p
      V <- V + P$w^2 * ((tm$var + P$p * (tm$boundary - tm$mean)^2) / (keep * P$mt) + P$ovar / P$mo)
      g <- if (P$clipped) 0 else (tm$mean - tm$boundary) / keep
      dmo <- ((tm$mean - P$omean) - D) / m_other - P$w * g * keep / P$mo
      dmt <- P$w * g * keep / P$mt
      V <- V + dmo^2 * P$mo * (1 - P$qo) + dmt^2 * P$mt * (1 - P$qt)
    }
    c(D, sqrt(V))
  }
  b <- bound("bottom"); tp <- bound("top")
  if (t == 2) { lo <- b; up <- tp } else { lo <- c(-tp[1], tp[2]); up <- c(-b[1], b[2]) }
  sig <- max(lo[2], up[2]); width <- up[1] - lo[1]
  z <- qnorm(0.5 + level / 2)
  crit <- if (width <= 0) z else uniroot(function(c) pnorm(c + width / sig) - pnorm(-c) - level,
                                         c(0, z), tol = 1e-15)$root
  list(trimmed = if (t == 2) "treated" else "control", trim_share = share,
       n_control = n[1], n_treated = n[2], observed_control = m[1], observed_treated = m[2],
       lower = lo[1], upper = up[1], se_lower = lo[2], se_upper = up[2],
       critical = crit, conf_low = lo[1] - crit * lo[2], conf_high = up[1] + crit * up[2],
       n_cells = length(pieces), cells_not_trimmed = sum(sapply(pieces, `[[`, "clipped")))
}

data <- make_data(900, 20261129)
cases <- list(
  list(outcome = "earnings", observed_when = "employed", cells = character(0)),
  list(outcome = "earnings", observed_when = "employed", cells = c("site", "gender")),
  list(outcome = "satisfied", observed_when = "", cells = character(0)),
  list(outcome = "satisfied", observed_when = "", cells = c("site", "gender"))
)
out <- lapply(cases, function(k) {
  s <- if (nzchar(k$observed_when)) data[[k$observed_when]] == 1 else !is.na(data[[k$outcome]])
  y <- ifelse(s, data[[k$outcome]], 0)
  cell <- if (length(k$cells)) as.integer(factor(do.call(paste, data[k$cells]))) else rep(1L, nrow(data))
  c(k, lee(y, s, data$arm == "md1", cell))
})

if ("--check" %in% args) {
  # Monte Carlo: SD of the bound estimates over simulated trials vs the mean analytic SE.
  reps <- t(sapply(1:2000, function(r) {
    d <- make_data(900, 1000 + r); s <- d$employed == 1; y <- ifelse(s, d$earnings, 0)
    cell <- as.integer(factor(paste(d$site, d$gender)))
    a <- lee(y, s, d$arm == "md1", rep(1L, 900)); b <- lee(y, s, d$arm == "md1", cell)
    c(a$lower, a$se_lower, a$upper, a$se_upper, b$lower, b$se_lower, b$upper, b$se_upper)
  }))
  cat(sprintf("plain lower: SD %.1f, mean SE %.1f; upper: SD %.1f, mean SE %.1f\n",
              sd(reps[, 1]), mean(reps[, 2]), sd(reps[, 3]), mean(reps[, 4])))
  cat(sprintf("cells lower: SD %.1f, mean SE %.1f; upper: SD %.1f, mean SE %.1f\n",
              sd(reps[, 5]), mean(reps[, 6]), sd(reps[, 7]), mean(reps[, 8])))
}

write.csv(data, "tests/reference/bounds/data.csv", row.names = FALSE, na = "")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/bounds/expected.json")
