# The differential-attrition test of `estimate --attrition` (src/estimate/missing.rs,
# attrition_test_is_lm_robust_hc2_of_the_missing_indicator_on_arm): estimatr's lm_robust of the
# 0/1 missing indicator on the arm factor, HC2. Values pasted into that test.
suppressMessages(library(estimatr))
mk <- function(arm, n, m) data.frame(arm = arm, missing = c(rep(1, m), rep(0, n - m)))
d <- rbind(mk("control", 15, 1), mk("a", 20, 6), mk("b", 7, 7), mk("c", 3, 1))
d$arm <- factor(d$arm, levels = c("control", "a", "b", "c"))
f <- lm_robust(missing ~ arm, data = d, se_type = "HC2")
print(format(cbind(coef(f), f$std.error, f$p.value, f$df), digits = 17))
