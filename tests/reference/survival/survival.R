# Reference values for `lotta survival` (src/survival/, src/ops/survival.rs), computed with R's
# survival (survfit, survdiff, coxph) and cmprsk (cuminc, timepoints), and survRM2's RMST
# formulas. survRM2 is not packaged for this machine: its `rmst1` / `rmst2` (survRM2 1.0-4,
# Uno, Tian, Horiguchi et al., CRAN) are re-implemented below from the published source, and the
# RMST and its SE are cross-checked against survival's `print(survfit(...), rmean = tau)`.
# Run from the repository root:  Rscript tests/reference/survival/survival.R
# Writes the datasets (d_*.csv), the cases (cases.csv: the flags lotta is run with) and the
# expected tidy rows (expected.csv), values with 17 significant digits.
#
# lotta's conventions replicated here (docs/survival.md):
# - every treated arm against the control arm (the data subset to the two arms);
# - subgroups `all`, `<by>=<level>`, and `<by>=<level> - <by>=<last level>` (levels sorted),
#   the difference of the arm differences (independent subgroups: variances add);
# - one tau for every subgroup: the smallest of survRM2's default taus over the subgroups
#   analysed (`all` and each level), unless given;
# - km at each --at time within the arm's follow-up (summary.survfit, extend = FALSE);
# - logrank: estimate O − E in the arm, std_error √V, statistic χ², df 1;
# - hazard_ratio: exp(coef), std_error the robust SE of coef, z and p from it, interval
#   exp(coef ± z SE); with strata the model is stratified (strata()), with a cluster column
#   the SE is cluster-robust (cluster());
# - with --cause: km, logrank, rmst and hazard_ratio are cause-specific (other causes censor);
#   cif at each --at time from timepoints(), its interval F ± z SE; gray from cuminc's Tests.
suppressPackageStartupMessages({ library(survival); library(cmprsk) })
Sys.setlocale("LC_COLLATE", "C")
out <- "tests/reference/survival"
options(digits = 17)
z95 <- qnorm(0.975)

# ---- survRM2's rmst1 (survRM2 1.0-4, R/rmst1.R), as published ----
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
  list(rmst = rmst, se = sqrt(rmst.var))
}
# survRM2's default tau (rmst2): the four cases of R/rmst2.R, written as one rule.
tau_default <- function(time, status, arm) {
  last <- sapply(split(data.frame(time, status), arm), function(d) {
    m <- max(d$time); c(m, min(d$status[d$time == m]))
  })
  tt <- last[1, ]; ss <- last[2, ]
  if (all(ss == 1)) max(tt) else min(tt[ss == 0])
}

rows <- list()
add <- function(case, estimand, subgroup, arm, time, estimate, std_error = NA, statistic = NA,
                df = NA, p_value = NA, conf_low = NA, conf_high = NA) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, estimand = estimand, subgroup = subgroup,
    arm = arm, time = time, estimate = estimate, std_error = std_error, statistic = statistic,
    df = df, p_value = p_value, conf_low = conf_low, conf_high = conf_high)
}
contrast <- function(case, estimand, subgroup, arm, time, est, se) {
  z <- est / se
  add(case, estimand, subgroup, arm, time, est, se, z, NA, 2 * pnorm(-abs(z)),
      est - z95 * se, est + z95 * se)
}

# One group of persons (already subset to the two arms): every estimand lotta reports.
# Returns the per-time arm differences and the RMST difference (for subgroup differences).
analyse_group <- function(case, sub, d, control, treated, at, tau, strata, cluster, cause) {
  ev <- if (is.null(cause)) d$event else as.integer(d$event == cause)
  g <- as.integer(d$arm == treated)
  res <- list(km = list(), rmst = NULL, cif = list())
  km <- list()
  for (a in c(control, treated)) {
    sel <- d$arm == a
    fit <- survfit(Surv(d$time[sel], ev[sel]) ~ 1)
    s <- summary(fit, times = at, extend = FALSE)
    km[[a]] <- s
    for (k in seq_along(s$time)) {
      add(case, "km", sub, a, s$time[k], s$surv[k], s$std.err[k], conf_low = s$lower[k],
          conf_high = s$upper[k])
    }
    r <- rmst1(d$time[sel], ev[sel], tau)
    # Cross-check with survival's own restricted mean.
    pr <- summary(fit, rmean = tau)$table
    stopifnot(isTRUE(all.equal(r$rmst, unname(pr["rmean"]), tolerance = 1e-12)))
    stopifnot(isTRUE(all.equal(r$se, unname(pr["se(rmean)"]), tolerance = 1e-10)))
    add(case, "rmst", sub, a, tau, r$rmst, r$se, conf_low = r$rmst - z95 * r$se,
        conf_high = r$rmst + z95 * r$se)
    res$rmst[[a]] <- r
  }
  for (t in at) {
    k0 <- match(t, km[[control]]$time); k1 <- match(t, km[[treated]]$time)
    if (!is.na(k0) && !is.na(k1)) {
      est <- km[[treated]]$surv[k1] - km[[control]]$surv[k0]
      se <- sqrt(km[[treated]]$std.err[k1]^2 + km[[control]]$std.err[k0]^2)
      contrast(case, "km_difference", sub, treated, t, est, se)
      res$km[[as.character(t)]] <- c(est, se)
    }
  }
  r1 <- res$rmst[[treated]]; r0 <- res$rmst[[control]]
  contrast(case, "rmst_difference", sub, treated, tau, r1$rmst - r0$rmst,
           sqrt(r1$se^2 + r0$se^2))
  res$rmst_diff <- c(r1$rmst - r0$rmst, sqrt(r1$se^2 + r0$se^2))
  lr <- log(r1$rmst / r0$rmst); lse <- sqrt(r1$se^2 / r1$rmst^2 + r0$se^2 / r0$rmst^2)
  add(case, "rmst_ratio", sub, treated, tau, exp(lr), lse, lr / lse, NA,
      2 * pnorm(-abs(lr / lse)), exp(lr - z95 * lse), exp(lr + z95 * lse))
  # log-rank
  f <- if (is.null(strata)) Surv(time, ev) ~ g else Surv(time, ev) ~ g + strata(st)
  dd <- data.frame(time = d$time, ev = ev, g = g)
  if (!is.null(strata)) dd$st <- d[[strata]]
  sd <- survdiff(f, data = dd)
  oe <- if (is.matrix(sd$obs)) rowSums(sd$obs) - rowSums(sd$exp) else sd$obs - sd$exp
  add(case, "logrank", sub, treated, NA, oe[2], sqrt(sd$var[2, 2]), sd$chisq, 1,
      pchisq(sd$chisq, 1, lower.tail = FALSE))
  # Cox (robust or cluster-robust), unless an arm has no events (then lotta leaves it out).
  if (sum(ev[g == 1]) > 0 && sum(ev[g == 0]) > 0) {
    rhs <- "g"
    if (!is.null(strata)) rhs <- paste(rhs, "+ strata(st)")
    if (!is.null(cluster)) { dd$cl <- d[[cluster]]; rhs <- paste(rhs, "+ cluster(cl)") }
    ctl <- coxph.control(eps = 1e-14, iter.max = 100, toler.chol = 1e-15)
    fit <- if (is.null(cluster)) coxph(as.formula(paste("Surv(time, ev) ~", rhs)), data = dd,
                                       ties = "efron", robust = TRUE, control = ctl)
           else coxph(as.formula(paste("Surv(time, ev) ~", rhs)), data = dd, ties = "efron",
                      control = ctl)
    # R's default stopping rule (eps = 1e-9) gives the same coefficient to within 1e-10.
    fit9 <- coxph(formula(fit), data = dd, ties = "efron", robust = is.null(cluster))
    stopifnot(abs(coef(fit9) - coef(fit)) < 1e-9 * max(1, abs(coef(fit))))
    b <- unname(coef(fit)); se <- sqrt(unname(fit$var[1, 1]))
    add(case, "hazard_ratio", sub, treated, NA, exp(b), se, b / se, NA, 2 * pnorm(-abs(b / se)),
        exp(b - z95 * se), exp(b + z95 * se))
  }
  if (!is.null(cause)) {
    status <- ifelse(d$event == "0", 0, ifelse(d$event == cause, 1, 2))
    grp <- factor(d$arm, levels = c(control, treated))
    ci <- if (is.null(strata)) cuminc(d$time, status, grp)
          else cuminc(d$time, status, grp, strata = d[[strata]])
    tp <- timepoints(ci, at)
    for (a in c(control, treated)) {
      nm <- paste(a, 1)
      for (t in at) {
        e <- tp$est[nm, as.character(t)]; v <- tp$var[nm, as.character(t)]
        if (!is.na(e)) add(case, "cif", sub, a, t, e, sqrt(v), conf_low = e - z95 * sqrt(v),
                           conf_high = e + z95 * sqrt(v))
      }
    }
    for (t in at) {
      e1 <- tp$est[paste(treated, 1), as.character(t)]; e0 <- tp$est[paste(control, 1), as.character(t)]
      if (!is.na(e1) && !is.na(e0)) {
        v <- tp$var[paste(treated, 1), as.character(t)] + tp$var[paste(control, 1), as.character(t)]
        contrast(case, "cif_difference", sub, treated, t, e1 - e0, sqrt(v))
        res$cif[[as.character(t)]] <- c(e1 - e0, sqrt(v))
      }
    }
    st <- ci$Tests["1", ]
    add(case, "gray", sub, treated, NA, NA, NA, st["stat"], 1, st["pv"])
  }
  res
}

run_case <- function(case, file, control, at, by = NULL, strata = NULL, cluster = NULL,
                     cause = NULL, tau = NULL) {
  d <- read.csv(file.path(out, file), colClasses = c(event = "character", arm = "character"))
  if (is.null(cause)) d$event <- as.integer(d$event)
  arms <- sort(unique(d$arm))
  for (treated in setdiff(arms, control)) {
    dd <- d[d$arm %in% c(control, treated), ]
    ev <- if (is.null(cause)) dd$event else as.integer(dd$event == cause)
    groups <- list(all = dd)
    if (!is.null(by)) for (l in sort(unique(dd[[by]]))) groups[[paste0(by, "=", l)]] <- dd[dd[[by]] == l, ]
    tt <- tau
    if (is.null(tt)) {
      tt <- min(sapply(groups, function(x) {
        e <- if (is.null(cause)) x$event else as.integer(x$event == cause)
        tau_default(x$time, e, x$arm)
      }))
    }
    res <- lapply(names(groups), function(s) analyse_group(case, s, groups[[s]], control, treated,
                                                          at, tt, strata, cluster, cause))
    names(res) <- names(groups)
    if (!is.null(by)) {
      lv <- sort(unique(dd[[by]])); last <- paste0(by, "=", lv[length(lv)])
      for (l in lv[-length(lv)]) {
        s <- paste0(by, "=", l); lab <- paste(s, "-", last)
        for (t in as.character(at)) {
          a <- res[[s]]$km[[t]]; b <- res[[last]]$km[[t]]
          if (!is.null(a) && !is.null(b)) contrast(case, "km_difference", lab, treated, as.numeric(t),
                                                   a[1] - b[1], sqrt(a[2]^2 + b[2]^2))
          a <- res[[s]]$cif[[t]]; b <- res[[last]]$cif[[t]]
          if (!is.null(a) && !is.null(b)) contrast(case, "cif_difference", lab, treated, as.numeric(t),
                                                   a[1] - b[1], sqrt(a[2]^2 + b[2]^2))
        }
        a <- res[[s]]$rmst_diff; b <- res[[last]]$rmst_diff
        contrast(case, "rmst_difference", lab, treated, tt, a[1] - b[1], sqrt(a[2]^2 + b[2]^2))
      }
    }
  }
}

# ---- datasets ----
set.seed(20260613)
# d_monthly: 400 persons, times in whole months (heavy ties), 2:1, women and men, 8 sites in
# 4 municipalities-as-clusters of two sites; exits job / studies / moved; follow-up ends at 24.
n <- 400
arm <- sample(rep(c("md1", "md1", "standard"), length.out = n))
gender <- ifelse(runif(n) < 0.45, "F", "M")
site <- sprintf("s%d", sample(1:8, n, replace = TRUE))
muni <- paste0("m", (as.integer(substr(site, 2, 2)) + 1) %/% 2)
rate <- 0.05 * ifelse(gender == "F", 0.7, 1) * ifelse(arm == "md1", 1.3, 1)
t_job <- rexp(n, rate); t_stud <- rexp(n, 0.015); t_move <- rexp(n, 0.01); t_end <- runif(n, 12, 30)
t_all <- pmin(t_job, t_stud, t_move, t_end)
time <- pmin(ceiling(t_all), 24)
exit <- ifelse(t_all == t_job, "job", ifelse(t_all == t_stud, "studies",
               ifelse(t_all == t_move, "moved", "0")))
exit[ceiling(t_all) > 24] <- "0"
d_monthly <- data.frame(id = sprintf("p%03d", 1:n), arm, gender, site, muni, time,
                        event = as.integer(exit == "job"), exit)
write.csv(d_monthly, file.path(out, "d_monthly.csv"), row.names = FALSE, quote = FALSE)
write.csv(transform(d_monthly, event = exit, exit = NULL), file.path(out, "d_causes.csv"),
          row.names = FALSE, quote = FALSE)

# d_noevents: 3 arms; no woman in arm `b` has an event; days, some ties.
n <- 150
arm <- sample(rep(c("a", "b", "c"), length.out = n))
gender <- ifelse(runif(n) < 0.5, "F", "M")
time <- round(rexp(n, 1 / 200) + 1)
event <- rbinom(n, 1, 0.6)
event[arm == "b" & gender == "F"] <- 0
d_noevents <- data.frame(id = 1:n, arm, gender, time, event)
write.csv(d_noevents, file.path(out, "d_noevents.csv"), row.names = FALSE, quote = FALSE)

# d_late: everyone still without a job at day 300 is censored there (administrative end; many
# ties at the end), events only before; 0/1 treatment.
n <- 200
arm <- as.character(rbinom(n, 1, 0.5))
tt <- round(rexp(n, ifelse(arm == "1", 1 / 250, 1 / 400)))
event <- as.integer(tt < 300); time <- pmin(tt, 300)
d_late <- data.frame(arm, time, event)
write.csv(d_late, file.path(out, "d_late.csv"), row.names = FALSE, quote = FALSE)

# d_small: 16 persons, subgroups of 7 and 9; the last observation in one arm is an event.
d_small <- data.frame(
  arm = c("t", "c", "t", "c", "t", "t", "c", "c", "t", "c", "t", "c", "t", "c", "t", "t"),
  gender = c("F", "F", "M", "M", "F", "M", "F", "M", "M", "F", "M", "M", "F", "M", "M", "F"),
  time = c(3, 5, 5, 8, 2, 9, 4, 12, 7, 6, 11, 10, 4, 3, 14, 8),
  event = c(1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0))
write.csv(d_small, file.path(out, "d_small.csv"), row.names = FALSE, quote = FALSE)

cases <- data.frame(
  case = c("monthly", "monthly_strata_cluster", "noevents", "late", "small", "causes",
           "causes_strata"),
  file = c("d_monthly.csv", "d_monthly.csv", "d_noevents.csv", "d_late.csv", "d_small.csv",
           "d_causes.csv", "d_causes.csv"),
  control = c("standard", "standard", "c", "0", "c", "standard", "standard"),
  at = c("6;12;18;24", "6;12", "100;365", "100;299;300", "4;8;12", "6;12;24", "12"),
  by = c("gender", "", "gender", "", "gender", "gender", ""),
  strata = c("", "site", "", "", "", "", "site"),
  cluster = c("", "muni", "", "", "", "", "muni"),
  cause = c("", "", "", "", "", "job", "job"),
  tau = c("", "20", "", "", "", "", ""))
write.csv(cases, file.path(out, "cases.csv"), row.names = FALSE, quote = FALSE)
nz <- function(x) if (x == "") NULL else x
for (i in seq_len(nrow(cases))) {
  c <- cases[i, ]
  run_case(c$case, c$file, c$control, as.numeric(strsplit(c$at, ";")[[1]]), nz(c$by),
           nz(c$strata), nz(c$cluster), nz(c$cause), if (c$tau == "") NULL else as.numeric(c$tau))
}
expected <- do.call(rbind, rows)
for (col in names(expected)[5:12]) {
  x <- expected[[col]]
  expected[[col]] <- ifelse(is.na(x), "", sprintf("%.17g", x))
}
write.csv(expected, file.path(out, "expected.csv"), row.names = FALSE, quote = FALSE)
cat(nrow(expected), "expected rows\n")
