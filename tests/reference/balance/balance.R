# Reference values for lotta's balance table (src/balance.rs), computed with base R 4.2.
# Run from this folder: Rscript balance.R  → writes data.csv, expected_rows.csv, expected_joint.csv.
# p-values: t.test(var.equal = TRUE) (= OLS of the covariate on an arm dummy, classical SE,
# iebaltab's default); joint test: summary(lm(d ~ covariates))$fstatistic on complete cases.
set.seed(20240601)
n <- 150
d <- data.frame(
  id = sprintf("u%03d", 1:n),
  arm = sample(c("md1", "md1", "plus", "standard"), n, TRUE),
  gender = sample(c("F", "M"), n, TRUE),
  age = round(rnorm(n, 38, 11), 1),
  edu = sample(c("primary", "secondary", "tertiary"), n, TRUE, prob = c(.3, .5, .2)),
  months = rpois(n, 20),
  stringsAsFactors = FALSE
)
d$age[c(3, 17, 40)] <- NA
d$edu[c(5, 60)] <- ""
write.csv(d, "data.csv", row.names = FALSE, na = "")

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
      xt <- x[sub$arm == a & !is.na(x)]
      xc <- x[sub$arm == control & !is.na(x)]
      tt <- t.test(xt, xc, var.equal = TRUE)
      rows[[length(rows) + 1]] <- data.frame(
        subgroup = g, covariate = v[[1]], level = v[[2]], arm = a,
        n_arm = length(xt), mean_arm = mean(xt), sd_arm = sd(xt),
        n_control = length(xc), mean_control = mean(xc), sd_control = sd(xc),
        difference = mean(xt) - mean(xc),
        smd = (mean(xt) - mean(xc)) / sqrt((var(xt) + var(xc)) / 2),
        p_value = tt$p.value
      )
    }
    cc <- sub[!is.na(sub$age) & sub$edu != "", ]
    cc$treat <- as.numeric(cc$arm == a)
    fs <- summary(lm(treat ~ age + factor(edu) + months, data = cc))$fstatistic
    joint[[length(joint) + 1]] <- data.frame(
      subgroup = g, arm = a, n = nrow(cc), f_statistic = unname(fs[1]),
      df1 = unname(fs[2]), df2 = unname(fs[3]),
      p_value = pf(fs[1], fs[2], fs[3], lower.tail = FALSE)
    )
  }
}
full <- function(df) {  # numbers with 17 significant digits (round-trip), NA as empty
  for (j in seq_along(df)) if (is.numeric(df[[j]])) df[[j]] <- sprintf("%.17g", df[[j]])
  df
}
write.csv(full(do.call(rbind, rows)), "expected_rows.csv", row.names = FALSE, na = "")
write.csv(full(do.call(rbind, joint)), "expected_joint.csv", row.names = FALSE, na = "")
