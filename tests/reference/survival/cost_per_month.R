# Reference values for the cost per additional month with a job (src/cea/months.rs): ΔC over
# ΔM = −(RMST₁ − RMST₀)/30.4375, with the delta-method SE and Fieller's interval. Run from the
# repository root:  Rscript tests/reference/survival/cost_per_month.R
# Writes d_costs.csv (the data) and cost_per_month.csv (expected values, 17 significant digits).
#
# Every part is computed here independently of lotta:
# - RMST and its variance: survRM2's rmst1 (re-implemented from survRM2 1.0-4's published
#   source, as in survival.R), cross-checked against survival's print(survfit, rmean = tau);
# - the covariance of the mean cost and the RMST in an arm: Σ ψᵢ φᵢ with ψᵢ = (cᵢ − c̄)/n and
#   φᵢ the influence of person i on the Kaplan–Meier integral written as the integral of the
#   influence of S(t) (Andersen, Borgan, Gill & Keiding 1993, §IV.3, with Greenwood's
#   denominators): φᵢ = ∫₀^τ IFᵢ(S(t)) dt, IFᵢ(S(t)) = −S(t)[δᵢ1(Tᵢ ≤ t)/(n(Tᵢ) − d(Tᵢ)) −
#   Σ_{t_j ≤ min(Tᵢ,t)} d_j/(n_j(n_j − d_j))], integrated numerically on the step function;
#   cross-checked against the jackknife covariance (agreement to a few percent);
# - ratio, delta-method SE (Glick et al. 2014, eq. 7.4) and Fieller's roots (Willan & O'Brien
#   1996, eq. 4) written out below.
suppressPackageStartupMessages(library(survival))
out <- "tests/reference/survival"
options(digits = 17)
z95 <- qnorm(0.975)
D <- 30.4375

set.seed(20260613)
n <- 900
arm <- ifelse(runif(n) < 2 / 3, "md1", "standard")
gender <- ifelse(runif(n) < 0.45, "F", "M")
rate <- 0.0015 * ifelse(gender == "F", 0.7, 1) * ifelse(arm == "md1", 1.6, 1)
t_job <- rexp(n, rate); t_move <- rexp(n, 0.0005)
# Whole weeks in days (ties), administrative end at 540 days.
t <- pmin(t_job, t_move, 540)
time <- pmax(7, ceiling(t / 7) * 7)
time[t >= 540] <- 540
event <- as.integer(t_job <= pmin(t_move, 540))
# Costs higher in md1 and for those who take longer (a correlation with the RMST).
cost <- round(ifelse(arm == "md1", 30000, 20000) * exp(0.3 * rnorm(n)) + 20 * pmin(time, 540))
d <- data.frame(id = sprintf("p%03d", 1:n), arm, gender, time, event, cost)
write.csv(d, file.path(out, "d_costs.csv"), row.names = FALSE, quote = FALSE)

rmst1 <- function(time, status, tau) {
  ft <- survfit(Surv(time, status) ~ 1)
  idx <- ft$time <= tau
  wk.time <- sort(c(ft$time[idx], tau))
  wk.surv <- ft$surv[idx]
  wk.n.risk <- ft$n.risk[idx]
  wk.n.event <- ft$n.event[idx]
  time.diff <- diff(c(0, wk.time))
  areas <- time.diff * c(1, wk.surv)
  rmst <- sum(areas)
  wk.var <- ifelse((wk.n.risk - wk.n.event) == 0, 0,
                   wk.n.event / (wk.n.risk * (wk.n.risk - wk.n.event)))
  wk.var <- c(wk.var, 0)
  rmst.var <- sum(cumsum(rev(areas[-1]))^2 * rev(wk.var)[-1])
  pr <- summary(ft, rmean = tau)$table
  stopifnot(isTRUE(all.equal(rmst, unname(pr["rmean"]), tolerance = 1e-12)))
  stopifnot(isTRUE(all.equal(sqrt(rmst.var), unname(pr["se(rmean)"]), tolerance = 1e-10)))
  list(rmst = rmst, var = rmst.var)
}

# φᵢ by integrating IFᵢ(S(t)) over the steps of S on [0, τ].
rmst_influence <- function(time, status, tau) {
  ft <- survfit(Surv(time, status) ~ 1)
  tj <- ft$time; nj <- ft$n.risk; dj <- ft$n.event; sj <- ft$surv
  g <- ifelse(nj > dj, dj / (nj * (nj - dj)), 0)
  grid <- sort(unique(c(0, tj[tj <= tau], tau)))
  sapply(seq_along(time), function(i) {
    total <- 0
    for (k in seq_len(length(grid) - 1)) {
      a <- grid[k]; b <- grid[k + 1]          # S and the sums are constant on [a, b)
      s <- if (any(tj <= a)) sj[max(which(tj <= a))] else 1
      upto <- tj <= min(time[i], a)
      jump <- 0
      if (status[i] == 1 && time[i] <= a) {
        j <- match(time[i], tj)
        if (nj[j] > dj[j]) jump <- 1 / (nj[j] - dj[j])
      }
      total <- total + (b - a) * (-s * (jump - sum(g[upto])))
    }
    total
  })
}

fieller <- function(dc, de, vc, ve, cv, z) {
  a <- de^2 - z^2 * ve; b <- -2 * (dc * de - z^2 * cv); c <- dc^2 - z^2 * vc
  disc <- b^2 - 4 * a * c
  if (a > 0) { r <- sort(c((-b - sqrt(disc)) / (2 * a), (-b + sqrt(disc)) / (2 * a))); c("bounded", r) }
  else if (a < 0 && disc > 0) { r <- sort(c((-b - sqrt(disc)) / (2 * a), (-b + sqrt(disc)) / (2 * a))); c("exclusive", r) }
  else c("unbounded", NA, NA)
}

rows <- list()
for (tau in c(365, 540)) for (sub in c("all", "gender=F", "gender=M")) {
  dd <- if (sub == "all") d else d[d$gender == sub(".*=", "", sub), ]
  per_arm <- lapply(c("md1", "standard"), function(a) {
    x <- dd[dd$arm == a, ]
    r <- rmst1(x$time, x$event, tau)
    phi <- rmst_influence(x$time, x$event, tau)
    stopifnot(abs(sum(phi)) < 1e-8 * r$rmst)
    psi <- (x$cost - mean(x$cost)) / nrow(x)
    # Jackknife cross-check of the covariance of the mean cost and the RMST.
    jk <- t(sapply(seq_len(nrow(x)), function(i)
      c(mean(x$cost[-i]), rmst1(x$time[-i], x$event[-i], tau)$rmst)))
    m <- nrow(x)
    cov_jack <- (m - 1) / m * sum((jk[, 1] - mean(jk[, 1])) * (jk[, 2] - mean(jk[, 2])))
    cov_if <- sum(psi * phi)
    stopifnot(abs(cov_if - cov_jack) < 0.05 * abs(cov_jack))
    list(n = m, mc = mean(x$cost), vc = var(x$cost) / m, rmst = r$rmst, vr = r$var, cov = cov_if)
  })
  p1 <- per_arm[[1]]; p0 <- per_arm[[2]]
  dc <- p1$mc - p0$mc; dm <- -(p1$rmst - p0$rmst) / D
  vc <- p1$vc + p0$vc; vm <- (p1$vr + p0$vr) / D^2; cv <- -(p1$cov + p0$cov) / D
  r <- dc / dm
  se <- sqrt((vc - 2 * r * cv + r^2 * vm) / dm^2)
  f <- fieller(dc, dm, vc, vm, cv, z95)
  rows[[length(rows) + 1]] <- data.frame(tau = tau, subgroup = sub, n_treated = p1$n,
    n_control = p0$n, rmst_treated = p1$rmst, rmst_control = p0$rmst, delta_cost = dc,
    var_cost = vc, delta_months = dm, var_months = vm, covariance = cv, ratio = r, ratio_se = se,
    delta_low = r - z95 * se, delta_high = r + z95 * se, fieller_shape = f[1],
    fieller_low = as.numeric(f[2]), fieller_high = as.numeric(f[3]))
}
res <- do.call(rbind, rows)
res[] <- lapply(res, function(x) if (is.numeric(x)) sprintf("%.17g", x) else x)
write.csv(res, file.path(out, "cost_per_month.csv"), row.names = FALSE, quote = FALSE)
cat("wrote", nrow(res), "rows\n")
