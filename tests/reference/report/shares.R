# Reference values for lotta's share-by-arm table (src/report/shares.rs): the mean of a 0/1
# outcome with the standard error of lm_robust(y ~ 1) (HC2, equal to sd/sqrt(n)) and the
# t-interval with n - 1 df, as t.test(y) reports. Run: Rscript shares.R > shares.csv
suppressMessages(library(estimatr))
y1 <- c(1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1)
y2 <- c(0, 0, 0, 1, 0, 0, 0)
y3 <- c(0.5, 2.25, 3, 4.75, 1, 0)
out <- data.frame()
for (nm in c("y1", "y2", "y3")) {
  y <- get(nm)
  fit <- lm_robust(y ~ 1, se_type = "HC2")
  tt <- t.test(y)
  out <- rbind(out, data.frame(case = nm, n = length(y), mean = unname(coef(fit)),
    std_error = unname(fit$std.error), df = unname(fit$df), conf_low = fit$conf.low,
    conf_high = fit$conf.high, t_low = tt$conf.int[1], t_high = tt$conf.int[2]))
}
write.csv(out, stdout(), row.names = FALSE)
