# Reference values for lotta's clustered balance table and shares (src/balance.rs,
# src/report/shares.rs), computed with R 4.2, estimatr and clubSandwich.
# Run from this folder: Rscript clustered.R → writes clustered.csv, expected_clustered_rows.csv,
# expected_clustered_joint.csv, expected_clustered_shares.csv.
# Arms are assigned by municipality (cluster). Per-covariate test: lm_robust(x ~ treat,
# clusters = municipality, se_type = "CR2") (Bell–McCaffrey df, as `lotta estimate --cluster`);
# joint test: lm(treat ~ covariates) on complete cases, clubSandwich::Wald_test(vcov = "CR2",
# test = "Naive-F"), i.e. F = W/q with F(q, G − 1); shares: lm_robust(y ~ 1, clusters, "CR2").
suppressMessages({ library(estimatr); library(clubSandwich) })
set.seed(20261129)
G <- 14
sizes <- sample(4:16, G, TRUE)
cl_arm <- sample(rep(c("md1", "plus", "standard"), c(5, 4, 5)))
municipality <- rep(sprintf("m%02d", 1:G), sizes)
n <- length(municipality)
shift <- rnorm(G, 0, 4)[rep(1:G, sizes)]
d <- data.frame(
  id = sprintf("u%03d", 1:n),
  municipality = municipality,
  arm = rep(cl_arm, sizes),
  gender = sample(c("F", "M"), n, TRUE),
  age = round(rnorm(n, 38, 11) + shift, 1),
  edu = sample(c("primary", "secondary", "tertiary"), n, TRUE, prob = c(.3, .5, .2)),
  months = rpois(n, 20),
  employed = rbinom(n, 1, plogis(shift / 4)),
  stringsAsFactors = FALSE
)
d$age[c(3, 17, 40)] <- NA
d$edu[c(5, 60)] <- ""
write.csv(d, "clustered.csv", row.names = FALSE, na = "")

arms <- c("md1", "plus")
control <- "standard"
groups <- list(all = rep(TRUE, n), "gender=F" = d$gender == "F", "gender=M" = d$gender == "M")
rows <- list()
joint <- list()
for (g in names(groups)) {
  for (a in arms) {
    sub <- d[groups[[g]] & d$arm %in% c(a, control), ]
    vars <- list(list("age", NA, sub$age), list("months", NA, sub$months))
    for (lv in sort(unique(sub$edu[sub$edu != ""]))) {
      x <- ifelse(sub$edu == "", NA, as.numeric(sub$edu == lv))
      vars[[length(vars) + 1]] <- list("edu", lv, x)
    }
    for (v in vars) {
      x <- v[[3]]
      ok <- !is.na(x)
      s <- data.frame(x = x[ok], treat = as.numeric(sub$arm[ok] == a), cl = sub$municipality[ok])
      fit <- lm_robust(x ~ treat, data = s, clusters = cl, se_type = "CR2")
      rows[[length(rows) + 1]] <- data.frame(
        subgroup = g, covariate = v[[1]], level = v[[2]], arm = a,
        n_arm = sum(s$treat == 1), n_control = sum(s$treat == 0),
        difference = unname(coef(fit)["treat"]),
        std_error = unname(fit$std.error["treat"]), df = unname(fit$df["treat"]),
        p_value = unname(fit$p.value["treat"]),
        clusters = length(unique(s$cl))
      )
    }
    cc <- sub[!is.na(sub$age) & sub$edu != "", ]
    cc$treat <- as.numeric(cc$arm == a)
    m <- lm(treat ~ age + factor(edu) + months, data = cc)
    q <- length(coef(m)) - 1
    w <- Wald_test(m, constraints = constrain_zero(2:(q + 1)), vcov = "CR2",
                   cluster = cc$municipality, test = "Naive-F")
    joint[[length(joint) + 1]] <- data.frame(
      subgroup = g, arm = a, n = nrow(cc), f_statistic = w$Fstat,
      df1 = w$df_num, df2 = w$df_denom, p_value = w$p_val,
      clusters = length(unique(cc$municipality))
    )
  }
}
shares <- list()
for (a in c(arms, control)) {
  s <- d[d$arm == a, ]
  fit <- lm_robust(employed ~ 1, data = s, clusters = municipality, se_type = "CR2")
  shares[[length(shares) + 1]] <- data.frame(
    arm = a, n = nrow(s), share = unname(coef(fit)), std_error = unname(fit$std.error),
    df = unname(fit$df), conf_low = unname(fit$conf.low), conf_high = unname(fit$conf.high)
  )
}
full <- function(df) {  # numbers with 17 significant digits (round-trip), NA as empty
  for (j in seq_along(df)) if (is.numeric(df[[j]])) df[[j]] <- sprintf("%.17g", df[[j]])
  df
}
write.csv(full(do.call(rbind, rows)), "expected_clustered_rows.csv", row.names = FALSE, na = "")
write.csv(full(do.call(rbind, joint)), "expected_clustered_joint.csv", row.names = FALSE, na = "")
write.csv(full(do.call(rbind, shares)), "expected_clustered_shares.csv", row.names = FALSE, na = "")
