-- Ordered-set aggregates: percentile_cont, percentile_disc, mode WITHIN GROUP (ORDER BY …)
select percentile_cont(0.5) within group (order by x), percentile_disc(0.5) within group (order by x), mode() within group (order by x) from generate_series(1, 4) x;
select percentile_cont(0.25) within group (order by x desc), percentile_disc(0.9) within group (order by x) from (values (1.5), (null), (3.5), (10)) v(x);
select g, percentile_cont(0.5) within group (order by v), mode() within group (order by v) from (values ('a', 1), ('a', 2), ('a', 2), ('b', 5)) t(g, v) group by g order by g;
select mode() within group (order by s) from (values ('b'), ('a'), ('a'), ('b')) v(s);
select percentile_cont(0.5) within group (order by x) from generate_series(1, 0) x;
select percentile_cont(0.5) within group (order by d) from (values (interval '1 day'), (interval '2 days')) v(d);
select percentile_disc(0) within group (order by x), percentile_disc(1) within group (order by x) from generate_series(1, 3) x;
select percentile_cont(1.5) within group (order by x) from generate_series(1, 3) x;
