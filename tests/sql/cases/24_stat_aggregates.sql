-- Statistics aggregates corr/covar_*/regr_* (Youngs-Cramer like PostgreSQL) and bit_xor
select corr(y, x), covar_pop(y, x), covar_samp(y, x), regr_slope(y, x), regr_intercept(y, x), regr_r2(y, x), regr_count(y, x) from (values (1.0, 2), (2.5, 3), (2.0, 5), (null, 7), (4.2, 9.5)) v(y, x);
select regr_avgx(y, x), regr_avgy(y, x), regr_sxx(y, x), regr_syy(y, x), regr_sxy(y, x) from (values (1, 2), (2, 3), (3, 5)) v(y, x);
select corr(x, x), covar_samp(x, x), regr_count(x, x) from generate_series(1, 1) x;
select corr(x, 1), regr_r2(1, x), regr_slope(x, 1) from generate_series(1, 4) x;
select g, corr(x, x * x), bit_xor(x) from (select x % 2 as g, x from generate_series(1, 10) x) s group by g order by g;
select bit_xor(x), bit_and(x), bit_or(x) from generate_series(3, 9) x;
select corr(x, y) from (values (1, 2)) v(x, y) where false;
